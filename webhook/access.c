/* access.c - SubjectAccessReview checks, the finalizer guard and
 * reference warnings: pure decisions first, then the API calls. */
#include "compat.h"

#include "access.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "cache.h"
#include "jsonutil.h"
#include "limits.h"
#include "names.h"
#include "runtime/kmap.h"
#include "schema.h"

/*
 * Answers "allowed" of SubjectAccessReviews, kept ttl_ms (access_set_cache):
 * key, the SHA-256 of the review's spec (user, uid, groups, extra and the
 * question), -> an int64_t * expiry on the monotonic clock. At most
 * ACCESS_SAR_CACHE_MAX entries; when full, expired ones go first, and
 * nothing new is kept while none has expired.
 */
struct acc_sarcache {
	pthread_mutex_t mu;
	struct kmap *answers;
	int64_t ttl_ms; /* 0: nothing is kept */
};

struct access {
	struct kube_client *kube; /* NULL: --no-cluster-checks */
	char *controller_user;    /* owned */
	struct cache *cache;      /* borrowed; NULL: every read is a live call */
	struct acc_sarcache sars;
};

/*
 * The questions one request has had answered: an open-addressing hash set
 * of their keys, so asking again costs O(1) and a request's checks stay
 * linear in the number of questions (bounded by TK_MAX_ACCESS_QUESTIONS
 * for the rules, by the list limits for Secrets and references).
 */
struct acc_seen {
	char **keys;   /* owned; NULL: free slot */
	bool *refused; /* the answer for keys[i] */
	size_t cap, n; /* cap is 0 or a power of two */
};

static size_t acc_hash(const char *s)
{
	size_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot of key, or the free slot where it would go (cap > n). */
static size_t acc_seen_slot(const struct acc_seen *t, const char *key)
{
	size_t i = acc_hash(key) & (t->cap - 1);

	while (t->keys[i] && strcmp(t->keys[i], key) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* 1 refused, 0 allowed, -ENOENT not asked yet. */
static int acc_seen_get(const struct acc_seen *t, const char *key)
{
	size_t i;

	if (!t->n)
		return -ENOENT;
	i = acc_seen_slot(t, key);
	return t->keys[i] ? t->refused[i] : -ENOENT;
}

static int acc_seen_grow(struct acc_seen *t)
{
	struct acc_seen g = {0};
	size_t i;

	g.cap = t->cap ? t->cap * 2 : 64;
	g.keys = calloc(g.cap, sizeof(*g.keys));
	g.refused = calloc(g.cap, sizeof(*g.refused));
	if (!g.keys || !g.refused) {
		free(g.keys);
		free(g.refused);
		return -ENOMEM;
	}
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->keys[i])
			continue;
		j = acc_seen_slot(&g, t->keys[i]);
		g.keys[j] = t->keys[i];
		g.refused[j] = t->refused[i];
	}
	g.n = t->n;
	free(t->keys);
	free(t->refused);
	*t = g;
	return 0;
}

/* Record a new key's answer (the key is copied). 0 or -ENOMEM. */
static int acc_seen_put(struct acc_seen *t, const char *key, bool refused)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap && acc_seen_grow(t) < 0)
		return -ENOMEM;
	i = acc_seen_slot(t, key);
	if (!t->keys[i]) {
		t->keys[i] = xstrdup(key);
		if (!t->keys[i])
			return -ENOMEM;
		t->n++;
	}
	t->refused[i] = refused;
	return 0;
}

static void acc_seen_free(struct acc_seen *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->refused);
	memset(t, 0, sizeof(*t));
}

/* State of one request's checks. */
struct access_run {
	struct access *a;
	const struct admission_request *req;
	const char *ns;
	int64_t deadline; /* now_ms() value after which no call starts */
	int64_t budget_ms;
	bool failed;          /* the API could not answer; denial recorded */
	struct acc_seen seen; /* questions already answered */
	struct fielderrs *denials;
	struct strlist *warnings;
};

struct access *access_new(struct kube_client *kube, const char *controller_user)
{
	struct access *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->kube = kube;
	a->controller_user = xstrdup(controller_user ? controller_user : "");
	a->sars.answers = kmap_new();
	if (!a->controller_user || !a->sars.answers) {
		kmap_free(a->sars.answers, NULL);
		free(a->controller_user);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->sars.mu, NULL);
	return a;
}

void access_set_cache(struct access *a, struct cache *cache, int64_t sar_ttl_ms)
{
	a->cache = cache;
	a->sars.ttl_ms = sar_ttl_ms > 0 ? sar_ttl_ms : 0;
}

void access_free(struct access *a)
{
	if (!a)
		return;
	kmap_free(a->sars.answers, free);
	pthread_mutex_destroy(&a->sars.mu);
	free(a->controller_user);
	free(a);
}

/* The cache key of a review: SHA-256 of its spec, hex. */
static void acc_sar_key(json_object *sar, char out[65])
{
	const char *s =
	    json_object_to_json_string_ext(jsonutil_get(sar, "spec"), JSON_C_TO_STRING_PLAIN);

	sha256_hex(s, strlen(s), out);
}

/* Whether an unexpired "allowed" for key is kept. */
static bool acc_sar_cached(struct acc_sarcache *c, const char *key)
{
	int64_t *until;
	bool hit;

	if (c->ttl_ms == 0)
		return false;
	pthread_mutex_lock(&c->mu);
	until = kmap_get(c->answers, key);
	hit = until && *until > now_ms();
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static int acc_sar_collect_expired(void *ud, const char *key, void *val)
{
	struct strlist *gone = ud;

	if (*(int64_t *)val > now_ms())
		return 0;
	return strlist_add(gone, key) < 0 ? -ENOMEM : 0;
}

/* Keep "allowed" for key ttl_ms. Best effort: a full cache or no memory
 * only means the next request asks again. */
static void acc_sar_keep(struct acc_sarcache *c, const char *key)
{
	struct strlist gone = {0};
	int64_t *until, *old = NULL;
	size_t i;

	if (c->ttl_ms == 0)
		return;
	until = malloc(sizeof(*until));
	if (!until)
		return;
	*until = now_ms() + c->ttl_ms;
	pthread_mutex_lock(&c->mu);
	if (kmap_len(c->answers) >= ACCESS_SAR_CACHE_MAX &&
	    kmap_each(c->answers, acc_sar_collect_expired, &gone) == 0)
		for (i = 0; i < gone.n; i++)
			free(kmap_del(c->answers, gone.v[i]));
	if (kmap_len(c->answers) < ACCESS_SAR_CACHE_MAX &&
	    kmap_put(c->answers, key, until, (void **)&old) == 0)
		until = NULL;
	pthread_mutex_unlock(&c->mu);
	free(old);
	free(until);
	strlist_free(&gone);
}

static int acc_add_str(json_object *o, const char *key, const char *v)
{
	json_object *s;

	if (!v || !*v)
		return 0;
	s = json_object_new_string(v);
	if (!s || json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int acc_add_obj(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static json_object *acc_attrs(const struct access_attrs *a)
{
	json_object *o = json_object_new_object();
	int r = o ? 0 : -ENOMEM;

	if (a->path) {
		if (r == 0)
			r = acc_add_str(o, "path", a->path);
		if (r == 0)
			r = acc_add_str(o, "verb", a->verb);
	} else {
		if (r == 0)
			r = acc_add_str(o, "namespace", a->namespace);
		if (r == 0)
			r = acc_add_str(o, "verb", a->verb);
		/* The core group is "": leave it absent, which means the same. */
		if (r == 0)
			r = acc_add_str(o, "group", a->group);
		if (r == 0)
			r = acc_add_str(o, "resource", a->resource);
		if (r == 0)
			r = acc_add_str(o, "subresource", a->subresource);
		if (r == 0)
			r = acc_add_str(o, "name", a->name);
	}
	if (r < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *access_sar_new(const struct admission_request *req, const struct access_attrs *a)
{
	json_object *sar = json_object_new_object(), *spec = json_object_new_object();
	int r = sar && spec ? 0 : -ENOMEM;

	if (r == 0)
		r = acc_add_str(sar, "apiVersion", "authorization.k8s.io/v1");
	if (r == 0)
		r = acc_add_str(sar, "kind", "SubjectAccessReview");
	if (r == 0)
		r = acc_add_str(spec, "user", req->username);
	if (r == 0)
		r = acc_add_str(spec, "uid", req->user_uid);
	if (r == 0 && req->groups)
		r = acc_add_obj(spec, "groups", json_object_get(req->groups));
	if (r == 0 && req->extra)
		r = acc_add_obj(spec, "extra", json_object_get(req->extra));
	if (r == 0)
		r = acc_add_obj(spec, a->path ? "nonResourceAttributes" : "resourceAttributes",
		                acc_attrs(a));
	if (r == 0) {
		r = acc_add_obj(sar, "spec", spec);
		spec = NULL;
	}
	json_object_put(spec);
	if (r < 0) {
		json_object_put(sar);
		return NULL;
	}
	return sar;
}

int access_sar_allowed(json_object *sar)
{
	json_object *st, *allowed;

	if (!json_object_object_get_ex(sar, "status", &st) ||
	    !json_object_is_type(st, json_type_object))
		return -EPROTO;
	if (json_object_object_get_ex(st, "allowed", &allowed) &&
	    json_object_is_type(allowed, json_type_boolean) && json_object_get_boolean(allowed))
		return 1;
	return 0;
}

/* Record that the API could not answer, once per request. */
static void acc_fail(struct access_run *run, const char *path, const char *why)
{
	if (run->failed)
		return;
	run->failed = true;
	fielderrs_add(run->denials, FE_FORBIDDEN, path, NULL,
	              "cannot verify the permissions of user \"%s\": %s", run->req->username, why);
}

/*
 * Ask one question, once per request. Returns 1 allowed, 0 refused, -EIO
 * when the API did not answer (a denial is already recorded), -ENOMEM.
 */
static int acc_ask(struct access_run *run, const char *path, const struct access_attrs *at)
{
	struct kube_status st = {0};
	struct buf key = BUF_INIT(8192), why = BUF_INIT(2048);
	json_object *sar = NULL, *ans = NULL;
	char sar_key[65];
	int r;

	r = buf_printf(&key, "%s\n%s\n%s\n%s\n%s\n%s\n%s", at->verb, at->group ? at->group : "",
	               at->resource ? at->resource : "", at->subresource ? at->subresource : "",
	               at->name ? at->name : "", at->namespace ? at->namespace : "",
	               at->path ? at->path : "");
	if (r < 0)
		goto out;
	r = acc_seen_get(&run->seen, key.data);
	if (r >= 0) {
		r = !r;
		goto out;
	}
	if (run->failed) {
		r = -EIO;
		goto out;
	}
	if (now_ms() >= run->deadline) {
		buf_sayf(&why, "the API server did not answer within %lld ms",
		         (long long)run->budget_ms);
		acc_fail(run, path, why.data);
		r = -EIO;
		goto out;
	}
	sar = access_sar_new(run->req, at);
	if (!sar) {
		r = -ENOMEM;
		goto out;
	}
	acc_sar_key(sar, sar_key);
	if (acc_sar_cached(&run->a->sars, sar_key)) {
		r = 1;
		goto remember;
	}
	r = kube_create(run->a->kube, ACCESS_SAR_PATH, sar, &ans, &st);
	if (r == -ENOMEM)
		goto out;
	if (r == 0)
		r = access_sar_allowed(ans);
	if (r == 1)
		acc_sar_keep(&run->a->sars, sar_key);
	if (r < 0) {
		buf_sayf(&why, "subjectaccessreview failed: %s",
		         st.message[0] ? st.message : strerror(-r));
		acc_fail(run, path, why.data);
		r = -EIO;
		goto out;
	}
remember:
	if (acc_seen_put(&run->seen, key.data, r == 0) < 0)
		r = -ENOMEM;
out:
	json_object_put(sar);
	json_object_put(ans);
	buf_free(&key);
	buf_free(&why);
	return r;
}

static json_object *acc_spec_field(json_object *obj, const char *key, json_type t)
{
	return jsonutil_get_type(jsonutil_get_type(obj, "spec", json_type_object), key, t);
}

/* A non-empty string member of spec, or NULL. */
static const char *acc_spec_str(json_object *obj, const char *key)
{
	const char *s = jsonutil_str(jsonutil_get(obj, "spec"), key);

	return s && *s ? s : NULL;
}

/* metadata.name of obj, or "" */
static const char *acc_meta_name(json_object *obj)
{
	const char *s = jsonutil_meta(obj, "name");

	return s ? s : "";
}

/* ---- Secret references ---- */

/* Where a kind names a Secret: spec.<list>[i].<keys...> or spec.<keys...>. */
static const struct acc_secret_field {
	enum tk_kind kind;
	const char *list; /* NULL: the reference is directly under spec */
	const char *keys[3];
} acc_secret_fields[] = {
    {TK_AGENTJOB, "env", {"valueFrom", "secretKeyRef", "name"}},
    {TK_AGENTJOB, "envFrom", {"secretRef", "name", NULL}},
    {TK_AGENTJOB, "imagePullSecrets", {"name", NULL, NULL}},
    {TK_MCPSERVER, "env", {"valueFrom", "secretKeyRef", "name"}},
    {TK_MCPSERVER, "envFrom", {"secretRef", "name", NULL}},
    {TK_AGENTAUTH, NULL, {"secretRef", "name", NULL}},
    {TK_REPOSITORY, NULL, {"tokenSecretRef", "name", NULL}},
};

/* One reference: name borrowed from the object, path owned. */
struct acc_secret {
	const char *name;
	char *path;
	size_t order;
};

struct acc_secrets {
	struct acc_secret *v;
	size_t n, cap;
};

static void acc_secrets_free(struct acc_secrets *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int acc_secrets_add(struct acc_secrets *s, const char *name, struct buf *path)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct acc_secret *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].name = name;
	s->v[s->n].path = buf_steal(path);
	if (!s->v[s->n].path)
		return -ENOMEM;
	s->v[s->n].order = s->n;
	s->n++;
	return 0;
}

/* Follow f's keys from o; add the name found there, with its path. */
static int acc_secret_at(struct acc_secrets *s, const struct acc_secret_field *f, json_object *o,
                         size_t idx)
{
	struct buf path = BUF_INIT(1024);
	size_t k;
	int r;

	for (k = 0; o && k < TK_ARRAY_LEN(f->keys) && f->keys[k]; k++)
		o = jsonutil_get_type(o, f->keys[k],
		                      k + 1 < TK_ARRAY_LEN(f->keys) && f->keys[k + 1]
		                          ? json_type_object
		                          : json_type_string);
	if (!o || !*json_object_get_string(o))
		return 0;
	r = f->list ? buf_printf(&path, "spec.%s[%zu]", f->list, idx) : buf_puts(&path, "spec");
	for (k = 0; r == 0 && k < TK_ARRAY_LEN(f->keys) && f->keys[k]; k++)
		r = buf_printf(&path, ".%s", f->keys[k]);
	if (r == 0)
		r = acc_secrets_add(s, json_object_get_string(o), &path);
	buf_free(&path);
	return r < 0 ? -ENOMEM : 0;
}

/* Every Secret reference of obj (a kind k object), in field order. */
static int acc_secrets_of(enum tk_kind k, json_object *obj, struct acc_secrets *s)
{
	json_object *spec = jsonutil_get_type(obj, "spec", json_type_object);
	size_t i, j;
	int r = 0;

	for (i = 0; r == 0 && spec && i < TK_ARRAY_LEN(acc_secret_fields); i++) {
		const struct acc_secret_field *f = &acc_secret_fields[i];
		json_object *list;

		if (f->kind != k)
			continue;
		if (!f->list) {
			r = acc_secret_at(s, f, spec, 0);
			continue;
		}
		list = jsonutil_get_type(spec, f->list, json_type_array);
		for (j = 0; r == 0 && list && j < json_object_array_length(list); j++)
			r = acc_secret_at(s, f, json_object_array_get_idx(list, j), j);
	}
	return r;
}

static int acc_secret_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct acc_secret *)a)->name, ((const struct acc_secret *)b)->name);
}

static int acc_secret_cmp_name_order(const void *a, const void *b)
{
	const struct acc_secret *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int acc_secret_cmp_order(const void *a, const void *b)
{
	const struct acc_secret *x = a, *y = b;

	return (x->order > y->order) - (x->order < y->order);
}

/* Keep the first reference of each name (s sorted by name, then order). */
static void acc_secrets_unique(struct acc_secrets *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		if (n && strcmp(s->v[n - 1].name, s->v[i].name) == 0) {
			free(s->v[i].path);
			continue;
		}
		s->v[n++] = s->v[i];
	}
	s->n = n;
}

int access_new_secrets(const struct admission_request *req, struct strlist *names,
                       struct strlist *paths)
{
	struct acc_secrets now = {0}, old = {0};
	size_t i;
	int r;

	r = acc_secrets_of(req->kind, req->object, &now);
	if (r == 0 && req->op == ADM_OP_UPDATE)
		r = acc_secrets_of(req->kind, req->old_object, &old);
	if (r < 0)
		goto out;
	if (now.n)
		qsort(now.v, now.n, sizeof(*now.v), acc_secret_cmp_name_order);
	acc_secrets_unique(&now);
	if (old.n)
		qsort(old.v, old.n, sizeof(*old.v), acc_secret_cmp_name);
	/* Back to the order of first reference, for a readable denial. */
	if (now.n)
		qsort(now.v, now.n, sizeof(*now.v), acc_secret_cmp_order);
	for (i = 0; r == 0 && i < now.n; i++) {
		if (old.n && bsearch(&now.v[i], old.v, old.n, sizeof(*old.v), acc_secret_cmp_name))
			continue;
		r = strlist_add(names, now.v[i].name);
		if (r == 0)
			r = strlist_add(paths, now.v[i].path);
	}
out:
	acc_secrets_free(&now);
	acc_secrets_free(&old);
	return r;
}

/* ---- AgentJobs that run an object with a ClusterAccess ---- */

/* The AgentJob fields that reference each kind. */
static const struct {
	enum tk_kind kind;
	const char *field;
	bool many;
} acc_ref_fields[] = {
    {TK_AGENTRUNTIME, "runtimeRef", false}, {TK_AGENTAUTH, "authRef", false},
    {TK_AGENTROLE, "roleRef", false},       {TK_AGENTSKILL, "skillRef", false},
    {TK_MCPSERVER, "mcpServerRefs", true},  {TK_REPOSITORY, "repositoryRefs", true},
};

/* An AgentJob that uses the object: both strings borrowed from items. */
struct acc_user {
	const char *ca, *job;
};

static int acc_user_cmp(const void *a, const void *b)
{
	const struct acc_user *x = a, *y = b;
	int c = strcmp(x->ca, y->ca);

	return c ? c : strcmp(x->job, y->job);
}

/* Whether AgentJob aj's field (one name or a list) names name. */
static bool acc_names(json_object *aj, const char *field, bool many, const char *name)
{
	json_object *list;
	size_t i;

	if (!many) {
		const char *v = acc_spec_str(aj, field);

		return v && strcmp(v, name) == 0;
	}
	list = acc_spec_field(aj, field, json_type_array);
	for (i = 0; list && i < json_object_array_length(list); i++) {
		const char *v = jsonutil_as_str(json_object_array_get_idx(list, i));

		if (v && strcmp(v, name) == 0)
			return true;
	}
	return false;
}

int access_users_of(json_object *items, enum tk_kind k, const char *name, struct strlist *jobs,
                    struct strlist *cas)
{
	struct acc_user *u = NULL;
	size_t i, n = 0, len;
	int f = -1, r = 0;

	for (i = 0; i < TK_ARRAY_LEN(acc_ref_fields); i++)
		if (acc_ref_fields[i].kind == k)
			f = (int)i;
	if (f < 0 || !name || !*name || !json_object_is_type(items, json_type_array))
		return 0;
	len = json_object_array_length(items);
	u = calloc(len ? len : 1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		json_object *aj = json_object_array_get_idx(items, i);
		const char *ca = acc_spec_str(aj, "clusterAccessRef");

		if (!ca || !*acc_meta_name(aj) ||
		    !acc_names(aj, acc_ref_fields[f].field, acc_ref_fields[f].many, name))
			continue;
		u[n].ca = ca;
		u[n].job = acc_meta_name(aj);
		n++;
	}
	if (n)
		qsort(u, n, sizeof(*u), acc_user_cmp);
	for (i = 0; r == 0 && i < n; i++) {
		r = strlist_add(jobs, u[i].job);
		if (r == 0)
			r = strlist_add(cas, u[i].ca);
	}
	free(u);
	return r;
}

/* ---- env names the controller sets ---- */

int access_ref_learn(json_object *obj, struct access_ref_obj *r)
{
	const char *auth = acc_spec_str(obj, "authEnvVar");

	free(r->auth_env);
	r->auth_env = NULL;
	r->has_token = acc_spec_field(obj, "tokenSecretRef", json_type_object) != NULL;
	if (auth && !(r->auth_env = strdup(auth)))
		return -ENOMEM;
	return 0;
}

void access_ref_obj_free(struct access_ref_obj *r)
{
	free(r->auth_env);
	r->auth_env = NULL;
}

static bool acc_repo_sets_token(const struct access_ref_obj *repo)
{
	return repo->unknown || repo->has_token;
}

/* Deny env entry path: kind name (a reference of the AgentJob) sets it, or
 * may set it when the object could not be read. */
static void acc_env_deny(struct fielderrs *denials, const char *path, const char *env,
                         const char *kind, const char *name, bool unknown, const char *field,
                         const char *fix)
{
	if (unknown)
		fielderrs_add_str(
		    denials, FE_INVALID, path, env,
		    "cannot verify that thurkube does not set it: %s \"%s\" could not be "
		    "read",
		    kind, name ? name : "");
	else
		fielderrs_add_str(denials, FE_INVALID, path, env,
		                  "is set by thurkube from %s \"%s\" (%s); %s", kind,
		                  name ? name : "", field, fix);
}

int access_env_conflicts(json_object *aj, const struct access_ref_obj *runtime,
                         const struct access_ref_obj *repos, size_t n_repos,
                         struct fielderrs *denials)
{
	static const char repo_fix[] = "remove it here or remove the Repository's token";
	json_object *env = acc_spec_field(aj, "env", json_type_array);
	json_object *refs = acc_spec_field(aj, "repositoryRefs", json_type_array);
	const char *rt = acc_spec_str(aj, "runtimeRef");
	const char *auth = runtime ? runtime->auth_env : NULL;
	size_t i, len = env ? json_object_array_length(env) : 0, gh = n_repos;
	char path[64];

	/* GH_TOKEN comes from the first Repository with a token. */
	for (i = 0; i < n_repos && gh == n_repos; i++)
		if (acc_repo_sets_token(&repos[i]))
			gh = i;
	for (i = 0; i < len; i++) {
		json_object *it = json_object_array_get_idx(env, i);
		json_object *nv = jsonutil_get_type(it, "name", json_type_string);
		const char *name = nv ? json_object_get_string(nv) : NULL;
		long k;

		if (!name || !*name)
			continue;
		snprintf(path, sizeof(path), "spec.env[%zu].name", i);
		if (runtime && (runtime->unknown || (auth && strcmp(name, auth) == 0))) {
			acc_env_deny(denials, path, name, "AgentRuntime", rt, runtime->unknown,
			             "spec.authEnvVar",
			             "rename it here or change the AgentRuntime's authEnvVar");
			continue;
		}
		k = names_repo_token_index(name);
		if (strcmp(name, NAMES_ENV_GH_TOKEN) == 0 && gh < n_repos)
			acc_env_deny(denials, path, name, "Repository",
			             jsonutil_as_str(json_object_array_get_idx(refs, gh)),
			             repos[gh].unknown, "spec.tokenSecretRef", repo_fix);
		else if (k >= 0 && (size_t)k < n_repos && acc_repo_sets_token(&repos[k]))
			acc_env_deny(denials, path, name, "Repository",
			             jsonutil_as_str(json_object_array_get_idx(refs, (size_t)k)),
			             repos[k].unknown, "spec.tokenSecretRef", repo_fix);
	}
	return denials->oom ? -ENOMEM : 0;
}

/* ---- finalizer guard ---- */

static bool acc_has_finalizer(json_object *obj)
{
	json_object *f = jsonutil_get_type(jsonutil_get_type(obj, "metadata", json_type_object),
	                                   "finalizers", json_type_array);
	size_t i;

	for (i = 0; f && i < json_object_array_length(f); i++) {
		const char *v = jsonutil_as_str(json_object_array_get_idx(f, i));

		if (v && strcmp(v, NAMES_FINALIZER) == 0)
			return true;
	}
	return false;
}

bool access_finalizer_guarded(const struct admission_request *req, const char *controller_user)
{
	if (req->op != ADM_OP_UPDATE || (req->kind != TK_AGENTJOB && req->kind != TK_CLUSTERACCESS))
		return false;
	if (!acc_has_finalizer(req->old_object) || acc_has_finalizer(req->object))
		return false;
	return !controller_user || strcmp(req->username, controller_user) != 0;
}

/* Ask about one resource permission of rule i; record a denial if refused. */
static int acc_rule_resource(struct access_run *run, const char *path, const char *verb,
                             const char *group, const char *resource, const char *name)
{
	struct access_attrs at = {0};
	char *res = xstrdup(resource), *slash;
	int r;

	if (!res)
		return -ENOMEM;
	/* "pods/log" is resource "pods", subresource "log". */
	slash = strchr(res, '/');
	if (slash)
		*slash = '\0';
	at.verb = verb;
	at.group = group;
	at.resource = res;
	at.subresource = slash ? slash + 1 : NULL;
	at.name = name;
	r = acc_ask(run, path, &at);
	free(res);
	if (r != 0) /* 1 held, -EIO already denied, -ENOMEM */
		return r < 0 && r != -EIO ? r : 0;
	if (name && *name)
		fielderrs_add(
		    run->denials, FE_FORBIDDEN, path, NULL,
		    "user \"%s\" may not grant \"%s\" on \"%s\" named \"%s\" (apiGroup \"%s\") "
		    "cluster-wide",
		    run->req->username, verb, resource, name, group);
	else
		fielderrs_add(
		    run->denials, FE_FORBIDDEN, path, NULL,
		    "user \"%s\" may not grant \"%s\" on \"%s\" (apiGroup \"%s\") cluster-wide",
		    run->req->username, verb, resource, group);
	return 0;
}

static int acc_rule_url(struct access_run *run, const char *path, const char *verb, const char *url)
{
	struct access_attrs at = {0};
	int r;

	at.verb = verb;
	at.path = url;
	r = acc_ask(run, path, &at);
	if (r != 0)
		return r < 0 && r != -EIO ? r : 0;
	fielderrs_add(run->denials, FE_FORBIDDEN, path, NULL,
	              "user \"%s\" may not grant \"%s\" on non-resource URL \"%s\"",
	              run->req->username, verb, url);
	return 0;
}

/* Every (verb, group, resource, name) and (verb, url) tuple of one rule. */
static int acc_rule(struct access_run *run, json_object *rule, size_t i)
{
	json_object *verbs = jsonutil_get_type(rule, "verbs", json_type_array);
	json_object *groups = jsonutil_get_type(rule, "apiGroups", json_type_array);
	json_object *res = jsonutil_get_type(rule, "resources", json_type_array);
	json_object *names = jsonutil_get_type(rule, "resourceNames", json_type_array);
	json_object *urls = jsonutil_get_type(rule, "nonResourceURLs", json_type_array);
	size_t nv = verbs ? json_object_array_length(verbs) : 0;
	size_t ng = groups ? json_object_array_length(groups) : 0;
	size_t nr = res ? json_object_array_length(res) : 0;
	size_t nn = names ? json_object_array_length(names) : 0;
	size_t nu = urls ? json_object_array_length(urls) : 0;
	size_t v, g, k, n;
	char path[64];
	int r = 0;

	snprintf(path, sizeof(path), "spec.rules[%zu]", i);
	for (v = 0; r == 0 && v < nv; v++) {
		const char *verb = jsonutil_as_str(json_object_array_get_idx(verbs, v));

		for (g = 0; verb && r == 0 && g < ng; g++) {
			for (k = 0; r == 0 && k < nr; k++) {
				const char *grp =
				    jsonutil_as_str(json_object_array_get_idx(groups, g));
				const char *rs = jsonutil_as_str(json_object_array_get_idx(res, k));

				for (n = 0; grp && rs && r == 0 && n < (nn ? nn : 1); n++)
					r = acc_rule_resource(
					    run, path, verb, grp, rs,
					    nn ? jsonutil_as_str(
					             json_object_array_get_idx(names, n))
					       : NULL);
			}
		}
		for (k = 0; verb && r == 0 && k < nu; k++) {
			const char *url = jsonutil_as_str(json_object_array_get_idx(urls, k));

			if (url)
				r = acc_rule_url(run, path, verb, url);
		}
	}
	return r;
}

static int acc_clusteraccess(struct access_run *run)
{
	const struct admission_request *req = run->req;
	json_object *rules = acc_spec_field(req->object, "rules", json_type_array);
	json_object *old = acc_spec_field(req->old_object, "rules", json_type_array);
	uint64_t n;
	char num[24];
	size_t i;
	int r = 0;

	/* An update that does not touch the rules grants nothing new (the
	 * controller adding its finalizer, a label change). */
	if (!rules || (req->op == ADM_OP_UPDATE && old && json_object_equal(rules, old)))
		return 0;
	/* The schema refuses this first (422); a denial here keeps the bound
	 * for any caller that skips it: nothing is asked. */
	n = schema_access_questions(rules);
	if (n > TK_MAX_ACCESS_QUESTIONS) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
		fielderrs_add(run->denials, FE_TOO_MANY, "spec.rules", num,
		              "must need at most %d access checks", TK_MAX_ACCESS_QUESTIONS);
		return 0;
	}
	for (i = 0; r == 0 && i < json_object_array_length(rules); i++)
		r = acc_rule(run, json_object_array_get_idx(rules, i), i);
	return r;
}

static int acc_use(struct access_run *run)
{
	const struct admission_request *req = run->req;
	const char *ref = acc_spec_str(req->object, "clusterAccessRef");
	struct access_attrs at = {0};
	int r;

	/* Everything in the spec reaches the pod that runs with the
	 * ClusterAccess's rights, not only the reference itself. */
	if (!ref || !admission_spec_changed(req))
		return 0;
	at.verb = "use";
	at.group = TK_GROUP;
	at.resource = "clusteraccesses";
	at.name = ref;
	at.namespace = run->ns;
	r = acc_ask(run, "spec.clusterAccessRef", &at);
	if (r != 0)
		return r < 0 && r != -EIO ? r : 0;
	fielderrs_add(run->denials, FE_FORBIDDEN, "spec.clusterAccessRef", NULL,
	              "user \"%s\" may not use ClusterAccess \"%s\" in namespace \"%s\"",
	              req->username, at.name, run->ns);
	return 0;
}

/* One SubjectAccessReview per Secret the object newly puts into a pod. */
static int acc_secrets(struct access_run *run)
{
	struct strlist names = {0}, paths = {0};
	struct access_attrs at = {0};
	size_t i;
	int r;

	r = access_new_secrets(run->req, &names, &paths);
	at.verb = "get";
	at.resource = "secrets";
	at.namespace = run->ns;
	for (i = 0; r == 0 && i < names.n; i++) {
		at.name = names.v[i];
		r = acc_ask(run, paths.v[i], &at);
		if (r == 0)
			fielderrs_add(run->denials, FE_FORBIDDEN, paths.v[i], NULL,
			              "user \"%s\" may not get secrets/%s in namespace \"%s\"",
			              run->req->username, names.v[i], run->ns);
		r = r == 1 ? 0 : r;
	}
	strlist_free(&names);
	strlist_free(&paths);
	return r == -EIO ? 0 : r; /* -EIO: the denial is recorded */
}

/* "AgentJob \"a\"" or "AgentJobs \"a\", \"b\" and 3 more": jobs[from, to). */
static void acc_say_jobs(struct buf *b, const struct strlist *jobs, size_t from, size_t to)
{
	size_t i;

	buf_sayf(b, "AgentJob%s", to - from > 1 ? "s" : "");
	for (i = from; i < to && i - from < ACCESS_MAX_NAMED_JOBS; i++)
		buf_sayf(b, "%s \"%s\"", i > from ? "," : "", jobs->v[i]);
	if (to - from > ACCESS_MAX_NAMED_JOBS)
		buf_sayf(b, " and %zu more", to - from - ACCESS_MAX_NAMED_JOBS);
}

/* Ask "use" on ClusterAccess cas[from] for the AgentJobs [from, to). */
static int acc_users_run(struct access_run *run, const struct strlist *jobs,
                         const struct strlist *cas, size_t from, size_t to)
{
	const struct admission_request *req = run->req;
	struct access_attrs at = {0};
	struct buf who = BUF_INIT(4096);
	int r;

	at.verb = "use";
	at.group = TK_GROUP;
	at.resource = "clusteraccesses";
	at.name = cas->v[from];
	at.namespace = run->ns;
	r = acc_ask(run, "spec", &at);
	if (r != 0)
		return r < 0 && r != -EIO ? r : 0;
	acc_say_jobs(&who, jobs, from, to);
	fielderrs_add(
	    run->denials, FE_FORBIDDEN, "spec", NULL,
	    "user \"%s\" may not %s %s \"%s\": %s run%s it with ClusterAccess \"%s\", and "
	    "the user may not \"use\" ClusterAccess \"%s\"",
	    req->username, req->op == ADM_OP_CREATE ? "create" : "change", req->kind_name,
	    acc_meta_name(req->object), who.data ? who.data : "AgentJobs", to - from > 1 ? "" : "s",
	    at.name, at.name);
	buf_free(&who);
	return 0;
}

/* A referenced kind whose spec changes: "use" on the ClusterAccess of every
 * AgentJob of the namespace that runs it. One LIST, one SAR per distinct
 * ClusterAccess. */
static int acc_users(struct access_run *run)
{
	const struct admission_request *req = run->req;
	const char *name = acc_meta_name(req->object);
	struct strlist jobs = {0}, cas = {0};
	struct kube_status st = {0};
	struct buf p = BUF_INIT(4096), why = BUF_INIT(2048);
	json_object *items = NULL;
	char *rv = NULL;
	size_t i, from;
	int r = 0;

	if (!admission_spec_changed(req) || !*name || req->kind == TK_AGENTJOB ||
	    req->kind == TK_CLUSTERACCESS || run->failed)
		return 0;
	if (cache_synced(run->a->cache)) {
		items = cache_list(run->a->cache, TK_AGENTJOB, run->ns);
		r = items ? 0 : -ENOMEM;
		goto listed;
	}
	if (now_ms() >= run->deadline) {
		buf_sayf(&why, "the API server did not answer within %lld ms",
		         (long long)run->budget_ms);
		acc_fail(run, "spec", why.data);
		goto out;
	}
	r = kube_path(&p, TK_GROUP, TK_VERSION, run->ns, "agentjobs", NULL, NULL);
	if (r == 0)
		r = kube_list(run->a->kube, p.data, NULL, &items, &rv, &st);
listed:
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		buf_sayf(&why,
		         "cannot list the AgentJobs of namespace \"%s\" that may run %s \"%s\": %s",
		         run->ns, req->kind_name, name, st.message[0] ? st.message : strerror(-r));
		acc_fail(run, "spec", why.data);
		r = 0;
		goto out;
	}
	r = access_users_of(items, req->kind, name, &jobs, &cas);
	for (from = 0; r == 0 && from < jobs.n; from = i) {
		for (i = from + 1; i < jobs.n && strcmp(cas.v[i], cas.v[from]) == 0; i++)
			;
		r = acc_users_run(run, &jobs, &cas, from, i);
	}
out:
	strlist_free(&jobs);
	strlist_free(&cas);
	json_object_put(items);
	free(rv);
	buf_free(&p);
	buf_free(&why);
	return r;
}

/* The finalizer may not go while the object's cluster-scoped child exists. */
static int acc_finalizer(struct access_run *run)
{
	const struct admission_request *req = run->req;
	bool aj = req->kind == TK_AGENTJOB;
	const char *what = aj ? "ClusterRoleBinding" : "ClusterRole";
	const char *name = *req->name ? req->name : acc_meta_name(req->old_object);
	struct kube_status st = {0};
	struct buf p = BUF_INIT(4096), why = BUF_INIT(2048);
	json_object *got = NULL;
	char *child = NULL;
	int r = 0;

	if (!access_finalizer_guarded(req, run->a->controller_user))
		return 0;
	child = aj ? names_crb(run->ns, name) : names_clusterrole(run->ns, name);
	if (!child)
		return -ENOMEM;
	if (now_ms() >= run->deadline) {
		buf_sayf(&why, "the API server did not answer within %lld ms",
		         (long long)run->budget_ms);
	} else {
		r = buf_printf(&p, "/apis/rbac.authorization.k8s.io/v1/%s/%s",
		               aj ? "clusterrolebindings" : "clusterroles", child);
		if (r == 0)
			r = kube_get(run->a->kube, p.data, &got, &st);
		if (r == -ENOMEM)
			goto out;
		if (r == -ENOENT) {
			r = 0;
			goto out;
		}
		if (r < 0)
			buf_sayf(&why, "%s", st.message[0] ? st.message : strerror(-r));
	}
	if (why.len)
		fielderrs_add(run->denials, FE_FORBIDDEN, "metadata.finalizers", NULL,
		              "the finalizer \"%s\" may only be removed by the controller while %s "
		              "\"%s\" exists, and whether it exists cannot be verified: %s",
		              NAMES_FINALIZER, what, child, why.data);
	else
		fielderrs_add(run->denials, FE_FORBIDDEN, "metadata.finalizers", NULL,
		              "the finalizer \"%s\" may only be removed by the controller while %s "
		              "\"%s\" exists: let the controller finish (it removes the finalizer "
		              "once the %s is gone), or delete %s \"%s\" first",
		              NAMES_FINALIZER, what, child, what, what, child);
	r = 0;
out:
	json_object_put(got);
	free(child);
	buf_free(&p);
	buf_free(&why);
	return r;
}

/* --no-cluster-checks: nothing can be verified, so cluster access is
 * refused; metadata-only updates pass (finalizers can go). */
static void acc_disabled(const struct admission_request *req, struct fielderrs *denials)
{
	static const char why[] = "cluster access is disabled on this webhook "
	                          "(--no-cluster-checks): nothing can verify";

	if (!admission_spec_changed(req))
		return;
	if (req->kind == TK_CLUSTERACCESS)
		fielderrs_add(denials, FE_FORBIDDEN, "spec", NULL,
		              "%s what a ClusterAccess grants, so none may be created or changed",
		              why);
	else if (req->kind == TK_AGENTJOB && acc_spec_str(req->object, "clusterAccessRef"))
		fielderrs_add(denials, FE_FORBIDDEN, "spec.clusterAccessRef", NULL,
		              "%s that the user may use a ClusterAccess, so no AgentJob with "
		              "clusterAccessRef may be created or changed",
		              why);
}

/* store_read: what the env guard needs of a cached object. */
static int acc_learn_cached(json_object *cached, void *ud)
{
	return access_ref_learn(cached, ud);
}

/*
 * GET one referenced object; warn when it does not exist (404 only). With
 * out, what the env guard needs of it is learned there, and a GET that
 * fails or is not started in time marks it unknown; without, a spent
 * budget skips the GET.
 */
static int acc_ref(struct access_run *run, const char *path, enum tk_kind k, const char *name,
                   struct access_ref_obj *out)
{
	const struct schema_kind_info *ki = schema_kind_info(k);
	struct kube_status st = {0};
	struct buf p = BUF_INIT(4096);
	json_object *got = NULL;
	int r;

	if (!name || !*name)
		return 0;
	/* Cached: no request, and nothing copied but what the env guard needs.
	 * Not cached: perhaps created a moment ago and not seen yet, so ask
	 * before warning. */
	if (cache_synced(run->a->cache)) {
		if (!out)
			r = cache_has(run->a->cache, k, run->ns, name) ? 0 : -ENOENT;
		else
			r = cache_read(run->a->cache, k, run->ns, name, acc_learn_cached, out);
		if (r != -ENOENT)
			return r;
	}
	if (now_ms() >= run->deadline) {
		if (out)
			out->unknown = true;
		return 0;
	}
	r = kube_path(&p, TK_GROUP, TK_VERSION, run->ns, ki->plural, name, NULL);
	if (r == 0)
		r = kube_get(run->a->kube, p.data, &got, &st);
	buf_free(&p);
	if (r == 0 && out) {
		r = access_ref_learn(got, out);
	} else if (r < 0 && r != -ENOENT && out) {
		out->unknown = true;
	}
	json_object_put(got);
	if (r == -ENOENT)
		return strlist_addf(run->warnings, "%s: %s \"%s\" not found in namespace \"%s\"",
		                    path, ki->kind, name, run->ns);
	return r == -ENOMEM ? r : 0;
}

/* The objects whose env names the env guard needs, when it runs. */
struct acc_env_refs {
	bool wanted; /* spec changed and spec.env is not empty */
	struct access_ref_obj runtime;
	struct access_ref_obj *repos; /* one per spec.repositoryRefs entry */
	size_t n_repos;
};

static void acc_env_refs_free(struct acc_env_refs *e)
{
	size_t i;

	access_ref_obj_free(&e->runtime);
	for (i = 0; i < e->n_repos; i++)
		access_ref_obj_free(&e->repos[i]);
	free(e->repos);
}

static int acc_refs(struct access_run *run)
{
	static const struct {
		const char *field;
		enum tk_kind kind;
	} one[] =
	    {
	        {"runtimeRef", TK_AGENTRUNTIME},
	        {"authRef", TK_AGENTAUTH},
	        {"roleRef", TK_AGENTROLE},
	        {"skillRef", TK_AGENTSKILL},
	        {"clusterAccessRef", TK_CLUSTERACCESS},
	    },
	  many[] = {
	      {"mcpServerRefs", TK_MCPSERVER},
	      {"repositoryRefs", TK_REPOSITORY},
	  };
	json_object *obj = run->req->object;
	json_object *env = acc_spec_field(obj, "env", json_type_array);
	json_object *repos = acc_spec_field(obj, "repositoryRefs", json_type_array);
	struct acc_env_refs e = {0};
	char path[96];
	size_t i, j;
	int r = 0;

	e.wanted = env && json_object_array_length(env) && admission_spec_changed(run->req);
	e.n_repos = e.wanted && repos ? json_object_array_length(repos) : 0;
	if (e.n_repos) {
		e.repos = calloc(e.n_repos, sizeof(*e.repos));
		if (!e.repos)
			return -ENOMEM;
	}
	for (i = 0; r == 0 && i < TK_ARRAY_LEN(one); i++) {
		json_object *v = acc_spec_field(obj, one[i].field, json_type_string);
		bool keep = e.wanted && one[i].kind == TK_AGENTRUNTIME;

		snprintf(path, sizeof(path), "spec.%s", one[i].field);
		if (v)
			r = acc_ref(run, path, one[i].kind, json_object_get_string(v),
			            keep ? &e.runtime : NULL);
	}
	for (i = 0; r == 0 && i < TK_ARRAY_LEN(many); i++) {
		json_object *a = acc_spec_field(obj, many[i].field, json_type_array);
		bool keep = e.wanted && many[i].kind == TK_REPOSITORY;

		for (j = 0; a && r == 0 && j < json_object_array_length(a); j++) {
			snprintf(path, sizeof(path), "spec.%s[%zu]", many[i].field, j);
			r = acc_ref(run, path, many[i].kind,
			            jsonutil_as_str(json_object_array_get_idx(a, j)),
			            keep && j < e.n_repos ? &e.repos[j] : NULL);
		}
	}
	if (r == 0 && e.wanted)
		r = access_env_conflicts(obj, &e.runtime, e.repos, e.n_repos, run->denials);
	acc_env_refs_free(&e);
	return r;
}

int access_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                 struct fielderrs *denials, struct strlist *warnings)
{
	struct access_run run = {0};
	int r = 0;

	if (req->op != ADM_OP_CREATE && req->op != ADM_OP_UPDATE)
		return 0;
	run.a = ud;
	if (!run.a->kube) {
		acc_disabled(req, denials);
		return 0;
	}
	run.req = req;
	run.budget_ms = budget_ms;
	run.deadline = now_ms() + budget_ms;
	run.denials = denials;
	run.warnings = warnings;
	run.ns = req->namespace;
	if (!*run.ns)
		run.ns = jsonutil_namespace(req->object);
	if (req->kind == TK_CLUSTERACCESS || req->kind == TK_AGENTJOB)
		r = acc_finalizer(&run);
	if (r == 0 && req->kind == TK_CLUSTERACCESS)
		r = acc_clusteraccess(&run);
	if (r == 0 && req->kind == TK_AGENTJOB)
		r = acc_use(&run);
	if (r == 0)
		r = acc_secrets(&run);
	if (r == 0)
		r = acc_users(&run);
	if (r == 0 && req->kind == TK_AGENTJOB)
		r = acc_refs(&run);
	acc_seen_free(&run.seen);
	return r;
}
