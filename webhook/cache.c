/* cache.c - one informer and store per thurkube kind for the checks. */
#include "compat.h"

#include "cache.h"

#include <errno.h>

#include "jsonutil.h"
#include "runtime/informer.h"
#include "runtime/store.h"

struct cache {
	struct store *stores[TK_KIND_COUNT];
	struct informer *informers[TK_KIND_COUNT];
};

/*
 * The checks read the spec of cached objects and their name and namespace,
 * nothing else: status, labels and annotations (kubectl's
 * last-applied-configuration is a second copy of the object) are dropped.
 */
void cache_trim(json_object *obj)
{
	static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion"};
	json_object *meta = jsonutil_get_type(obj, "metadata", json_type_object), *slim;
	size_t i;

	json_object_object_del(obj, "status");
	if (!meta)
		return;
	slim = json_object_new_object();
	for (i = 0; slim && i < TK_ARRAY_LEN(keep); i++) {
		json_object *v = jsonutil_get(meta, keep[i]);

		if (v && json_object_object_add(slim, keep[i], json_object_get(v)) < 0) {
			json_object_put(v);
			json_object_put(slim);
			slim = NULL;
		}
	}
	/* Out of memory: the object is cached whole, which is only bigger. */
	if (slim && json_object_object_add(obj, "metadata", slim) < 0)
		json_object_put(slim);
}

void cache_free(struct cache *c)
{
	int k;

	if (!c)
		return;
	for (k = 0; k < TK_KIND_COUNT; k++)
		if (c->informers[k])
			informer_stop(c->informers[k]);
	for (k = 0; k < TK_KIND_COUNT; k++) {
		if (c->informers[k])
			informer_join(c->informers[k]);
		informer_free(c->informers[k]);
		store_free(c->stores[k]);
	}
	free(c);
}

int cache_start(struct kube_client *kube, struct metrics *metrics, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));
	int k, r = 0;

	if (!c)
		return -ENOMEM;
	for (k = 0; r == 0 && k < TK_KIND_COUNT; k++) {
		struct informer_opts o = {
		    .kube = kube,
		    .group = TK_GROUP,
		    .version = TK_VERSION,
		    .plural = schema_kind_info((enum tk_kind)k)->plural,
		    .metrics = metrics,
		    .metrics_prefix = "thurkube_webhook",
		    /* no on_event: the stores are all the checks read */
		};

		c->stores[k] = store_new();
		if (c->stores[k])
			store_set_trim(c->stores[k], cache_trim);
		o.store = c->stores[k];
		r = c->stores[k] ? informer_new(&o, &c->informers[k]) : -ENOMEM;
	}
	for (k = 0; r == 0 && k < TK_KIND_COUNT; k++)
		r = informer_start(c->informers[k]);
	if (r < 0) {
		cache_free(c);
		return r;
	}
	*out = c;
	return 0;
}

bool cache_synced(const struct cache *c)
{
	int k;

	if (!c)
		return false;
	for (k = 0; k < TK_KIND_COUNT; k++)
		if (!informer_synced(c->informers[k]))
			return false;
	return true;
}

int cache_read(struct cache *c, enum tk_kind k, const char *ns, const char *name, store_read_fn fn,
               void *ud)
{
	if ((int)k < 0 || k >= TK_KIND_COUNT)
		return -ENOENT;
	return store_read(c->stores[k], ns, name, fn, ud);
}

bool cache_has(struct cache *c, enum tk_kind k, const char *ns, const char *name)
{
	return (int)k >= 0 && k < TK_KIND_COUNT && store_has(c->stores[k], ns, name);
}

json_object *cache_list(struct cache *c, enum tk_kind k, const char *ns)
{
	return (int)k < 0 || k >= TK_KIND_COUNT ? NULL : store_list(c->stores[k], ns);
}
