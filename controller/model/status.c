/* status.c - status objects: conditions, the simple status, usage counts. */
#include "compat.h"

#include "model/status.h"

#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "util.h"

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

json_object *status_find_condition(json_object *conds, const char *type)
{
	size_t i, n;

	if (!conds || !json_object_is_type(conds, json_type_array))
		return NULL;
	n = json_object_array_length(conds);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(conds, i);

		if (streq(jsonutil_str(c, "type"), type))
			return c;
	}
	return NULL;
}

int status_put_str(json_object *o, const char *k, const char *v)
{
	return v ? jsonutil_add_str(o, k, v) : 0;
}

int status_set_condition(json_object *conds, json_object *prev, const char *type, bool ok,
                         const char *reason, const char *message, int64_t generation, time_t now)
{
	const char *st = ok ? "True" : "False";
	json_object *old = status_find_condition(prev, type);
	const char *ltt = NULL;
	char ts[32];
	json_object *c;
	size_t i, n;
	int r;

	if (old && streq(jsonutil_str(old, "status"), st))
		ltt = jsonutil_str(old, "lastTransitionTime");
	if (!ltt) {
		format_rfc3339(now, ts);
		ltt = ts;
	}
	c = json_object_new_object();
	if (!c)
		return -ENOMEM;
	r = status_put_str(c, "type", type);
	if (!r)
		r = status_put_str(c, "status", st);
	if (!r)
		r = jsonutil_add_int(c, "observedGeneration", generation);
	if (!r)
		r = status_put_str(c, "lastTransitionTime", ltt);
	if (!r)
		r = status_put_str(c, "reason", reason);
	if (!r)
		r = status_put_str(c, "message", message ? message : "");
	if (r) {
		json_object_put(c);
		return r;
	}
	n = json_object_array_length(conds);
	for (i = 0; i < n; i++) {
		if (streq(jsonutil_str(json_object_array_get_idx(conds, i), "type"), type))
			return json_object_array_put_idx(conds, i, c) < 0 ? -ENOMEM : 0;
	}
	if (json_object_array_add(conds, c) < 0) {
		json_object_put(c);
		return -ENOMEM;
	}
	return 0;
}

json_object *status_simple(json_object *prev, int64_t generation, bool ready, const char *reason,
                           const char *message, int used_by, time_t now)
{
	json_object *s = json_object_new_object();
	json_object *conds = json_object_new_array();
	int r = (s && conds) ? 0 : -ENOMEM;

	if (!r)
		r = jsonutil_add_int(s, "observedGeneration", generation);
	if (!r)
		r = status_set_condition(conds, jsonutil_get(prev, "conditions"), STATUS_COND_READY,
		                         ready, reason, message, generation, now);
	if (!r) {
		r = jsonutil_add(s, "conditions", conds);
		conds = NULL;
	}
	if (!r)
		r = jsonutil_add_int(s, "usedBy", used_by);
	json_object_put(conds);
	if (r) {
		json_object_put(s);
		return NULL;
	}
	return s;
}

bool status_uses(json_object *agentjob, const char *fld, const char *name)
{
	return streq(jsonutil_str(jsonutil_get(agentjob, "spec"), fld), name);
}

int status_count_users(json_object *agentjobs, const char *fld, const char *name)
{
	size_t i, n;
	int count = 0;

	if (!agentjobs || !json_object_is_type(agentjobs, json_type_array))
		return 0;
	n = json_object_array_length(agentjobs);
	for (i = 0; i < n; i++)
		count += status_uses(json_object_array_get_idx(agentjobs, i), fld, name);
	return count;
}

bool status_equal(json_object *a, json_object *b)
{
	if (!a || !b)
		return a == b;
	return json_object_equal(a, b) != 0;
}

int status_mark_failed(json_object *status, json_object *prev_conditions, const char *prev_hash,
                       int64_t generation, const char *what, const char *detail, time_t now)
{
	struct buf msg = BUF_INIT(1024);
	json_object *conds = jsonutil_get(status, "conditions");
	int r;

	if (!conds)
		return -EINVAL;
	/* The API server's message is bounded; a longer one is cut, which
	 * is fine for a human-readable note (never a secret, see header). */
	r = buf_printf(&msg, "%s: %.700s", what, detail && *detail ? detail : "request failed");
	if (!r)
		r = status_set_condition(conds, prev_conditions, STATUS_COND_READY, false,
		                         "ApplyFailed", msg.data, generation, now);
	if (!r)
		r = status_put_str(status, "message", msg.data);
	json_object_object_del(status, "configHash");
	if (!r)
		r = status_put_str(status, "configHash", prev_hash);
	buf_free(&msg);
	return r;
}

static bool status_streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* status.h */
int status_job_outcome(json_object *job, const char **when, const char **why)
{
	json_object *st = jsonutil_get(job, "status");
	json_object *conds = jsonutil_get(st, "conditions");
	json_object *c;

	c = status_find_condition(conds, "Complete");
	if (c && status_streq(jsonutil_str(c, "status"), "True")) {
		if (when)
			*when = jsonutil_str(st, "completionTime");
		if (when && !*when)
			*when = jsonutil_str(c, "lastTransitionTime");
		return 1;
	}
	c = status_find_condition(conds, "Failed");
	if (c && status_streq(jsonutil_str(c, "status"), "True")) {
		if (when)
			*when = jsonutil_str(c, "lastTransitionTime");
		if (why)
			*why = jsonutil_str(c, "reason");
		return -1;
	}
	return 0;
}
