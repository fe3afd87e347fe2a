/* route.c - from an observed change to the reconciles it triggers. */
#include "compat.h"

#include "model/route.h"

#include <errno.h>
#include <string.h>

#include "jsonutil.h"
#include "limits.h"
#include "names.h"

/* Which spec field names which kind. */
static const struct {
	const char *field;
	enum res kind;
	bool list;
} ref_fields[] = {
    {"runtimeRef", RES_AGENTRUNTIME, false},
    {"authRef", RES_AGENTAUTH, false},
    {"roleRef", RES_AGENTROLE, false},
    {"skillRef", RES_AGENTSKILL, false},
    {"clusterAccessRef", RES_CLUSTERACCESS, false},
    {"mcpServerRefs", RES_MCPSERVER, true},
    {"repositoryRefs", RES_REPOSITORY, true},
};

static int add_ref(struct strlist *out, enum res kind, const char *ns, json_object *v)
{
	struct buf key = BUF_INIT(3 * TK_MAX_NAME);
	int r = 0;

	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
		return 0;
	if (buf_printf(&key, "%s/%s/%s", res_kind(kind), ns, json_object_get_string(v)) < 0)
		goto out; /* a name over the limit cannot exist; nothing to index */
	if (!strlist_contains(out, key.data))
		r = strlist_add(out, key.data);
out:
	buf_free(&key);
	return r;
}

int route_refs_of(json_object *aj, struct strlist *out)
{
	json_object *spec = jsonutil_get(aj, "spec"), *v;
	const char *ns = jsonutil_namespace(aj);
	size_t i, j;
	int r;

	if (!json_object_is_type(spec, json_type_object))
		return 0;
	for (i = 0; i < TK_ARRAY_LEN(ref_fields); i++) {
		if (!json_object_object_get_ex(spec, ref_fields[i].field, &v))
			continue;
		if (!ref_fields[i].list) {
			r = add_ref(out, ref_fields[i].kind, ns, v);
			if (r < 0)
				return r;
			continue;
		}
		if (!json_object_is_type(v, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(v) && j < TK_MAX_LIST_ITEMS; j++) {
			r = add_ref(out, ref_fields[i].kind, ns, json_object_array_get_idx(v, j));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int route_users_of(const struct route_index *ix, enum res r, const char *ns, const char *name,
                   struct strlist *out)
{
	struct buf key = BUF_INIT(3 * TK_MAX_NAME);
	int ret = 0;

	if (!ix || !res_info(r) || !name)
		return 0;
	if (buf_printf(&key, "%s/%s/%s", res_kind(r), ns ? ns : "", name) < 0)
		goto out; /* longer than any real name: nothing can reference it */
	ret = ix->lookup(ix->ud, key.data, out);
out:
	buf_free(&key);
	return ret;
}

/* Keys "AgentRole/...", "ClusterAccess/..." and "AgentAuth/..." among the
 * reference keys of an AgentJob: the first two count their users, the
 * AgentAuth's run queue counts its runs. */
static int add_counted_refs(struct strlist *keys, const struct strlist *refs)
{
	size_t i;
	int r;

	for (i = 0; i < refs->n; i++) {
		if (strncmp(refs->v[i], "AgentRole/", 10) != 0 &&
		    strncmp(refs->v[i], "ClusterAccess/", 14) != 0 &&
		    strncmp(refs->v[i], "AgentAuth/", 10) != 0)
			continue;
		r = strlist_add(keys, refs->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int route_agentjob(const struct route_index *ix, json_object *obj, bool deleted,
                          struct strlist *keys)
{
	struct buf user = BUF_INIT(2 * TK_MAX_NAME + 2);
	struct strlist prev = {0}, now = {0};
	const char *ns = jsonutil_namespace(obj), *name = jsonutil_name(obj);
	int r;

	r = res_key_add(keys, RES_AGENTJOB, ns, name);
	if (r < 0 || !name)
		goto out;
	if (!deleted) {
		r = route_refs_of(obj, &now);
		if (r < 0)
			goto out;
	}
	if (ix) {
		r = buf_printf(&user, "%s/%s", ns, name);
		if (r == 0)
			r = ix->update(ix->ud, user.data, deleted ? NULL : &now, &prev);
		if (r < 0)
			goto out;
	}
	r = add_counted_refs(keys, &prev);
	if (r == 0)
		r = add_counted_refs(keys, &now);
out:
	buf_free(&user);
	strlist_free(&prev);
	strlist_free(&now);
	return r;
}

static int route_referenced(const struct route_index *ix, enum res res, json_object *obj,
                            struct strlist *keys)
{
	struct strlist users = {0};
	const char *ns = jsonutil_namespace(obj), *name = jsonutil_name(obj);
	size_t i;
	int r = 0;

	if (res_reconciled(res)) {
		r = res_key_add(keys, res, ns, name);
		if (r < 0)
			goto out;
	}
	r = route_users_of(ix, res, ns, name, &users);
	for (i = 0; r == 0 && i < users.n; i++)
		r = strlist_addf(keys, "%s/%s", res_kind(RES_AGENTJOB), users.v[i]);
out:
	strlist_free(&users);
	return r;
}

static int route_child(enum res res, json_object *obj, struct strlist *keys)
{
	const char *aj = jsonutil_label(obj, NAMES_LABEL_AGENTJOB);
	const char *aj_ns = jsonutil_label(obj, NAMES_LABEL_AGENTJOB_NS);
	const char *ca = jsonutil_label(obj, NAMES_LABEL_CLUSTERACCESS);
	const char *ca_ns = jsonutil_label(obj, NAMES_LABEL_CLUSTERACCESS_NS);
	int r;

	/* Namespaced children by their controller, never by their labels. A
	 * run Job of a queue also wakes its AgentAuth's queue (which checks
	 * membership itself: the label only says where to look). */
	if (res_info(res)->namespaced) {
		const char *auth =
		    res == RES_JOB ? jsonutil_label(obj, NAMES_LABEL_AGENTAUTH) : NULL;

		r = res_key_add(keys, RES_AGENTJOB, jsonutil_namespace(obj),
		                res_child_owner(res, obj));
		if (r == 0 && auth && res_child_owner(res, obj))
			r = res_key_add(keys, RES_AGENTAUTH, jsonutil_namespace(obj), auth);
		return r;
	}
	/* Only cluster admins create cluster-scoped objects: labels will do. */
	r = res_key_add(keys, RES_AGENTJOB, aj_ns, aj);
	if (r < 0)
		return r;
	return res_key_add(keys, RES_CLUSTERACCESS, ca_ns, ca);
}

int route_event(const struct route_index *ix, enum res r, json_object *obj, bool deleted,
                struct strlist *keys)
{
	if (!json_object_is_type(obj, json_type_object) || !res_info(r))
		return 0;
	if (r == RES_AGENTJOB)
		return route_agentjob(ix, obj, deleted, keys);
	if (!res_info(r)->child)
		return route_referenced(ix, r, obj, keys);
	return route_child(r, obj, keys);
}
