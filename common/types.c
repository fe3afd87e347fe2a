/*
 * types.c - typed views of the eight kinds. Decoding checks JSON types
 * and required fields only (schema_validate does the semantics) and fills
 * schema defaults for absent fields, so the controller never re-derives
 * a default.
 */
#include "compat.h"

#include "jsonutil.h"

#include "types.h"

#include <errno.h>
#include <stdarg.h>

#include "limits.h"
#include "util.h"

/* The decoding state: field errors are collected; err (the first -ENOMEM
 * or -E2BIG) stops nothing but fails the call. */
struct dec {
	struct fielderrs *errs;
	int err;
};

static void dec_fail(struct dec *d, int r)
{
	if (!d->err)
		d->err = r;
}

/* Format into p (replacing its contents): 0, or the failure recorded in d,
 * so a field path over TK_MAX_FIELD_PATH fails the call, never cut short. */
static int dec_path(struct dec *d, struct buf *p, const char *fmt, ...) TK_PRINTF(3, 4);
static int dec_path(struct dec *d, struct buf *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	buf_reset(p);
	va_start(ap, fmt);
	r = buf_vprintf(p, fmt, ap);
	va_end(ap);
	if (r < 0)
		dec_fail(d, r);
	return r;
}

static void wrong_type(struct dec *d, const char *path, json_object *v, const char *want)
{
	const char *w = jsonutil_type_word(v);
	struct buf q = BUF_INIT(TK_MAX_STRING);

	if (dec_path(d, &q, "\"%s\"", w) == 0)
		fielderrs_add(d->errs, FE_TYPE, path, q.data,
		              "%s in body must be of type %s: \"%s\"", path, want, w);
	buf_free(&q);
}

static void dec_str(struct dec *d, json_object *o, const char *key, const char *path, bool required,
                    const char *def, char **out)
{
	json_object *v = jsonutil_get(o, key);
	const char *s = def;

	if (!v) {
		if (required)
			fielderrs_add(d->errs, FE_REQUIRED, path, NULL, NULL);
	} else if (!json_object_is_type(v, json_type_string)) {
		wrong_type(d, path, v, "string");
		s = NULL;
	} else {
		s = json_object_get_string(v);
	}
	if (s) {
		*out = strdup(s);
		if (!*out)
			dec_fail(d, -ENOMEM);
	}
}

static void dec_bool(struct dec *d, json_object *o, const char *key, const char *path, bool def,
                     bool *out)
{
	json_object *v = jsonutil_get(o, key);

	*out = def;
	if (v && !json_object_is_type(v, json_type_boolean))
		wrong_type(d, path, v, "boolean");
	else if (v)
		*out = json_object_get_boolean(v);
}

static bool dec_int(struct dec *d, json_object *o, const char *key, const char *path, int64_t def,
                    int64_t *out)
{
	json_object *v = jsonutil_get(o, key);

	*out = def;
	if (v && !json_object_is_type(v, json_type_int))
		wrong_type(d, path, v, "integer");
	else if (v)
		*out = json_object_get_int64(v);
	return v && json_object_is_type(v, json_type_int);
}

static void dec_strlist(struct dec *d, json_object *o, const char *key, const char *path,
                        bool required, struct strlist *out)
{
	json_object *v = jsonutil_get(o, key);
	struct buf p = BUF_INIT(TK_MAX_FIELD_PATH);
	size_t i, n;

	if (!v) {
		if (required)
			fielderrs_add(d->errs, FE_REQUIRED, path, NULL, NULL);
		return;
	}
	if (!json_object_is_type(v, json_type_array)) {
		wrong_type(d, path, v, "array");
		return;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(v, i);

		if (!json_object_is_type(it, json_type_string)) {
			if (dec_path(d, &p, "%s[%zu]", path, i) == 0)
				wrong_type(d, p.data, it, "string");
		} else if (strlist_add(out, json_object_get_string(it)) < 0) {
			dec_fail(d, -ENOMEM);
		}
	}
	buf_free(&p);
}

/* A passthrough value of the given JSON type, as a new reference. */
static void dec_json(struct dec *d, json_object *o, const char *key, const char *path,
                     json_type want, bool required, json_object **out)
{
	json_object *v = jsonutil_get(o, key);

	if (!v) {
		if (required)
			fielderrs_add(d->errs, FE_REQUIRED, path, NULL, NULL);
		return;
	}
	if (!json_object_is_type(v, want)) {
		wrong_type(d, path, v, want == json_type_array ? "array" : "object");
		return;
	}
	*out = json_object_get(v);
}

static void dec_secret_ref(struct dec *d, json_object *v, const char *path,
                           struct tk_secret_key_ref *out)
{
	struct buf p = BUF_INIT(TK_MAX_FIELD_PATH);

	if (!json_object_is_type(v, json_type_object)) {
		wrong_type(d, path, v, "object");
		return;
	}
	if (dec_path(d, &p, "%s.name", path) == 0)
		dec_str(d, v, "name", p.data, true, NULL, &out->name);
	if (dec_path(d, &p, "%s.key", path) == 0)
		dec_str(d, v, "key", p.data, true, NULL, &out->key);
	buf_free(&p);
}

static void meta_free(struct tk_meta *m)
{
	free(m->name);
	free(m->namespace);
	free(m->uid);
	free(m->resource_version);
	json_object_put(m->labels);
	json_object_put(m->annotations);
	strlist_free(&m->finalizers);
	memset(m, 0, sizeof(*m));
}

static void dec_meta(struct dec *d, json_object *obj, struct tk_meta *m)
{
	json_object *meta = jsonutil_get(obj, "metadata");

	if (!meta) {
		fielderrs_add(d->errs, FE_REQUIRED, "metadata", NULL, NULL);
		return;
	}
	if (!json_object_is_type(meta, json_type_object)) {
		wrong_type(d, "metadata", meta, "object");
		return;
	}
	dec_str(d, meta, "name", "metadata.name", true, NULL, &m->name);
	dec_str(d, meta, "namespace", "metadata.namespace", false, NULL, &m->namespace);
	dec_str(d, meta, "uid", "metadata.uid", false, NULL, &m->uid);
	dec_str(d, meta, "resourceVersion", "metadata.resourceVersion", false, NULL,
	        &m->resource_version);
	dec_int(d, meta, "generation", "metadata.generation", 0, &m->generation);
	m->deleting = jsonutil_get(meta, "deletionTimestamp") != NULL;
	dec_json(d, meta, "labels", "metadata.labels", json_type_object, false, &m->labels);
	dec_json(d, meta, "annotations", "metadata.annotations", json_type_object, false,
	         &m->annotations);
	dec_strlist(d, meta, "finalizers", "metadata.finalizers", false, &m->finalizers);
}

/* The spec object, borrowed; NULL (with an error) when missing or not an object. */
static json_object *dec_spec(struct dec *d, json_object *obj)
{
	json_object *spec = jsonutil_get(obj, "spec");

	if (!spec) {
		fielderrs_add(d->errs, FE_REQUIRED, "spec", NULL, NULL);
		return NULL;
	}
	if (!json_object_is_type(spec, json_type_object)) {
		wrong_type(d, "spec", spec, "object");
		return NULL;
	}
	return spec;
}

static void agentjob_spec(struct dec *d, json_object *s, struct tk_agentjob_spec *o)
{
	json_object *pv = jsonutil_get(s, "persistentVolume");

	dec_str(d, s, "schedule", "spec.schedule", false, NULL, &o->schedule);
	dec_str(d, s, "timezone", "spec.timezone", false, "Etc/UTC", &o->timezone);
	dec_bool(d, s, "suspend", "spec.suspend", false, &o->suspend);
	dec_str(d, s, "runtimeRef", "spec.runtimeRef", true, NULL, &o->runtime_ref);
	dec_str(d, s, "authRef", "spec.authRef", true, NULL, &o->auth_ref);
	dec_str(d, s, "roleRef", "spec.roleRef", true, NULL, &o->role_ref);
	dec_str(d, s, "skillRef", "spec.skillRef", false, NULL, &o->skill_ref);
	dec_str(d, s, "clusterAccessRef", "spec.clusterAccessRef", false, NULL,
	        &o->cluster_access_ref);
	dec_strlist(d, s, "mcpServerRefs", "spec.mcpServerRefs", false, &o->mcp_server_refs);
	dec_strlist(d, s, "repositoryRefs", "spec.repositoryRefs", false, &o->repository_refs);
	dec_str(d, s, "prompt", "spec.prompt", true, NULL, &o->prompt);
	dec_str(d, s, "instructions", "spec.instructions", false, NULL, &o->instructions);
	dec_str(d, s, "model", "spec.model", false, NULL, &o->model);
	dec_json(d, s, "resources", "spec.resources", json_type_object, false, &o->resources);
	dec_int(d, s, "timeoutSeconds", "spec.timeoutSeconds", 3600, &o->timeout_seconds);
	dec_json(d, s, "env", "spec.env", json_type_array, false, &o->env);
	dec_json(d, s, "envFrom", "spec.envFrom", json_type_array, false, &o->env_from);
	dec_bool(d, s, "persist", "spec.persist", false, &o->persist);
	dec_json(d, s, "imagePullSecrets", "spec.imagePullSecrets", json_type_array, false,
	         &o->image_pull_secrets);
	dec_json(d, s, "nodeSelector", "spec.nodeSelector", json_type_object, false,
	         &o->node_selector);
	dec_json(d, s, "tolerations", "spec.tolerations", json_type_array, false, &o->tolerations);
	dec_int(d, s, "ttlSecondsAfterFinished", "spec.ttlSecondsAfterFinished", 86400,
	        &o->ttl_seconds_after_finished);
	if (pv && !json_object_is_type(pv, json_type_object))
		wrong_type(d, "spec.persistentVolume", pv, "object");
	if (pv && json_object_is_type(jsonutil_get(pv, "size"), json_type_int)) {
		struct buf num = BUF_INIT(TK_MAX_STRING);

		if (dec_path(d, &num, "%lld",
		             (long long)json_object_get_int64(jsonutil_get(pv, "size"))) == 0) {
			o->pv_size = buf_steal(&num);
			if (!o->pv_size)
				dec_fail(d, -ENOMEM);
		}
		buf_free(&num);
	} else {
		dec_str(d, pv, "size", "spec.persistentVolume.size", false, "1Gi", &o->pv_size);
	}
	dec_str(d, pv, "storageClassName", "spec.persistentVolume.storageClassName", false, NULL,
	        &o->pv_storage_class);
	dec_str(d, s, "concurrencyPolicy", "spec.concurrencyPolicy", false, "Forbid",
	        &o->concurrency_policy);
	o->has_starting_deadline =
	    dec_int(d, s, "startingDeadlineSeconds", "spec.startingDeadlineSeconds", 0,
	            &o->starting_deadline_seconds);
	dec_int(d, s, "backoffLimit", "spec.backoffLimit", 0, &o->backoff_limit);
	dec_int(d, s, "successfulJobsHistoryLimit", "spec.successfulJobsHistoryLimit", 3,
	        &o->successful_jobs_history_limit);
	dec_int(d, s, "failedJobsHistoryLimit", "spec.failedJobsHistoryLimit", 3,
	        &o->failed_jobs_history_limit);
	dec_json(d, s, "podLabels", "spec.podLabels", json_type_object, false, &o->pod_labels);
	dec_json(d, s, "podAnnotations", "spec.podAnnotations", json_type_object, false,
	         &o->pod_annotations);
	dec_json(d, s, "affinity", "spec.affinity", json_type_object, false, &o->affinity);
	dec_str(d, s, "priorityClassName", "spec.priorityClassName", false, NULL,
	        &o->priority_class_name);
	dec_json(d, s, "topologySpreadConstraints", "spec.topologySpreadConstraints",
	         json_type_array, false, &o->topology_spread_constraints);
}

static void agentjob_status(struct dec *d, json_object *st, struct tk_agentjob_status *o)
{
	if (!st)
		return;
	if (!json_object_is_type(st, json_type_object)) {
		wrong_type(d, "status", st, "object");
		return;
	}
	o->raw = json_object_get(st);
	dec_str(d, st, "phase", "status.phase", false, NULL, &o->phase);
	dec_str(d, st, "message", "status.message", false, NULL, &o->message);
	dec_int(d, st, "observedGeneration", "status.observedGeneration", 0,
	        &o->observed_generation);
	dec_str(d, st, "configHash", "status.configHash", false, NULL, &o->config_hash);
	dec_str(d, st, "runToken", "status.runToken", false, NULL, &o->run_token);
	dec_str(d, st, "lastRunTime", "status.lastRunTime", false, NULL, &o->last_run_time);
	dec_str(d, st, "lastCompletionTime", "status.lastCompletionTime", false, NULL,
	        &o->last_completion_time);
	dec_json(d, st, "ownedResources", "status.ownedResources", json_type_array, false,
	         &o->owned_resources);
	dec_json(d, st, "conditions", "status.conditions", json_type_array, false, &o->conditions);
}

int tk_agentjob_decode(json_object *obj, struct tk_agentjob *out, struct fielderrs *errs)
{
	struct dec d = {errs, 0};
	size_t n0 = errs->n;
	struct tk_agentjob v;
	json_object *spec;

	memset(&v, 0, sizeof(v));
	dec_meta(&d, obj, &v.meta);
	spec = dec_spec(&d, obj);
	if (spec)
		agentjob_spec(&d, spec, &v.spec);
	agentjob_status(&d, jsonutil_get(obj, "status"), &v.status);
	if (d.err || errs->n > n0) {
		tk_agentjob_free(&v);
		memset(out, 0, sizeof(*out));
		return d.err ? d.err : -EINVAL;
	}
	*out = v;
	return 0;
}

void tk_agentjob_free(struct tk_agentjob *v)
{
	struct tk_agentjob_spec *s = &v->spec;
	struct tk_agentjob_status *st = &v->status;

	meta_free(&v->meta);
	free(s->schedule);
	free(s->timezone);
	free(s->runtime_ref);
	free(s->auth_ref);
	free(s->role_ref);
	free(s->skill_ref);
	free(s->cluster_access_ref);
	strlist_free(&s->mcp_server_refs);
	strlist_free(&s->repository_refs);
	free(s->prompt);
	free(s->instructions);
	free(s->model);
	json_object_put(s->resources);
	json_object_put(s->env);
	json_object_put(s->env_from);
	json_object_put(s->image_pull_secrets);
	json_object_put(s->node_selector);
	json_object_put(s->tolerations);
	free(s->pv_size);
	free(s->pv_storage_class);
	free(s->concurrency_policy);
	json_object_put(s->pod_labels);
	json_object_put(s->pod_annotations);
	json_object_put(s->affinity);
	free(s->priority_class_name);
	json_object_put(s->topology_spread_constraints);
	free(st->phase);
	free(st->message);
	free(st->config_hash);
	free(st->run_token);
	free(st->last_run_time);
	free(st->last_completion_time);
	json_object_put(st->owned_resources);
	json_object_put(st->conditions);
	json_object_put(st->raw);
	memset(v, 0, sizeof(*v));
}

/* The common head of the simple decoders: metadata and spec. */
#define DECODE_BEGIN(T)                                                                            \
	struct dec d = {errs, 0};                                                                  \
	size_t n0 = errs->n;                                                                       \
	T v;                                                                                       \
	json_object *spec;                                                                         \
	memset(&v, 0, sizeof(v));                                                                  \
	dec_meta(&d, obj, &v.meta);                                                                \
	spec = dec_spec(&d, obj)

#define DECODE_FINISH(freefn)                                                                      \
	do {                                                                                       \
		if (d.err || errs->n > n0) {                                                       \
			freefn(&v);                                                                \
			memset(out, 0, sizeof(*out));                                              \
			return d.err ? d.err : -EINVAL;                                            \
		}                                                                                  \
		*out = v;                                                                          \
		return 0;                                                                          \
	} while (0)

int tk_agentruntime_decode(json_object *obj, struct tk_agentruntime *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_agentruntime);
	if (spec) {
		json_object *net;

		dec_str(&d, spec, "image", "spec.image", true, NULL, &v.image);
		dec_strlist(&d, spec, "command", "spec.command", false, &v.command);
		dec_strlist(&d, spec, "args", "spec.args", false, &v.args);
		dec_str(&d, spec, "authEnvVar", "spec.authEnvVar", true, NULL, &v.auth_env_var);
		dec_str(&d, spec, "configPath", "spec.configPath", true, NULL, &v.config_path);
		dec_str(&d, spec, "persistPath", "spec.persistPath", true, NULL, &v.persist_path);
		dec_str(&d, spec, "imagePullPolicy", "spec.imagePullPolicy", false, NULL,
		        &v.image_pull_policy);
		dec_str(&d, spec, "runtimeClassName", "spec.runtimeClassName", false, NULL,
		        &v.runtime_class_name);
		net = jsonutil_get(spec, "network");
		if (net && !json_object_is_type(net, json_type_object))
			wrong_type(&d, "spec.network", net, "object");
		dec_str(&d, net, "egress", "spec.network.egress", false, NULL, &v.egress);
		dec_json(&d, net, "allow", "spec.network.allow", json_type_array, false,
		         &v.egress_allow);
	}
	DECODE_FINISH(tk_agentruntime_free);
}

void tk_agentruntime_free(struct tk_agentruntime *v)
{
	meta_free(&v->meta);
	free(v->image);
	strlist_free(&v->command);
	strlist_free(&v->args);
	free(v->auth_env_var);
	free(v->config_path);
	free(v->persist_path);
	free(v->image_pull_policy);
	free(v->runtime_class_name);
	free(v->egress);
	json_object_put(v->egress_allow);
	memset(v, 0, sizeof(*v));
}

int tk_agentauth_decode(json_object *obj, struct tk_agentauth *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_agentauth);
	if (spec) {
		json_object *ref = jsonutil_get(spec, "secretRef");

		if (!ref)
			fielderrs_add(d.errs, FE_REQUIRED, "spec.secretRef", NULL, NULL);
		else
			dec_secret_ref(&d, ref, "spec.secretRef", &v.secret_ref);
		dec_int(&d, spec, "maxConcurrentRuns", "spec.maxConcurrentRuns", 0,
		        &v.max_concurrent_runs);
	}
	DECODE_FINISH(tk_agentauth_free);
}

void tk_agentauth_free(struct tk_agentauth *v)
{
	meta_free(&v->meta);
	free(v->secret_ref.name);
	free(v->secret_ref.key);
	memset(v, 0, sizeof(*v));
}

int tk_agentrole_decode(json_object *obj, struct tk_agentrole *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_agentrole);
	if (spec)
		dec_strlist(&d, spec, "allowedTools", "spec.allowedTools", true, &v.allowed_tools);
	DECODE_FINISH(tk_agentrole_free);
}

void tk_agentrole_free(struct tk_agentrole *v)
{
	meta_free(&v->meta);
	strlist_free(&v->allowed_tools);
	memset(v, 0, sizeof(*v));
}

int tk_agentskill_decode(json_object *obj, struct tk_agentskill *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_agentskill);
	if (spec) {
		dec_str(&d, spec, "repo", "spec.repo", true, NULL, &v.repo);
		dec_str(&d, spec, "name", "spec.name", true, NULL, &v.name);
		dec_str(&d, spec, "ref", "spec.ref", false, "main", &v.ref);
	}
	DECODE_FINISH(tk_agentskill_free);
}

void tk_agentskill_free(struct tk_agentskill *v)
{
	meta_free(&v->meta);
	free(v->repo);
	free(v->name);
	free(v->ref);
	memset(v, 0, sizeof(*v));
}

int tk_mcpserver_decode(json_object *obj, struct tk_mcpserver *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_mcpserver);
	if (spec) {
		dec_str(&d, spec, "command", "spec.command", false, NULL, &v.command);
		dec_strlist(&d, spec, "args", "spec.args", false, &v.args);
		dec_str(&d, spec, "url", "spec.url", false, NULL, &v.url);
		dec_json(&d, spec, "env", "spec.env", json_type_array, false, &v.env);
	}
	DECODE_FINISH(tk_mcpserver_free);
}

void tk_mcpserver_free(struct tk_mcpserver *v)
{
	meta_free(&v->meta);
	free(v->command);
	strlist_free(&v->args);
	free(v->url);
	json_object_put(v->env);
	memset(v, 0, sizeof(*v));
}

int tk_repository_decode(json_object *obj, struct tk_repository *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_repository);
	if (spec) {
		json_object *ref = jsonutil_get(spec, "tokenSecretRef");

		dec_str(&d, spec, "owner", "spec.owner", true, NULL, &v.owner);
		dec_str(&d, spec, "name", "spec.name", true, NULL, &v.name);
		if (ref) {
			v.has_token = true;
			dec_secret_ref(&d, ref, "spec.tokenSecretRef", &v.token_secret_ref);
		}
	}
	DECODE_FINISH(tk_repository_free);
}

void tk_repository_free(struct tk_repository *v)
{
	meta_free(&v->meta);
	free(v->owner);
	free(v->name);
	free(v->token_secret_ref.name);
	free(v->token_secret_ref.key);
	memset(v, 0, sizeof(*v));
}

int tk_clusteraccess_decode(json_object *obj, struct tk_clusteraccess *out, struct fielderrs *errs)
{
	DECODE_BEGIN(struct tk_clusteraccess);
	if (spec)
		dec_json(&d, spec, "rules", "spec.rules", json_type_array, true, &v.rules);
	DECODE_FINISH(tk_clusteraccess_free);
}

void tk_clusteraccess_free(struct tk_clusteraccess *v)
{
	meta_free(&v->meta);
	json_object_put(v->rules);
	memset(v, 0, sizeof(*v));
}
