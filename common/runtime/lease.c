/* lease.c - the pure core of leader election: decide, parse, build. */
#include "compat.h"

#include "jsonutil.h"

#include "runtime/lease.h"

#include <errno.h>
#include <time.h>

#include "util.h"

const char *lease_action_name(enum lease_action a)
{
	static const char *const names[] = {"standby", "create", "acquire", "renew", "lost"};

	return (unsigned)a < TK_ARRAY_LEN(names) ? names[a] : "?";
}

enum lease_action lease_decide(const struct lease_record *rec, const char *identity,
                               const struct lease_clock *clk)
{
	int64_t base;

	if (clk->leading && clk->since_renew_ms > clk->renew_deadline_ms)
		return LEASE_LOST;
	if (!rec->exists)
		return LEASE_CREATE;
	if (rec->holder && *rec->holder && strcmp(rec->holder, identity) == 0)
		return LEASE_RENEW;
	if (!rec->holder || !*rec->holder)
		return LEASE_ACQUIRE;
	base = rec->renew_ms >= 0 ? rec->renew_ms : rec->observed_ms;
	if (base + rec->duration_s * 1000 < clk->now_ms)
		return LEASE_ACQUIRE;
	return clk->leading ? LEASE_LOST : LEASE_STANDBY;
}

int64_t lease_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lease_format_microtime(int64_t wall_ms, char out[40])
{
	time_t t = (time_t)(wall_ms / 1000);
	unsigned micros = (unsigned)(wall_ms % 1000) * 1000u;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06uZ", micros % 1000000u);
}

int lease_parse_microtime(const char *s, int64_t *out)
{
	const char *dot;
	bool digits = true;
	time_t t;
	int64_t ms = 0;
	int i;

	if (!s || parse_rfc3339(s, &t) < 0)
		return -EINVAL;
	dot = strchr(s, '.');
	if (dot) {
		/* Milliseconds from the first three fraction digits; a shorter
		 * fraction is padded with zeros. */
		for (i = 1; i <= 3; i++) {
			digits = digits && dot[i] >= '0' && dot[i] <= '9';
			ms = ms * 10 + (digits ? dot[i] - '0' : 0);
		}
	}
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

static int64_t spec_int(json_object *spec, const char *field)
{
	json_object *v = jsonutil_get(spec, field);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

int lease_parse(json_object *lease, struct lease_record *rec)
{
	json_object *spec = NULL;
	int64_t renew;

	if (!json_object_is_type(lease, json_type_object))
		return -EINVAL;
	if (json_object_object_get_ex(lease, "spec", &spec) &&
	    !json_object_is_type(spec, json_type_object))
		return -EINVAL;
	rec->exists = true;
	rec->holder = spec ? jsonutil_str(spec, "holderIdentity") : NULL;
	rec->duration_s = spec ? spec_int(spec, "leaseDurationSeconds") : 0;
	rec->transitions = spec ? spec_int(spec, "leaseTransitions") : 0;
	if (spec && lease_parse_microtime(jsonutil_str(spec, "renewTime"), &renew) == 0)
		rec->renew_ms = renew;
	else
		rec->renew_ms = -1;
	return 0;
}

static json_object *lease_skeleton(const char *ns, const char *name)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();

	if (!o || !meta || json_object_object_add(o, "metadata", meta) < 0) {
		json_object_put(meta);
		goto fail;
	}
	if (jsonutil_add_str(o, "apiVersion", "coordination.k8s.io/v1") < 0 ||
	    jsonutil_add_str(o, "kind", "Lease") < 0 || jsonutil_add_str(meta, "name", name) < 0 ||
	    jsonutil_add_str(meta, "namespace", ns) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* A deep copy of observed with a fresh spec object whose old fields are kept. */
static json_object *lease_copy(json_object *observed, json_object **spec)
{
	json_object *o = NULL, *s;

	if (!json_object_is_type(observed, json_type_object) ||
	    json_object_deep_copy(observed, &o, NULL) != 0)
		return NULL;
	if (!json_object_object_get_ex(o, "spec", &s) ||
	    !json_object_is_type(s, json_type_object)) {
		s = json_object_new_object();
		if (!s || json_object_object_add(o, "spec", s) < 0) {
			json_object_put(s);
			json_object_put(o);
			return NULL;
		}
	}
	*spec = s;
	return o;
}

json_object *lease_build(enum lease_action action, json_object *observed, const char *ns,
                         const char *name, const char *identity, int64_t now_ms, int duration_s)
{
	json_object *o = NULL, *spec = NULL;
	char now[40];
	int r = 0;

	lease_format_microtime(now_ms, now);
	if (action == LEASE_CREATE) {
		o = lease_skeleton(ns, name);
		spec = json_object_new_object();
		if (!o || !spec || json_object_object_add(o, "spec", spec) < 0) {
			json_object_put(spec);
			goto fail;
		}
		r = jsonutil_add_int(spec, "leaseTransitions", 0);
	} else if (action == LEASE_ACQUIRE || action == LEASE_RENEW) {
		o = lease_copy(observed, &spec);
		if (!o)
			goto fail;
		if (action == LEASE_ACQUIRE)
			r = jsonutil_add_int(spec, "leaseTransitions",
			                     spec_int(spec, "leaseTransitions") + 1);
	} else {
		return NULL;
	}
	if (r == 0 && action != LEASE_RENEW)
		r = jsonutil_add_str(spec, "acquireTime", now);
	if (r < 0 || jsonutil_add_str(spec, "holderIdentity", identity) < 0 ||
	    jsonutil_add_int(spec, "leaseDurationSeconds", duration_s) < 0 ||
	    jsonutil_add_str(spec, "renewTime", now) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

json_object *lease_build_release(json_object *observed, int64_t now_ms)
{
	json_object *spec, *o = lease_copy(observed, &spec);
	char now[40];

	if (!o)
		return NULL;
	lease_format_microtime(now_ms, now);
	if (jsonutil_add_str(spec, "holderIdentity", "") < 0 ||
	    jsonutil_add_int(spec, "leaseDurationSeconds", 1) < 0 ||
	    jsonutil_add_str(spec, "acquireTime", now) < 0 ||
	    jsonutil_add_str(spec, "renewTime", now) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
