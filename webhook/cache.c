/* cache.c - one informer and store per thurkube kind for the checks. */
#include "compat.h"

#include "cache.h"

#include <errno.h>

#include "runtime/informer.h"
#include "runtime/store.h"

struct cache {
	struct store *stores[TK_KIND_COUNT];
	struct informer *informers[TK_KIND_COUNT];
};

/* The stores are all the webhook needs: nothing to route. */
static int cache_on_event(void *ud, json_object *obj, bool deleted, enum informer_source src)
{
	(void)ud;
	(void)obj;
	(void)deleted;
	(void)src;
	return 0;
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
		    .on_event = cache_on_event,
		};

		c->stores[k] = store_new();
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

json_object *cache_get(struct cache *c, enum tk_kind k, const char *ns, const char *name)
{
	return (int)k < 0 || k >= TK_KIND_COUNT ? NULL : store_get(c->stores[k], ns, name);
}

json_object *cache_list(struct cache *c, enum tk_kind k, const char *ns)
{
	return (int)k < 0 || k >= TK_KIND_COUNT ? NULL : store_list(c->stores[k], ns);
}
