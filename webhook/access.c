/* access.c - SubjectAccessReview checks and reference warnings. */
#include "compat.h"

#include "access.h"

#include <errno.h>
#include <stdarg.h>

#include "schema.h"

/* Write a message line; on allocation failure the message is dropped, and
 * the caller's error code still says what happened. */
static void acc_say(struct buf *b, const char *fmt, ...) TK_PRINTF(2, 3);
static void acc_say(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(b, fmt, ap) < 0)
		buf_reset(b);
	va_end(ap);
}

struct access {
	struct kube_client *kube;
};

/* State of one request's checks. */
struct access_run {
	struct access *a;
	const struct admission_request *req;
	const char *ns;
	int64_t deadline; /* now_ms() value after which no call starts */
	int64_t budget_ms;
	bool failed;            /* the API could not answer; denial recorded */
	struct strlist asked;   /* keys of questions already answered */
	struct strlist refused; /* the subset that was refused */
	struct fielderrs *denials;
	struct strlist *warnings;
};

struct access *access_new(struct kube_client *kube)
{
	struct access *a = calloc(1, sizeof(*a));

	if (a)
		a->kube = kube;
	return a;
}

void access_free(struct access *a)
{
	free(a);
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
	int r;

	r = buf_printf(&key, "%s\n%s\n%s\n%s\n%s\n%s\n%s", at->verb, at->group ? at->group : "",
	               at->resource ? at->resource : "", at->subresource ? at->subresource : "",
	               at->name ? at->name : "", at->namespace ? at->namespace : "",
	               at->path ? at->path : "");
	if (r < 0)
		goto out;
	if (strlist_contains(&run->asked, key.data)) {
		r = !strlist_contains(&run->refused, key.data);
		goto out;
	}
	if (run->failed) {
		r = -EIO;
		goto out;
	}
	if (now_ms() >= run->deadline) {
		acc_say(&why, "the API server did not answer within %lld ms",
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
	r = kube_create(run->a->kube, ACCESS_SAR_PATH, sar, &ans, &st);
	if (r == -ENOMEM)
		goto out;
	if (r == 0)
		r = access_sar_allowed(ans);
	if (r < 0) {
		acc_say(&why, "subjectaccessreview failed: %s",
		        st.message[0] ? st.message : strerror(-r));
		acc_fail(run, path, why.data);
		r = -EIO;
		goto out;
	}
	if (strlist_add(&run->asked, key.data) < 0 ||
	    (r == 0 && strlist_add(&run->refused, key.data) < 0))
		r = -ENOMEM;
out:
	json_object_put(sar);
	json_object_put(ans);
	buf_free(&key);
	buf_free(&why);
	return r;
}

static json_object *acc_get(json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static const char *acc_idx_str(json_object *arr, size_t i)
{
	json_object *v = json_object_array_get_idx(arr, i);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
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
	json_object *verbs = acc_get(rule, "verbs", json_type_array);
	json_object *groups = acc_get(rule, "apiGroups", json_type_array);
	json_object *res = acc_get(rule, "resources", json_type_array);
	json_object *names = acc_get(rule, "resourceNames", json_type_array);
	json_object *urls = acc_get(rule, "nonResourceURLs", json_type_array);
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
		const char *verb = acc_idx_str(verbs, v);

		for (g = 0; verb && r == 0 && g < ng; g++) {
			for (k = 0; r == 0 && k < nr; k++) {
				const char *grp = acc_idx_str(groups, g);
				const char *rs = acc_idx_str(res, k);

				for (n = 0; grp && rs && r == 0 && n < (nn ? nn : 1); n++)
					r = acc_rule_resource(run, path, verb, grp, rs,
					                      nn ? acc_idx_str(names, n) : NULL);
			}
		}
		for (k = 0; verb && r == 0 && k < nu; k++) {
			const char *url = acc_idx_str(urls, k);

			if (url)
				r = acc_rule_url(run, path, verb, url);
		}
	}
	return r;
}

static json_object *acc_spec_field(json_object *obj, const char *key, json_type t)
{
	return acc_get(acc_get(obj, "spec", json_type_object), key, t);
}

static int acc_clusteraccess(struct access_run *run)
{
	const struct admission_request *req = run->req;
	json_object *rules = acc_spec_field(req->object, "rules", json_type_array);
	json_object *old = acc_spec_field(req->old_object, "rules", json_type_array);
	size_t i;
	int r = 0;

	/* An update that does not touch the rules grants nothing new (the
	 * controller adding its finalizer, a label change). */
	if (!rules || (req->op == ADM_OP_UPDATE && old && json_object_equal(rules, old)))
		return 0;
	for (i = 0; r == 0 && i < json_object_array_length(rules); i++)
		r = acc_rule(run, json_object_array_get_idx(rules, i), i);
	return r;
}

static int acc_use(struct access_run *run)
{
	const struct admission_request *req = run->req;
	json_object *ref = acc_spec_field(req->object, "clusterAccessRef", json_type_string);
	json_object *old = acc_spec_field(req->old_object, "clusterAccessRef", json_type_string);
	struct access_attrs at = {0};
	int r;

	if (!ref || !*json_object_get_string(ref))
		return 0;
	if (req->op == ADM_OP_UPDATE && old &&
	    strcmp(json_object_get_string(ref), json_object_get_string(old)) == 0)
		return 0;
	at.verb = "use";
	at.group = TK_GROUP;
	at.resource = "clusteraccesses";
	at.name = json_object_get_string(ref);
	at.namespace = run->ns;
	r = acc_ask(run, "spec.clusterAccessRef", &at);
	if (r != 0)
		return r < 0 && r != -EIO ? r : 0;
	fielderrs_add(run->denials, FE_FORBIDDEN, "spec.clusterAccessRef", NULL,
	              "user \"%s\" may not use ClusterAccess \"%s\" in namespace \"%s\"",
	              req->username, at.name, run->ns);
	return 0;
}

/* Warn when the object a reference names does not exist (404 only). */
static int acc_ref(struct access_run *run, const char *path, enum tk_kind k, const char *name)
{
	const struct schema_kind_info *ki = schema_kind_info(k);
	struct kube_status st = {0};
	struct buf p = BUF_INIT(4096);
	json_object *got = NULL;
	int r;

	if (!name || !*name || now_ms() >= run->deadline)
		return 0;
	r = kube_path(&p, TK_GROUP, TK_VERSION, run->ns, ki->plural, name, NULL);
	if (r == 0)
		r = kube_get(run->a->kube, p.data, &got, &st);
	json_object_put(got);
	buf_free(&p);
	if (r == -ENOENT)
		return strlist_addf(run->warnings, "%s: %s \"%s\" not found in namespace \"%s\"",
		                    path, ki->kind, name, run->ns);
	return r == -ENOMEM ? r : 0;
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
	char path[96];
	size_t i, j;
	int r = 0;

	for (i = 0; r == 0 && i < TK_ARRAY_LEN(one); i++) {
		json_object *v = acc_spec_field(obj, one[i].field, json_type_string);

		snprintf(path, sizeof(path), "spec.%s", one[i].field);
		if (v)
			r = acc_ref(run, path, one[i].kind, json_object_get_string(v));
	}
	for (i = 0; r == 0 && i < TK_ARRAY_LEN(many); i++) {
		json_object *a = acc_spec_field(obj, many[i].field, json_type_array);

		for (j = 0; a && r == 0 && j < json_object_array_length(a); j++) {
			snprintf(path, sizeof(path), "spec.%s[%zu]", many[i].field, j);
			r = acc_ref(run, path, many[i].kind, acc_idx_str(a, j));
		}
	}
	return r;
}

int access_check(void *ud, const struct admission_request *req, int64_t budget_ms,
                 struct fielderrs *denials, struct strlist *warnings)
{
	struct access_run run = {0};
	json_object *meta;
	int r = 0;

	if (req->op != ADM_OP_CREATE && req->op != ADM_OP_UPDATE)
		return 0;
	run.a = ud;
	run.req = req;
	run.budget_ms = budget_ms;
	run.deadline = now_ms() + budget_ms;
	run.denials = denials;
	run.warnings = warnings;
	run.ns = req->namespace;
	meta = acc_get(req->object, "metadata", json_type_object);
	if (!*run.ns && acc_get(meta, "namespace", json_type_string))
		run.ns = json_object_get_string(acc_get(meta, "namespace", json_type_string));
	if (req->kind == TK_CLUSTERACCESS)
		r = acc_clusteraccess(&run);
	if (r == 0 && req->kind == TK_AGENTJOB)
		r = acc_use(&run);
	if (r == 0 && req->kind == TK_AGENTJOB)
		r = acc_refs(&run);
	strlist_free(&run.asked);
	strlist_free(&run.refused);
	return r;
}
