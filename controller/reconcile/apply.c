/* apply.c - writes: server-side apply, delete, status, finalizers. */
#include "compat.h"

#include "jsonutil.h"

#include "reconcile/apply.h"

#include <errno.h>

#include "model/build.h"
#include "schema.h"

static int object_path(enum res r, const char *ns, const char *name, const char *sub,
                       struct buf *path)
{
	const struct res_info *ri = res_info(r);

	if (!ri || !name)
		return -EINVAL;
	return kube_path(path, ri->group, ri->version, ri->namespaced ? ns : NULL, ri->plural, name,
	                 sub);
}

static const char *manager(const struct reconcile_ctx *c)
{
	return c->cfg && c->cfg->field_manager ? c->cfg->field_manager : NAMES_FIELD_MANAGER;
}

int apply_object(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *obj, struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!reconcile_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_apply(c->kube, path.data, obj, manager(c), true, NULL, st);
	buf_free(&path);
	return ret;
}

/* etcd revisions start at 1 and grow by one per write: never reached. */
#define RV_NEVER "9223372036854775807"

int apply_create(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *obj, struct kube_status *st)
{
	json_object *meta = NULL;
	int ret;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return -EINVAL;
	if (json_object_object_get_ex(meta, "resourceVersion", NULL))
		return -EINVAL;
	ret = jsonutil_add_str(meta, "resourceVersion", RV_NEVER);
	if (!ret)
		ret = apply_object(c, r, ns, name, obj, st);
	json_object_object_del(meta, "resourceVersion");
	/* 409: the precondition failed, so the name is held. */
	return ret == -EBUSY ? -EEXIST : ret;
}

int apply_delete_uid(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                     const char *propagation, const char *uid, struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!reconcile_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_delete(c->kube, path.data, propagation, uid, NULL, st);
	buf_free(&path);
	return ret == -ENOENT ? 0 : ret;
}

int apply_delete(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 const char *propagation, struct kube_status *st)
{
	return apply_delete_uid(c, r, ns, name, propagation, NULL, st);
}

int apply_patch(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                json_object *patch, struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!reconcile_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_patch_merge(c->kube, path.data, patch, NULL, st);
	buf_free(&path);
	return ret;
}

int apply_status(struct reconcile_ctx *c, enum res r, const char *ns, const char *name,
                 json_object *status, struct kube_status *st)
{
	const struct res_info *ri = res_info(r);
	struct buf path = BUF_INIT(2048);
	json_object *body = json_object_new_object();
	json_object *meta = json_object_new_object();
	json_object *copy = NULL;
	int ret = (body && meta && ri) ? 0 : -ENOMEM;

	if (!reconcile_may_write(c)) {
		ret = -ECANCELED;
		goto out;
	}
	if (!ret)
		ret = jsonutil_add_str(body, "apiVersion", TK_API_VERSION);
	if (!ret)
		ret = jsonutil_add_str(body, "kind", ri->kind);
	if (!ret)
		ret = jsonutil_add_str(meta, "name", name);
	if (!ret)
		ret = jsonutil_add_str(meta, "namespace", ns);
	if (!ret && json_object_object_add(body, "metadata", meta) < 0)
		ret = -ENOMEM;
	if (!ret)
		meta = NULL;
	if (!ret && json_object_deep_copy(status, &copy, NULL) != 0)
		ret = -ENOMEM;
	if (!ret && json_object_object_add(body, "status", copy) < 0)
		ret = -ENOMEM;
	if (!ret)
		copy = NULL;
	if (!ret)
		ret = object_path(r, ns, name, "status", &path);
	if (!ret)
		ret = kube_apply(c->kube, path.data, body, manager(c), true, NULL, st);
out:
	json_object_put(copy);
	json_object_put(meta);
	json_object_put(body);
	buf_free(&path);
	return ret;
}

int apply_finalizer(struct reconcile_ctx *c, enum res r, const struct tk_meta *meta, bool present,
                    struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	json_object *patch = NULL, *m = NULL, *list = NULL;
	bool has = strlist_contains(&meta->finalizers, NAMES_FINALIZER);
	size_t i;
	int ret = 0;

	if (has == present)
		return 0;
	if (!reconcile_may_write(c))
		return -ECANCELED;
	if (!meta->resource_version)
		return -EINVAL;
	patch = json_object_new_object();
	m = json_object_new_object();
	list = json_object_new_array();
	if (!patch || !m || !list) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < meta->finalizers.n && !ret; i++) {
		json_object *f;

		if (!present && !strcmp(meta->finalizers.v[i], NAMES_FINALIZER))
			continue;
		f = json_object_new_string(meta->finalizers.v[i]);
		if (!f || json_object_array_add(list, f) < 0) {
			json_object_put(f);
			ret = -ENOMEM;
		}
	}
	if (!ret && present) {
		json_object *f = json_object_new_string(NAMES_FINALIZER);

		if (!f || json_object_array_add(list, f) < 0) {
			json_object_put(f);
			ret = -ENOMEM;
		}
	}
	if (!ret)
		ret = jsonutil_add_str(m, "resourceVersion", meta->resource_version);
	if (!ret && json_object_object_add(m, "finalizers", list) < 0)
		ret = -ENOMEM;
	if (!ret)
		list = NULL;
	if (!ret && json_object_object_add(patch, "metadata", m) < 0)
		ret = -ENOMEM;
	if (!ret)
		m = NULL;
	if (!ret)
		ret = object_path(r, meta->namespace, meta->name, NULL, &path);
	if (!ret)
		ret = kube_patch_merge(c->kube, path.data, patch, NULL, st);
out:
	json_object_put(list);
	json_object_put(m);
	json_object_put(patch);
	buf_free(&path);
	return ret;
}
