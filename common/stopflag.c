/* stopflag.c - a request to stop that threads can sleep on (stopflag.h). */
#include "compat.h"

#include "stopflag.h"

#include <time.h>

#include "util.h"

void stopflag_init(struct stopflag *f)
{

	atomic_init(&f->raised, 0);
	f->notes = 0;
	pthread_mutex_init(&f->mu, NULL);
	cond_init_mono(&f->cv);
}

void stopflag_destroy(struct stopflag *f)
{
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

void stopflag_raise(struct stopflag *f)
{
	pthread_mutex_lock(&f->mu);
	atomic_store(&f->raised, 1);
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

bool stopflag_raised(struct stopflag *f)
{
	return atomic_load(&f->raised) != 0;
}

bool stopflag_sleep(struct stopflag *f, int64_t ms)
{
	struct timespec until;
	bool raised;

	until = mono_after_ms(ms);
	pthread_mutex_lock(&f->mu);
	while (!atomic_load(&f->raised) && ms > 0 &&
	       pthread_cond_timedwait(&f->cv, &f->mu, &until) == 0)
		;
	raised = atomic_load(&f->raised) != 0;
	pthread_mutex_unlock(&f->mu);
	return raised;
}

void stopflag_notify(struct stopflag *f)
{
	pthread_mutex_lock(&f->mu);
	f->notes++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

uint64_t stopflag_notes(struct stopflag *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->mu);
	n = f->notes;
	pthread_mutex_unlock(&f->mu);
	return n;
}

bool stopflag_wait(struct stopflag *f, uint64_t seen, int64_t ms)
{
	struct timespec until = mono_after_ms(ms);
	bool raised;
	int r = 0;

	pthread_mutex_lock(&f->mu);
	while (!atomic_load(&f->raised) && f->notes == seen && r == 0) {
		if (ms < 0)
			r = pthread_cond_wait(&f->cv, &f->mu);
		else if (ms == 0)
			break;
		else
			r = pthread_cond_timedwait(&f->cv, &f->mu, &until);
	}
	raised = atomic_load(&f->raised) != 0;
	pthread_mutex_unlock(&f->mu);
	return raised;
}
