/* apply.c - writes: server-side apply, delete, status, finalizers. */
#include "compat.h"

#include "jsonutil.h"

#include "apply.h"

#include <errno.h>

#include "build.h"
#include "schema.h"

enum ctl_res apply_res_of_kind(const char *kind)
{
	int r;

	for (r = 0; kind && r < RES_COUNT; r++) {
		const struct ctl_res_info *ri = ctl_res_info((enum ctl_res)r);

		if (ri && !strcmp(ri->kind, kind))
			return (enum ctl_res)r;
	}
	return RES_COUNT;
}

static int object_path(enum ctl_res r, const char *ns, const char *name, const char *sub,
                       struct buf *path)
{
	const struct ctl_res_info *ri = ctl_res_info(r);

	if (!ri || !name)
		return -EINVAL;
	return kube_path(path, ri->group, ri->version, ri->namespaced ? ns : NULL, ri->plural, name,
	                 sub);
}

static const char *manager(const struct ctl *c)
{
	return c->cfg && c->cfg->field_manager ? c->cfg->field_manager : BUILD_FIELD_MANAGER;
}

int apply_object(struct ctl *c, enum ctl_res r, const char *ns, const char *name, json_object *obj,
                 struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!ctl_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_apply(c->kube, path.data, obj, manager(c), true, NULL, st);
	buf_free(&path);
	return ret;
}

int apply_delete_uid(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                     const char *propagation, const char *uid, struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!ctl_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_delete(c->kube, path.data, propagation, uid, NULL, st);
	buf_free(&path);
	return ret == -ENOENT ? 0 : ret;
}

int apply_delete(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                 const char *propagation, struct kube_status *st)
{
	return apply_delete_uid(c, r, ns, name, propagation, NULL, st);
}

int apply_patch(struct ctl *c, enum ctl_res r, const char *ns, const char *name, json_object *patch,
                struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	int ret;

	if (!ctl_may_write(c))
		return -ECANCELED;
	ret = object_path(r, ns, name, NULL, &path);
	if (!ret)
		ret = kube_patch_merge(c->kube, path.data, patch, NULL, st);
	buf_free(&path);
	return ret;
}

int apply_status(struct ctl *c, enum ctl_res r, const char *ns, const char *name,
                 json_object *status, struct kube_status *st)
{
	const struct ctl_res_info *ri = ctl_res_info(r);
	struct buf path = BUF_INIT(2048);
	json_object *body = json_object_new_object();
	json_object *meta = json_object_new_object();
	json_object *copy = NULL;
	int ret = (body && meta && ri) ? 0 : -ENOMEM;

	if (!ctl_may_write(c)) {
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

int apply_finalizer(struct ctl *c, enum ctl_res r, const struct tk_meta *meta, bool present,
                    struct kube_status *st)
{
	struct buf path = BUF_INIT(2048);
	json_object *patch = NULL, *m = NULL, *list = NULL;
	bool has = strlist_contains(&meta->finalizers, BUILD_FINALIZER);
	size_t i;
	int ret = 0;

	if (has == present)
		return 0;
	if (!ctl_may_write(c))
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

		if (!present && !strcmp(meta->finalizers.v[i], BUILD_FINALIZER))
			continue;
		f = json_object_new_string(meta->finalizers.v[i]);
		if (!f || json_object_array_add(list, f) < 0) {
			json_object_put(f);
			ret = -ENOMEM;
		}
	}
	if (!ret && present) {
		json_object *f = json_object_new_string(BUILD_FINALIZER);

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

const char *apply_obj_name(json_object *obj)
{
	json_object *m, *n;

	if (!json_object_object_get_ex(obj, "metadata", &m) ||
	    !json_object_object_get_ex(m, "name", &n) || !json_object_is_type(n, json_type_string))
		return NULL;
	return json_object_get_string(n);
}
