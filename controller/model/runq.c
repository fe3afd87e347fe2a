/* runq.c - the run queue of an AgentAuth (see runq.h). */
#include "compat.h"

#include "model/runq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonutil.h"
#include "model/status.h"

static bool deleting(json_object *job)
{
	return jsonutil_get(jsonutil_get(job, "metadata"), "deletionTimestamp") != NULL;
}

static bool suspended(json_object *job)
{
	json_object *s = jsonutil_get(jsonutil_get(job, "spec"), "suspend");

	return s && json_object_is_type(s, json_type_boolean) && json_object_get_boolean(s);
}

bool runq_waiting(json_object *job)
{
	return suspended(job) && !deleting(job) && status_job_outcome(job, NULL, NULL) == 0;
}

static bool running(json_object *job)
{
	return !suspended(job) && !deleting(job) && status_job_outcome(job, NULL, NULL) == 0;
}

struct member {
	time_t created;
	const char *name;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

int runq_make(json_object *const *jobs, size_t n, int64_t limit, struct runq *q)
{
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	size_t i, k = 0;
	int r = 0;

	memset(q, 0, sizeof(*q));
	if (!m)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *name = jsonutil_name(jobs[i]);
		const char *ts =
		    jsonutil_str(jsonutil_get(jobs[i], "metadata"), "creationTimestamp");
		time_t t = 0;

		if (!name)
			continue;
		if (running(jobs[i])) {
			q->running++;
			continue;
		}
		if (!runq_waiting(jobs[i]))
			continue;
		if (!ts || parse_rfc3339(ts, &t) < 0)
			t = 0;
		m[k++] = (struct member){t, name};
	}
	qsort(m, k, sizeof(*m), cmp_member);
	for (i = 0; i < k && !r; i++)
		r = strlist_add(&q->waiting, m[i].name);
	free(m);
	if (r) {
		runq_free(q);
		return r;
	}
	if (limit <= 0)
		q->release = k;
	else if ((uint64_t)limit > q->running)
		q->release =
		    (size_t)((uint64_t)limit - q->running) < k ? (size_t)limit - q->running : k;
	return 0;
}

void runq_free(struct runq *q)
{
	strlist_free(&q->waiting);
	memset(q, 0, sizeof(*q));
}

size_t runq_position(const struct runq *q, const char *name)
{
	size_t i;

	for (i = 0; name && i < q->waiting.n; i++)
		if (strcmp(q->waiting.v[i], name) == 0)
			return i + 1;
	return 0;
}
