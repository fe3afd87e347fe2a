/*
 * kube_client.c - the common Kubernetes client against a real
 * kube-apiserver (tests/controlplane). Not a Check suite: it needs a
 * server. Usage: kube_client <rundir> <restart-apiserver script>
 *
 * Prints one line per check and "N passed, N failed"; exits 1 on failure.
 * Everything happens in a fresh namespace (deleted at the end) plus one
 * test CRD (for the status subresource), also deleted at the end.
 */
#include "compat.h"

#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include "kube.h"
#include "kubecfg.h"
#include "limits.h"

#define UA         "thurkube-kube-client-test/0.1"
#define FM_A       "kc-test-a"
#define FM_B       "kc-test-b"
#define CRD_GROUP  "kc.thurkube.test"
#define BULK       600
#define BULK_OTHER 40

struct t {
	const char *rundir;
	const char *restart;
	struct kube_config *admin_cfg, *nobody_cfg;
	struct kube_client *admin, *nobody;
	char ns[64];
	int pass, fail;
	pthread_mutex_t obs_lock;
	int lists; /* LIST requests seen by the observer */
};

static void check(struct t *t, bool ok, const char *name, const char *fmt, ...) TK_PRINTF(4, 5);

static void check(struct t *t, bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		t->pass++;
		printf("ok   %s\n", name);
	} else {
		t->fail++;
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

#define STF(st)    "rc=%d http=%ld reason=%s message=%.200s"
#define STA(r, st) (r), (st).http_code, (st).reason, (st).message

static json_object *jparse(const char *fmt, ...) TK_PRINTF(1, 2);

static json_object *jparse(const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	json_object *o;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	o = json_tokener_parse(text);
	if (!o) {
		fprintf(stderr, "bad test JSON: %s\n", text);
		abort();
	}
	return o;
}

/* A string at a dotted path ("metadata.uid"), borrowed, or NULL. */
static const char *jstr(json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = o;

	while (v && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path),
		         path);
		if (!json_object_object_get_ex(v, key, &v))
			return NULL;
		path = dot ? dot + 1 : "";
	}
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Paths are built into a static-size buffer owned by the caller. */
static const char *cm_path(struct t *t, struct buf *b, const char *name)
{
	buf_reset(b);
	if (kube_path(b, "", "v1", t->ns, "configmaps", name, NULL) < 0)
		abort();
	return b->data;
}

static int create_cm(struct t *t, const char *name, const char *labels, json_object **out,
                     struct kube_status *st)
{
	struct buf p = BUF_INIT(1024);
	json_object *body = jparse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	                           "{\"name\":\"%s\",\"labels\":{%s}},\"data\":{\"k\":\"v0\"}}",
	                           name, labels ? labels : "");
	int r = kube_create(t->admin, cm_path(t, &p, NULL), body, out, st);

	json_object_put(body);
	buf_free(&p);
	return r;
}

static void observer(void *ud, const char *verb, long code, double seconds)
{
	struct t *t = ud;

	(void)code;
	(void)seconds;
	if (strcmp(verb, "LIST") == 0) {
		pthread_mutex_lock(&t->obs_lock);
		t->lists++;
		pthread_mutex_unlock(&t->obs_lock);
	}
}

/* --- setup ------------------------------------------------------------- */

static int load_client(struct t *t, const char *file, struct kube_config **cfg,
                       struct kube_client **c)
{
	struct buf path = BUF_INIT(4096), err = BUF_INIT(1024);
	int r;

	if (buf_printf(&path, "%s/%s", t->rundir, file) < 0)
		abort();
	r = kubecfg_load(path.data, cfg, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err.data);
	else
		r = kube_client_new(*cfg, UA, 20000, c);
	buf_free(&path);
	buf_free(&err);
	return r;
}

static void test_namespace(struct t *t)
{
	struct kube_status st;
	json_object *ns = jparse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
	                         "\"metadata\":{\"name\":\"%s\"}}",
	                         t->ns);
	int r = kube_create(t->admin, "/api/v1/namespaces", ns, NULL, &st);

	check(t, r == 0 && st.http_code == 201, "create namespace (client certificate auth)",
	      STF(st), STA(r, st));
	json_object_put(ns);
}

/* --- CRUD -------------------------------------------------------------- */

static void test_crud(struct t *t)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *o = NULL, *o2 = NULL, *patch;
	char rv1[64];
	int r;

	r = create_cm(t, "cm1", "\"app\":\"kc\"", &o, &st);
	check(t, r == 0 && streq(jstr(o, "metadata.name"), "cm1"), "create ConfigMap", STF(st),
	      STA(r, st));
	json_object_put(o);
	o = NULL;
	r = create_cm(t, "cm1", NULL, NULL, &st);
	check(t, r == -EEXIST && st.http_code == 409 && streq(st.reason, "AlreadyExists"),
	      "create existing -> -EEXIST AlreadyExists", STF(st), STA(r, st));

	r = kube_get(t->admin, cm_path(t, &p, "cm1"), &o, &st);
	check(t, r == 0 && streq(jstr(o, "data.k"), "v0") && st.http_code == 200, "get ConfigMap",
	      STF(st), STA(r, st));
	r = kube_get(t->admin, cm_path(t, &p, "missing"), &o2, &st);
	check(t, r == -ENOENT && st.http_code == 404 && streq(st.reason, "NotFound") && !o2,
	      "get missing -> -ENOENT NotFound", STF(st), STA(r, st));

	/* update with the current RV, then again with the now stale one */
	snprintf(rv1, sizeof(rv1), "%s", jstr(o, "metadata.resourceVersion"));
	json_object_object_add(json_object_object_get(o, "data"), "k",
	                       json_object_new_string("v1"));
	r = kube_update(t->admin, cm_path(t, &p, "cm1"), o, &o2, &st);
	check(t,
	      r == 0 && streq(jstr(o2, "data.k"), "v1") &&
	          !streq(jstr(o2, "metadata.resourceVersion"), rv1),
	      "update with current resourceVersion", STF(st), STA(r, st));
	json_object_put(o2);
	o2 = NULL;
	json_object_object_add(json_object_object_get(o, "data"), "k",
	                       json_object_new_string("v2"));
	r = kube_update(t->admin, cm_path(t, &p, "cm1"), o, NULL, &st);
	check(t,
	      r == -EBUSY && st.http_code == 409 && streq(st.reason, "Conflict") &&
	          strstr(st.message, "the object has been modified"),
	      "update with stale resourceVersion -> -EBUSY Conflict", STF(st), STA(r, st));

	patch = jparse("{\"data\":{\"added\":\"yes\",\"k\":null}}");
	r = kube_patch_merge(t->admin, cm_path(t, &p, "cm1"), patch, &o2, &st);
	check(t, r == 0 && streq(jstr(o2, "data.added"), "yes") && !jstr(o2, "data.k"),
	      "merge patch adds and removes keys", STF(st), STA(r, st));
	json_object_put(patch);
	json_object_put(o2);
	json_object_put(o);
	buf_free(&p);
}

/* --- server-side apply ------------------------------------------------- */

static void test_apply(struct t *t)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *a, *b, *o = NULL;
	int r;

	a = jparse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\","
	           "\"namespace\":\"%s\"},\"data\":{\"owned\":\"a1\"}}",
	           t->ns);
	r = kube_apply(t->admin, cm_path(t, &p, "ssa"), a, FM_A, false, &o, &st);
	check(t, r == 0 && st.http_code == 201 && streq(jstr(o, "data.owned"), "a1"),
	      "apply creates (201)", STF(st), STA(r, st));
	json_object_put(o);
	o = NULL;
	json_object_object_add(json_object_object_get(a, "data"), "owned",
	                       json_object_new_string("a2"));
	r = kube_apply(t->admin, cm_path(t, &p, "ssa"), a, FM_A, false, &o, &st);
	check(t, r == 0 && st.http_code == 200 && streq(jstr(o, "data.owned"), "a2"),
	      "apply updates own field", STF(st), STA(r, st));
	json_object_put(o);
	o = NULL;
	b = jparse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\","
	           "\"namespace\":\"%s\"},\"data\":{\"owned\":\"b\"}}",
	           t->ns);
	r = kube_apply(t->admin, cm_path(t, &p, "ssa"), b, FM_B, false, NULL, &st);
	check(t,
	      r == -EBUSY && st.http_code == 409 && streq(st.reason, "Conflict") &&
	          strstr(st.message, FM_A),
	      "apply by a second manager without force -> -EBUSY naming the owner", STF(st),
	      STA(r, st));
	r = kube_apply(t->admin, cm_path(t, &p, "ssa"), b, FM_B, true, &o, &st);
	check(t, r == 0 && streq(jstr(o, "data.owned"), "b"), "apply with force takes the field",
	      STF(st), STA(r, st));
	json_object_put(o);
	json_object_put(a);
	json_object_put(b);
	buf_free(&p);
}

/* --- status subresource on a test CRD ---------------------------------- */

static int wait_established(struct t *t, const char *path)
{
	struct kube_status st;
	int i;

	for (i = 0; i < 100; i++) {
		json_object *o = NULL, *conds;
		size_t k;

		if (kube_get(t->admin, path, &o, &st) == 0) {
			json_object *status = json_object_object_get(o, "status");

			conds = status ? json_object_object_get(status, "conditions") : NULL;
			for (k = 0; conds && k < json_object_array_length(conds); k++) {
				json_object *c = json_object_array_get_idx(conds, k);

				if (streq(jstr(c, "type"), "Established") &&
				    streq(jstr(c, "status"), "True")) {
					json_object_put(o);
					return 0;
				}
			}
		}
		json_object_put(o);
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static void test_status(struct t *t)
{
	const char *crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
	                       "widgets." CRD_GROUP;
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *crd, *w, *s, *o = NULL;
	int r, i;

	crd = jparse(
	    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
	    "\"metadata\":{\"name\":\"widgets." CRD_GROUP "\"},\"spec\":{\"group\":\"" CRD_GROUP
	    "\","
	    "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\","
	    "\"kind\":\"Widget\",\"listKind\":\"WidgetList\"},\"versions\":[{\"name\":\"v1\","
	    "\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":"
	    "{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":"
	    "\"object\","
	    "\"properties\":{\"size\":{\"type\":\"integer\"}}},\"status\":{\"type\":\"object\","
	    "\"properties\":{\"phase\":{\"type\":\"string\"}}}}}}}]}}");
	r = kube_apply(t->admin, crd_path, crd, FM_A, true, NULL, &st);
	check(t, r == 0, "apply a test CRD with a status subresource", STF(st), STA(r, st));
	json_object_put(crd);
	if (r < 0)
		goto out;
	r = wait_established(t, crd_path);
	check(t, r == 0, "test CRD becomes Established", "rc=%d", r);

	w = jparse("{\"apiVersion\":\"" CRD_GROUP "/v1\",\"kind\":\"Widget\",\"metadata\":"
	           "{\"name\":\"w1\",\"namespace\":\"%s\"},\"spec\":{\"size\":3},\"status\":"
	           "{\"phase\":\"ignored\"}}",
	           t->ns);
	if (kube_path(&p, CRD_GROUP, "v1", t->ns, "widgets", "w1", NULL) < 0)
		abort();
	/* discovery of a brand-new CRD can lag a little behind Established */
	for (i = 0; i < 50; i++) {
		r = kube_apply(t->admin, p.data, w, FM_A, true, &o, &st);
		if (r != -ENOENT)
			break;
		usleep(100000);
	}
	check(t, r == 0 && json_object_object_get_ex(o, "spec", NULL) && !jstr(o, "status.phase"),
	      "apply to the main resource drops status", STF(st), STA(r, st));
	json_object_put(o);
	o = NULL;
	json_object_put(w);
	buf_reset(&p);
	if (kube_path(&p, CRD_GROUP, "v1", t->ns, "widgets", "w1", "status") < 0)
		abort();
	s = jparse("{\"apiVersion\":\"" CRD_GROUP "/v1\",\"kind\":\"Widget\",\"metadata\":"
	           "{\"name\":\"w1\",\"namespace\":\"%s\"},\"status\":{\"phase\":\"Ready\"}}",
	           t->ns);
	r = kube_apply(t->admin, p.data, s, FM_A "-status", true, &o, &st);
	check(t, r == 0 && streq(jstr(o, "status.phase"), "Ready"),
	      "apply to the status subresource sets status", STF(st), STA(r, st));
	json_object_put(o);
	o = NULL;
	json_object_put(s);
	buf_reset(&p);
	if (kube_path(&p, CRD_GROUP, "v1", t->ns, "widgets", "w1", NULL) < 0)
		abort();
	r = kube_get(t->admin, p.data, &o, &st);
	{
		json_object *spec = o ? json_object_object_get(o, "spec") : NULL;
		json_object *size = spec ? json_object_object_get(spec, "size") : NULL;

		check(t,
		      r == 0 && streq(jstr(o, "status.phase"), "Ready") &&
		          json_object_get_int(size) == 3,
		      "status persisted, spec kept", STF(st), STA(r, st));
	}
	json_object_put(o);
out:
	buf_free(&p);
}

/* --- delete ------------------------------------------------------------- */

/* Poll until GET gives -ENOENT (true) or time runs out. */
static bool wait_gone(struct t *t, const char *path, int tenths)
{
	struct kube_status st;
	json_object *o = NULL;
	int i;

	for (i = 0; i < tenths; i++) {
		int r = kube_get(t->admin, path, &o, &st);

		json_object_put(o);
		o = NULL;
		if (r == -ENOENT)
			return true;
		usleep(100000);
	}
	return false;
}

static int create_child(struct t *t, const char *name, const char *owner, const char *uid)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *body = jparse(
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
	    "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"%s\","
	    "\"uid\":\"%s\",\"blockOwnerDeletion\":true}]}}",
	    name, owner, uid);
	int r = kube_create(t->admin, cm_path(t, &p, NULL), body, NULL, &st);

	json_object_put(body);
	buf_free(&p);
	return r;
}

static void test_delete(struct t *t)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *o = NULL;
	char uid[64];
	int r;

	r = create_cm(t, "del", NULL, &o, &st);
	snprintf(uid, sizeof(uid), "%s", r == 0 ? jstr(o, "metadata.uid") : "");
	json_object_put(o);
	o = NULL;
	r = kube_delete(t->admin, cm_path(t, &p, "del"), NULL,
	                "00000000-0000-0000-0000-000000000000", NULL, &st);
	check(t, r == -EBUSY && st.http_code == 409 && streq(st.reason, "Conflict"),
	      "delete with a wrong uid precondition -> -EBUSY Conflict", STF(st), STA(r, st));
	r = kube_delete(t->admin, cm_path(t, &p, "del"), "Background", uid, NULL, &st);
	check(t, r == 0 && wait_gone(t, cm_path(t, &p, "del"), 50),
	      "delete with the right uid precondition", STF(st), STA(r, st));
	r = kube_delete(t->admin, cm_path(t, &p, "del"), NULL, NULL, NULL, &st);
	check(t, r == -ENOENT && streq(st.reason, "NotFound"), "delete missing -> -ENOENT", STF(st),
	      STA(r, st));
	r = kube_delete(t->admin, cm_path(t, &p, "x"), "Sideways", NULL, NULL, &st);
	check(t, r == -EINVAL, "delete with a bad propagation policy -> -EINVAL", "rc=%d", r);

	/* Foreground: the garbage collector removes the child, then the owner */
	r = create_cm(t, "owner-fg", NULL, &o, &st);
	snprintf(uid, sizeof(uid), "%s", r == 0 ? jstr(o, "metadata.uid") : "");
	json_object_put(o);
	o = NULL;
	r = create_child(t, "child-fg", "owner-fg", uid);
	check(t, r == 0, "create a dependent with an ownerReference", "rc=%d", r);
	r = kube_delete(t->admin, cm_path(t, &p, "owner-fg"), "Foreground", NULL, NULL, &st);
	check(t, r == 0, "delete owner with Foreground propagation accepted", STF(st), STA(r, st));
	check(t,
	      wait_gone(t, cm_path(t, &p, "child-fg"), 300) &&
	          wait_gone(t, cm_path(t, &p, "owner-fg"), 300),
	      "foreground deletion removed dependent and owner", "still present after 30 s");

	/* Orphan: the dependent stays, its ownerReference goes */
	r = create_cm(t, "owner-or", NULL, &o, &st);
	snprintf(uid, sizeof(uid), "%s", r == 0 ? jstr(o, "metadata.uid") : "");
	json_object_put(o);
	o = NULL;
	r = create_child(t, "child-or", "owner-or", uid);
	r = r ? r : kube_delete(t->admin, cm_path(t, &p, "owner-or"), "Orphan", NULL, NULL, &st);
	check(t, r == 0 && wait_gone(t, cm_path(t, &p, "owner-or"), 300),
	      "delete owner with Orphan propagation", STF(st), STA(r, st));
	r = kube_get(t->admin, cm_path(t, &p, "child-or"), &o, &st);
	check(t,
	      r == 0 &&
	          !json_object_object_get(json_object_object_get(o, "metadata"), "ownerReferences"),
	      "orphaned dependent kept without ownerReferences", STF(st), STA(r, st));
	json_object_put(o);
	buf_free(&p);
}

/* --- list paging, concurrency ----------------------------------------- */

struct bulk {
	struct t *t;
	int from, to;
	int failures;
};

static void *bulk_create(void *ud)
{
	struct bulk *b = ud;
	struct kube_status st;
	char name[64];
	int i;

	for (i = b->from; i < b->to; i++) {
		snprintf(name, sizeof(name), "bulk-%04d", i);
		if (create_cm(b->t, name, i < BULK ? "\"bulk\":\"yes\"" : "\"bulk\":\"no\"", NULL,
		              &st) < 0)
			b->failures++;
	}
	return NULL;
}

static bool all_distinct_bulk(json_object *items)
{
	static char seen[BULK];
	size_t i, n = json_object_array_length(items);

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		const char *name = jstr(json_object_array_get_idx(items, i), "metadata.name");
		int64_t k;

		if (!name || strncmp(name, "bulk-", 5) ||
		    parse_i64(name + 5, 0, BULK - 1, &k) < 0 || seen[k])
			return false;
		seen[k] = 1;
	}
	return n == BULK;
}

static void test_list(struct t *t)
{
	struct bulk b[4];
	pthread_t th[4];
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *items = NULL;
	char *rv = NULL;
	int i, r, failures = 0, lists;
	double t0 = now_mono();

	for (i = 0; i < 4; i++) {
		b[i].t = t;
		b[i].from = i * (BULK + BULK_OTHER) / 4;
		b[i].to = (i + 1) * (BULK + BULK_OTHER) / 4;
		b[i].failures = 0;
		if (pthread_create(&th[i], NULL, bulk_create, &b[i]) != 0)
			abort();
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		failures += b[i].failures;
	}
	check(t, failures == 0, "create 640 ConfigMaps from 4 threads sharing one client",
	      "%d failed", failures);
	printf("     (%.1f s)\n", now_mono() - t0);

	t->lists = 0;
	r = kube_list(t->admin, cm_path(t, &p, NULL), "bulk=yes", &items, &rv, &st);
	lists = t->lists;
	check(t, r == 0 && all_distinct_bulk(items) && rv && *rv && lists >= 2,
	      "list with label selector, default page 500: 600 distinct items in >=2 pages",
	      STF(st) " items=%zu pages=%d", STA(r, st),
	      items ? json_object_array_length(items) : 0, lists);
	json_object_put(items);
	items = NULL;
	free(rv);
	rv = NULL;

	if (kube_client_set_list_page_size(t->admin, 100) < 0)
		abort();
	t->lists = 0;
	r = kube_list(t->admin, cm_path(t, &p, NULL), "bulk=yes", &items, &rv, &st);
	lists = t->lists;
	check(t, r == 0 && all_distinct_bulk(items) && lists >= 6,
	      "list with page size 100: 600 distinct items in >=6 pages",
	      STF(st) " items=%zu pages=%d", STA(r, st),
	      items ? json_object_array_length(items) : 0, lists);
	json_object_put(items);
	items = NULL;
	free(rv);
	rv = NULL;
	r = kube_list(t->admin, cm_path(t, &p, NULL), "bulk=no", &items, &rv, &st);
	check(t, r == 0 && json_object_array_length(items) == BULK_OTHER,
	      "list with another selector", STF(st), STA(r, st));
	json_object_put(items);
	items = NULL;
	free(rv);
	rv = NULL;
	r = kube_list(t->admin, cm_path(t, &p, NULL), "bulk in (yes,no),!missing", &items, &rv,
	              &st);
	check(t, r == 0 && json_object_array_length(items) == BULK + BULK_OTHER,
	      "list with a set-based selector (escaping)", STF(st), STA(r, st));
	json_object_put(items);
	free(rv);
	if (kube_client_set_list_page_size(t->admin, TK_LIST_PAGE_SIZE) < 0)
		abort();
	buf_free(&p);
}

/* --- watch -------------------------------------------------------------- */

struct seen {
	pthread_mutex_t lock;
	char log[8192]; /* "TYPE name;" */
	int bookmarks, events;
	int added_w, modified_w, deleted_w;
};

static int on_event(void *ud, const char *type, json_object *obj)
{
	struct seen *s = ud;
	const char *name = jstr(obj, "metadata.name");
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (strcmp(type, "BOOKMARK") == 0) {
		s->bookmarks++;
	} else {
		s->events++;
		n = strlen(s->log);
		snprintf(s->log + n, sizeof(s->log) - n, "%s %s;", type, name ? name : "?");
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

struct watcher {
	struct t *t;
	const char *selector;
	char *rv;
	int timeout_s;
	atomic_int stop;
	bool reconnect; /* loop across stream ends and errors */
	struct seen seen;
	int results[16]; /* return codes of each kube_watch */
	int nresults;
	struct kube_status st;
};

static void *watch_thread(void *ud)
{
	struct watcher *w = ud;
	struct buf p = BUF_INIT(1024);

	do {
		int r = kube_watch(w->t->admin, cm_path(w->t, &p, NULL), w->selector, &w->rv,
		                   w->timeout_s, &w->stop, on_event, &w->seen, &w->st);

		if (w->nresults < 16)
			w->results[w->nresults++] = r;
		if (r == -ECANCELED || !w->reconnect)
			break;
		if (r < 0)
			usleep(200000); /* server down: retry soon */
	} while (!w->stop);
	buf_free(&p);
	return NULL;
}

static bool wait_log(struct seen *s, const char *want, int tenths)
{
	int i;

	for (i = 0; i < tenths; i++) {
		bool ok;

		pthread_mutex_lock(&s->lock);
		ok = strstr(s->log, want) != NULL;
		pthread_mutex_unlock(&s->lock);
		if (ok)
			return true;
		usleep(100000);
	}
	return false;
}

static void watcher_init(struct watcher *w, struct t *t, const char *selector, const char *rv,
                         int timeout_s, bool reconnect)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
	w->selector = selector;
	w->rv = xstrdup(rv);
	w->timeout_s = timeout_s;
	w->reconnect = reconnect;
	pthread_mutex_init(&w->seen.lock, NULL);
}

static void watcher_free(struct watcher *w)
{
	free(w->rv);
	pthread_mutex_destroy(&w->seen.lock);
}

static void test_watch(struct t *t)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	struct watcher w;
	json_object *items = NULL, *patch;
	char *rv = NULL;
	pthread_t th;
	int r;

	r = kube_list(t->admin, cm_path(t, &p, NULL), "watch=yes", &items, &rv, &st);
	json_object_put(items);
	check(t, r == 0, "list before watch gives a resourceVersion", STF(st), STA(r, st));
	if (r < 0)
		goto out;
	/* timeoutSeconds 12: the watch cache sends a bookmark about 2 s
	 * before the deadline, then the server ends the stream */
	watcher_init(&w, t, "watch=yes", rv, 12, false);
	if (pthread_create(&th, NULL, watch_thread, &w) != 0)
		abort();
	usleep(300000);
	r = create_cm(t, "w1", "\"watch\":\"yes\"", NULL, &st);
	patch = jparse("{\"data\":{\"k\":\"changed\"}}");
	r = r ? r : kube_patch_merge(t->admin, cm_path(t, &p, "w1"), patch, NULL, &st);
	json_object_put(patch);
	r = r ? r : create_cm(t, "w-other", "\"watch\":\"no\"", NULL, &st);
	r = r ? r : kube_delete(t->admin, cm_path(t, &p, "w1"), NULL, NULL, NULL, &st);
	check(t, r == 0, "writes while watching", STF(st), STA(r, st));
	check(t, wait_log(&w.seen, "ADDED w1;MODIFIED w1;DELETED w1;", 100),
	      "watch delivers ADDED, MODIFIED, DELETED in order (selector applied)", "log: %s",
	      w.seen.log);
	pthread_join(th, NULL);
	check(t, w.nresults == 1 && w.results[0] == 0, "watch ends normally at timeoutSeconds",
	      "rc=%d", w.nresults ? w.results[0] : 99);
	check(t, w.seen.bookmarks >= 1 && strcmp(w.rv, rv) != 0,
	      "watch got a BOOKMARK and advanced the resourceVersion", "bookmarks=%d rv %s -> %s",
	      w.seen.bookmarks, rv, w.rv);
	check(t, strstr(w.seen.log, "w-other") == NULL, "label selector excluded other objects",
	      "log: %s", w.seen.log);
	watcher_free(&w);

	/* a stop flag ends a quiet watch promptly */
	watcher_init(&w, t, NULL, rv, 300, false);
	if (pthread_create(&th, NULL, watch_thread, &w) != 0)
		abort();
	usleep(500000);
	{
		double t0 = now_mono();

		w.stop = 1;
		pthread_join(th, NULL);
		check(t, w.results[0] == -ECANCELED && now_mono() - t0 < 3.0,
		      "stop flag ends a watch within a second or two", "rc=%d after %.1f s",
		      w.results[0], now_mono() - t0);
	}
	watcher_free(&w);

	/*
	 * Far too old a resourceVersion: the server says 410 Expired. The
	 * control plane runs podtemplates without a watch cache and the runner
	 * compacts etcd first, so etcd itself answers, whatever the timing.
	 */
	{
		char *old = xstrdup("1");
		struct seen s;

		memset(&s, 0, sizeof(s));
		pthread_mutex_init(&s.lock, NULL);
		buf_reset(&p);
		if (kube_path(&p, "", "v1", t->ns, "podtemplates", NULL, NULL) < 0)
			abort();
		r = kube_watch(t->admin, p.data, NULL, &old, 10, NULL, on_event, &s, &st);
		check(t, r == -ESTALE && (st.http_code == 410 || strstr(st.message, "too old")),
		      "watch from resourceVersion 1 -> -ESTALE (Expired)", STF(st), STA(r, st));
		pthread_mutex_destroy(&s.lock);
		free(old);
	}
out:
	free(rv);
	buf_free(&p);
}

/* The same list the reflector would do after -ESTALE, as events. */
static void relist_into(struct t *t, struct watcher *w)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	json_object *items = NULL;
	char *rv = NULL;
	size_t i;

	if (kube_list(t->admin, cm_path(t, &p, NULL), w->selector, &items, &rv, &st) == 0) {
		for (i = 0; i < json_object_array_length(items); i++) {
			json_object *o = json_object_array_get_idx(items, i);
			char want[128];

			snprintf(want, sizeof(want), "ADDED %s;", jstr(o, "metadata.name"));
			if (!strstr(w->seen.log, want))
				on_event(&w->seen, "ADDED", o);
		}
		free(w->rv);
		w->rv = rv;
		rv = NULL;
	}
	json_object_put(items);
	free(rv);
	buf_free(&p);
}

static int count_of(const char *log, const char *s)
{
	int n = 0;

	for (; (log = strstr(log, s)); log += strlen(s))
		n++;
	return n;
}

static void test_restart(struct t *t)
{
	struct buf p = BUF_INIT(1024), cmd = BUF_INIT(4096);
	struct kube_status st;
	struct watcher w;
	json_object *items = NULL;
	char *rv = NULL;
	pthread_t th;
	int r, i, stale = 0, rc;
	bool ok = true;

	r = kube_list(t->admin, cm_path(t, &p, NULL), "restart=yes", &items, &rv, &st);
	json_object_put(items);
	if (r < 0) {
		check(t, false, "list before the restart watch", STF(st), STA(r, st));
		goto out;
	}
	watcher_init(&w, t, "restart=yes", rv, 60, true);
	if (pthread_create(&th, NULL, watch_thread, &w) != 0)
		abort();
	usleep(300000);
	ok &= create_cm(t, "r1", "\"restart\":\"yes\"", NULL, &st) == 0;
	ok &= create_cm(t, "r2", "\"restart\":\"yes\"", NULL, &st) == 0;
	ok &= wait_log(&w.seen, "ADDED r2;", 100);
	if (buf_printf(&cmd, "%s %s >/dev/null 2>&1", t->restart, t->rundir) < 0)
		abort();
	rc = system(cmd.data);
	check(t, rc == 0, "restart-apiserver ran", "exit %d", rc);
	/* writes right after the restart, while the watch may still be
	 * reconnecting: none may be missed */
	for (i = 3; i <= 6; i++) {
		char name[32];
		int tries;

		snprintf(name, sizeof(name), "r%d", i);
		for (tries = 0; tries < 50; tries++) {
			r = create_cm(t, name, "\"restart\":\"yes\"", NULL, &st);
			if (r == 0 || r == -EEXIST)
				break;
			usleep(200000);
		}
		ok &= r == 0;
	}
	for (i = 0; i < 200 && !strstr(w.seen.log, "ADDED r6;"); i++) {
		usleep(100000);
		if (w.nresults && w.results[w.nresults - 1] == -ESTALE && stale < w.nresults) {
			stale = w.nresults; /* the reflector's answer: relist */
			w.stop = 1;
			pthread_join(th, NULL);
			relist_into(t, &w);
			w.stop = 0;
			w.nresults = 0;
			if (pthread_create(&th, NULL, watch_thread, &w) != 0)
				abort();
		}
	}
	w.stop = 1;
	pthread_join(th, NULL);
	printf("     (watch results after the restart:");
	for (i = 0; i < w.nresults; i++)
		printf(" %d", w.results[i]);
	printf("%s)\n", stale ? "; relisted after -ESTALE" : "");
	check(t, ok, "writes around the apiserver restart", STF(st), STA(r, st));
	for (i = 1; i <= 6; i++) {
		char want[32];

		snprintf(want, sizeof(want), "ADDED r%d;", i);
		ok &= count_of(w.seen.log, want) == 1;
	}
	check(t, ok, "re-watch from the last resourceVersion missed and repeated no event",
	      "log: %s", w.seen.log);
	watcher_free(&w);
out:
	free(rv);
	buf_free(&p);
	buf_free(&cmd);
}

/* --- authorisation ---------------------------------------------------- */

static int ignore_event(void *ud, const char *type, json_object *obj)
{
	(void)ud;
	(void)type;
	(void)obj;
	return 0;
}

static void test_nobody(struct t *t)
{
	struct buf p = BUF_INIT(1024), text = BUF_INIT(1 << 20), err = BUF_INIT(1024);
	struct kube_status st;
	struct kube_config *bad_cfg = NULL;
	struct kube_client *bad = NULL;
	json_object *o = NULL;
	char *rv = xstrdup(""), *tok;
	size_t len;
	int r;

	r = kube_get(t->nobody, cm_path(t, &p, "cm1"), &o, &st);
	check(t, r == -EACCES && st.http_code == 403 && streq(st.reason, "Forbidden") && !o,
	      "nobody: get -> -EACCES Forbidden", STF(st), STA(r, st));
	r = kube_list(t->nobody, cm_path(t, &p, NULL), NULL, &o, &rv, &st);
	check(t, r == -EACCES && streq(st.reason, "Forbidden"), "nobody: list -> -EACCES", STF(st),
	      STA(r, st));
	r = kube_watch(t->nobody, cm_path(t, &p, NULL), NULL, &rv, 5, NULL, ignore_event, NULL,
	               &st);
	check(t, r == -EACCES && streq(st.reason, "Forbidden"), "nobody: watch -> -EACCES", STF(st),
	      STA(r, st));
	r = create_cm(t, "x", NULL, NULL, &st); /* sanity: admin still fine */
	check(t, r == 0, "admin unaffected", STF(st), STA(r, st));
	free(rv);

	/* a token the server does not know: 401 -> -EPERM, no token in st */
	{
		char *data = NULL;
		struct buf path = BUF_INIT(4096);

		if (buf_printf(&path, "%s/nobody.kubeconfig", t->rundir) < 0 ||
		    read_file(path.data, 1 << 20, &data, &len) < 0)
			abort();
		tok = strstr(data, "token: ");
		if (tok)
			memset(tok + 7, 'x', strcspn(tok + 7, "\n"));
		r = kubecfg_parse(data, len, t->rundir, &bad_cfg, &err);
		r = r ? r : kube_client_new(bad_cfg, UA, 10000, &bad);
		r = r ? r : kube_get(bad, cm_path(t, &p, "cm1"), NULL, &st);
		check(t,
		      r == -EPERM && st.http_code == 401 && streq(st.reason, "Unauthorized") &&
		          !strstr(st.message, "xxxxxxxx"),
		      "unknown token -> -EPERM Unauthorized", STF(st), STA(r, st));
		free(data);
		buf_free(&path);
	}
	kube_client_free(bad);
	kubecfg_free(bad_cfg);
	buf_free(&p);
	buf_free(&text);
	buf_free(&err);
}

/* A token file (like a projected SA token) rotated while in use. */
static void test_token_file(struct t *t)
{
	struct buf text = BUF_INIT(1 << 20), err = BUF_INIT(1024), p = BUF_INIT(1024);
	const char *admin_tok = getenv("ADMIN_TOKEN");
	struct kube_config *cfg = NULL;
	struct kube_client *c = NULL;
	struct kube_status st;
	char tokpath[256];
	FILE *f;
	int r;

	if (!admin_tok) {
		check(t, false, "token file rotation", "ADMIN_TOKEN not in the environment");
		return;
	}
	snprintf(tokpath, sizeof(tokpath), "%s/kube-client-test.token", t->rundir);
	f = fopen(tokpath, "w");
	if (!f || fputs("not-a-valid-token\n", f) < 0 || fclose(f) != 0)
		abort();
	if (buf_printf(&text,
	               "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
	               "clusters: [{name: c, cluster: {server: \"%s\", certificate-authority: "
	               "pki/ca.crt}}]\n"
	               "users: [{name: u, user: {tokenFile: kube-client-test.token}}]\n",
	               kubecfg_server(t->admin_cfg)) < 0)
		abort();
	r = kubecfg_parse(text.data, text.len, t->rundir, &cfg, &err);
	r = r ? r : kube_client_new(cfg, UA, 10000, &c);
	r = r ? r : kube_get(c, cm_path(t, &p, "cm1"), NULL, &st);
	check(t, r == -EPERM, "tokenFile with a bad token -> -EPERM (CA from a file path)", STF(st),
	      STA(r, st));
	f = fopen(tokpath, "w");
	if (!f || fprintf(f, "%s\n", admin_tok) < 0 || fclose(f) != 0)
		abort();
	r = c ? kube_get(c, cm_path(t, &p, "cm1"), NULL, &st) : -EINVAL;
	check(t, r == 0, "rotated token file is picked up on the next request", STF(st),
	      STA(r, st));
	kube_client_free(c);
	kubecfg_free(cfg);
	unlink(tokpath);
	buf_free(&text);
	buf_free(&err);
	buf_free(&p);
}

static void cleanup(struct t *t)
{
	struct buf p = BUF_INIT(1024);
	struct kube_status st;
	int r;

	if (kube_path(&p, "", "v1", NULL, "namespaces", t->ns, NULL) < 0)
		abort();
	r = kube_delete(t->admin, p.data, "Background", NULL, NULL, &st);
	check(t, r == 0, "delete the test namespace", STF(st), STA(r, st));
	r = kube_delete(
	    t->admin, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets." CRD_GROUP,
	    NULL, NULL, NULL, &st);
	check(t, r == 0 || r == -ENOENT, "delete the test CRD", STF(st), STA(r, st));
	buf_free(&p);
}

int main(int argc, char **argv)
{
	struct t t;

	if (argc != 3) {
		fprintf(stderr, "usage: kube_client <rundir> <restart-apiserver script>\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&t, 0, sizeof(t));
	t.rundir = argv[1];
	t.restart = argv[2];
	pthread_mutex_init(&t.obs_lock, NULL);
	snprintf(t.ns, sizeof(t.ns), "kube-client-%ld", (long)getpid());
	if (load_client(&t, "admin.kubeconfig", &t.admin_cfg, &t.admin) < 0 ||
	    load_client(&t, "nobody.kubeconfig", &t.nobody_cfg, &t.nobody) < 0) {
		fprintf(stderr, "cannot load the kubeconfigs of %s\n", t.rundir);
		return 2;
	}
	kube_client_set_observer(t.admin, observer, &t);
	test_namespace(&t);
	test_crud(&t);
	test_apply(&t);
	test_status(&t);
	test_delete(&t);
	test_list(&t);
	test_watch(&t);
	test_nobody(&t);
	test_token_file(&t);
	test_restart(&t);
	cleanup(&t);
	kube_client_free(t.admin);
	kube_client_free(t.nobody);
	kubecfg_free(t.admin_cfg);
	kubecfg_free(t.nobody_cfg);
	pthread_mutex_destroy(&t.obs_lock);
	printf("%d passed, %d failed\n", t.pass, t.fail);
	return t.fail ? 1 : 0;
}
