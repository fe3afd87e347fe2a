/* build.c - pure builders of the AgentJob children and the ClusterAccess ClusterRole. */
#include "compat.h"

#include "model/build.h"

#include "jsonutil.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "cidr.h"
#include "limits.h"
#include "names.h"
#include "quantity.h"

/*
 * Tree building accumulates the first error in jb.err, so a long run of
 * puts reads straight and is checked once at the end. A NULL value (a
 * failed allocation) is an error; the value is always consumed.
 */
struct jb {
	int err;
};

static void put(struct jb *b, json_object *o, const char *k, json_object *v)
{
	if (b->err || !o || !v) {
		if (!b->err)
			b->err = -ENOMEM;
		json_object_put(v);
		return;
	}
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		b->err = -ENOMEM;
	}
}

static void push(struct jb *b, json_object *a, json_object *v)
{
	if (b->err || !a || !v) {
		if (!b->err)
			b->err = -ENOMEM;
		json_object_put(v);
		return;
	}
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		b->err = -ENOMEM;
	}
}

static json_object *str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* A private copy of a passthrough value: the decoded spec may share its
 * json-c nodes with the informer cache, which other threads read. */
static json_object *copy(json_object *o)
{
	json_object *d = NULL;

	if (!o || json_object_deep_copy(o, &d, NULL) != 0)
		return NULL;
	return d;
}

static json_object *strarray(struct jb *b, const struct strlist *l)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		push(b, a, str(l->v[i]));
	return a;
}

static bool nonempty_array(json_object *o)
{
	return o && json_object_is_type(o, json_type_array) && json_object_array_length(o) > 0;
}

static bool nonempty_object(json_object *o)
{
	return o && json_object_is_type(o, json_type_object) && json_object_object_length(o) > 0;
}

/* ---- rendering ------------------------------------------------------- */

static int render_scalar(json_object *o, struct buf *out)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return buf_puts(out, "null");
	case json_type_boolean:
		return buf_puts(out, json_object_get_boolean(o) ? "true" : "false");
	case json_type_int:
		return buf_printf(out, "%" PRId64, json_object_get_int64(o));
	case json_type_double: {
		double d = json_object_get_double(o);

		if (!isfinite(d))
			return buf_puts(out, "null");
		return buf_printf(out, "%.17g", d);
	}
	case json_type_string:
		return jsonutil_quote(json_object_get_string(o),
		                      (size_t)json_object_get_string_len(o), out);
	default:
		return -EINVAL;
	}
}

static int indent(struct buf *out, int depth)
{
	int r = 0, i;

	for (i = 0; i < depth && r == 0; i++)
		r = buf_append(out, "  ", 2);
	return r;
}

static int render_pretty(json_object *o, int depth, struct buf *out)
{
	size_t i, n;
	int r = 0;

	if (depth > TK_MAX_JSON_DEPTH)
		return -E2BIG;
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		if (n == 0)
			return buf_puts(out, "[]");
		r = buf_puts(out, "[\n");
		for (i = 0; i < n && r == 0; i++) {
			r = indent(out, depth + 1);
			if (!r)
				r = render_pretty(json_object_array_get_idx(o, i), depth + 1, out);
			if (!r)
				r = buf_puts(out, i + 1 < n ? ",\n" : "\n");
		}
		if (!r)
			r = indent(out, depth);
		return r ? r : buf_puts(out, "]");
	}
	if (json_object_is_type(o, json_type_object)) {
		if (json_object_object_length(o) == 0)
			return buf_puts(out, "{}");
		r = buf_puts(out, "{\n");
		n = (size_t)json_object_object_length(o);
		i = 0;
		json_object_object_foreach(o, key, val)
		{
			if (!r)
				r = indent(out, depth + 1);
			if (!r)
				r = jsonutil_quote(key, strlen(key), out);
			if (!r)
				r = buf_puts(out, ": ");
			if (!r)
				r = render_pretty(val, depth + 1, out);
			if (!r)
				r = buf_puts(out, ++i < n ? ",\n" : "\n");
		}
		if (!r)
			r = indent(out, depth);
		return r ? r : buf_puts(out, "}");
	}
	return render_scalar(o, out);
}

int build_render_pretty(json_object *o, struct buf *out)
{
	return render_pretty(o, 0, out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int render_canonical(json_object *o, int depth, struct buf *out)
{
	const char **keys = NULL;
	size_t i, n;
	int r = 0;

	if (depth > TK_MAX_JSON_DEPTH)
		return -E2BIG;
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		r = buf_puts(out, "[");
		for (i = 0; i < n && r == 0; i++) {
			if (i)
				r = buf_puts(out, ",");
			if (!r)
				r = render_canonical(json_object_array_get_idx(o, i), depth + 1,
				                     out);
		}
		return r ? r : buf_puts(out, "]");
	}
	if (!json_object_is_type(o, json_type_object))
		return render_scalar(o, out);
	n = (size_t)json_object_object_length(o);
	if (n == 0)
		return buf_puts(out, "{}");
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	i = 0;
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	r = buf_puts(out, "{");
	for (i = 0; i < n && r == 0; i++) {
		if (i)
			r = buf_puts(out, ",");
		if (!r)
			r = jsonutil_quote(keys[i], strlen(keys[i]), out);
		if (!r)
			r = buf_puts(out, ":");
		if (!r)
			r = render_canonical(json_object_object_get(o, keys[i]), depth + 1, out);
	}
	free(keys);
	return r ? r : buf_puts(out, "}");
}

int build_render_canonical(json_object *o, struct buf *out)
{
	return render_canonical(o, 0, out);
}

/* ---- names, labels, metadata ----------------------------------------- */

char *build_crb_name(const char *ns, const char *name)
{
	return names_crb(ns, name);
}

char *build_clusterrole_name(const char *ns, const char *name)
{
	return names_clusterrole(ns, name);
}

static char *suffixed(const char *name, const char *suffix)
{
	struct buf b = BUF_INIT(TK_MAX_NAME + BUILD_HASH_LEN + 16);

	if (buf_printf(&b, "%s%s", name, suffix) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

json_object *build_labels(const struct tk_agentjob *aj)
{
	struct jb b = {0};
	json_object *l = json_object_new_object();

	put(&b, l, NAMES_LABEL_MANAGED_BY, str(NAMES_MANAGED_BY));
	put(&b, l, NAMES_LABEL_AGENTJOB, str(aj->meta.name));
	put(&b, l, NAMES_LABEL_AGENTJOB_NS, str(aj->meta.namespace));
	put(&b, l, NAMES_LABEL_OWNER_UID, str(aj->meta.uid));
	if (b.err) {
		json_object_put(l);
		return NULL;
	}
	return l;
}

static json_object *owner_refs(struct jb *b, const struct tk_agentjob *aj)
{
	json_object *a = json_object_new_array();
	json_object *r = json_object_new_object();

	put(b, r, "apiVersion", str(TK_API_VERSION));
	put(b, r, "kind", str("AgentJob"));
	put(b, r, "name", str(aj->meta.name));
	put(b, r, "uid", str(aj->meta.uid));
	put(b, r, "controller", json_object_new_boolean(1));
	put(b, r, "blockOwnerDeletion", json_object_new_boolean(1));
	push(b, a, r);
	return a;
}

/* A new child object with apiVersion, kind and metadata filled in;
 * namespaced children get the namespace and the controller reference. */
static json_object *child(struct jb *b, const struct tk_agentjob *aj, const char *api_version,
                          const char *kind, const char *name, bool namespaced)
{
	json_object *o = json_object_new_object();
	json_object *m = json_object_new_object();

	put(b, o, "apiVersion", str(api_version));
	put(b, o, "kind", str(kind));
	put(b, m, "name", str(name));
	if (namespaced)
		put(b, m, "namespace", str(aj->meta.namespace));
	put(b, m, "labels", build_labels(aj));
	if (namespaced)
		put(b, m, "ownerReferences", owner_refs(b, aj));
	put(b, o, "metadata", m);
	return o;
}

/* Add the applied-hash annotation: a hash of everything else in obj. */
static void stamp(struct jb *b, json_object *obj)
{
	struct buf c = BUF_INIT(TK_MAX_API_BODY);
	json_object *m = NULL, *ann;
	char hex[65];
	int r;

	if (b->err)
		return;
	if (!json_object_object_get_ex(obj, "metadata", &m)) {
		b->err = -EINVAL;
		return;
	}
	r = build_render_canonical(obj, &c);
	if (r < 0) {
		b->err = r;
		buf_free(&c);
		return;
	}
	sha256_hex(c.data, c.len, hex);
	hex[BUILD_HASH_LEN] = '\0';
	buf_free(&c);
	ann = json_object_new_object();
	put(b, ann, NAMES_ANN_APPLIED_HASH, str(hex));
	put(b, m, "annotations", ann);
}

/* ---- agent.json ------------------------------------------------------- */

static json_object *agent_doc(struct jb *b, const struct tk_agentjob *aj,
                              const struct build_refs *refs)
{
	const struct tk_agentjob_spec *s = &aj->spec;
	json_object *d = json_object_new_object();
	json_object *mcps, *repos;
	size_t i;

	put(b, d, "prompt", str(s->prompt));
	if (s->instructions)
		put(b, d, "instructions", str(s->instructions));
	if (s->model)
		put(b, d, "model", str(s->model));
	put(b, d, "allowedTools", strarray(b, &refs->role->allowed_tools));
	if (refs->skill) {
		json_object *sk = json_object_new_object();

		put(b, sk, "repo", str(refs->skill->repo));
		put(b, sk, "name", str(refs->skill->name));
		put(b, sk, "ref", str(refs->skill->ref ? refs->skill->ref : "main"));
		put(b, d, "skill", sk);
	}
	mcps = json_object_new_array();
	for (i = 0; i < s->mcp_server_refs.n; i++) {
		const struct tk_mcpserver *m = &refs->mcp[i];
		json_object *e = json_object_new_object();

		put(b, e, "name", str(s->mcp_server_refs.v[i]));
		if (m->command)
			put(b, e, "command", str(m->command));
		if (m->args.n)
			put(b, e, "args", strarray(b, &m->args));
		if (m->url)
			put(b, e, "url", str(m->url));
		push(b, mcps, e);
	}
	put(b, d, "mcpServers", mcps);
	repos = json_object_new_array();
	for (i = 0; i < s->repository_refs.n; i++) {
		json_object *e = json_object_new_object();

		put(b, e, "name", str(s->repository_refs.v[i]));
		put(b, e, "owner", str(refs->repos[i].owner));
		put(b, e, "repo", str(refs->repos[i].name));
		push(b, repos, e);
	}
	put(b, d, "repositories", repos);
	return d;
}

static bool refs_complete(const struct tk_agentjob *aj, const struct build_refs *refs)
{
	if (!refs || !refs->runtime || !refs->auth || !refs->role || !aj->spec.prompt)
		return false;
	if ((aj->spec.mcp_server_refs.n && !refs->mcp) ||
	    (aj->spec.repository_refs.n && !refs->repos))
		return false;
	if (aj->spec.skill_ref && !refs->skill)
		return false;
	if (aj->spec.cluster_access_ref && !refs->cluster_access)
		return false;
	return true;
}

int build_agent_json(const struct tk_agentjob *aj, const struct build_refs *refs, char **out)
{
	struct buf text = BUF_INIT(TK_MAX_API_BODY);
	struct jb b = {0};
	json_object *d;
	char *s;

	if (!refs_complete(aj, refs))
		return -EINVAL;
	d = agent_doc(&b, aj, refs);
	if (!b.err)
		b.err = build_render_pretty(d, &text);
	json_object_put(d);
	if (b.err) {
		buf_free(&text);
		return b.err;
	}
	s = buf_steal(&text);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

int build_config_hash(const char *agent_json, json_object *pod_template, json_object *network,
                      char out[BUILD_HASH_LEN + 1])
{
	struct buf in = BUF_INIT(3 * (size_t)TK_MAX_API_BODY);
	char hex[65];
	int r;

	r = buf_puts(&in, agent_json);
	if (!r)
		r = buf_puts(&in, "\n");
	if (!r)
		r = build_render_canonical(pod_template, &in);
	if (!r && network)
		r = buf_puts(&in, "\n");
	if (!r && network)
		r = build_render_canonical(network, &in);
	if (!r) {
		sha256_hex(in.data, in.len, hex);
		memcpy(out, hex, BUILD_HASH_LEN);
		out[BUILD_HASH_LEN] = '\0';
	}
	buf_free(&in);
	return r;
}

void build_thurkube_hash(const char *agent_json, char out[BUILD_HASH_LEN + 1])
{
	char hex[65];

	sha256_hex(agent_json, strlen(agent_json), hex);
	memcpy(out, hex, BUILD_HASH_LEN);
	out[BUILD_HASH_LEN] = '\0';
}

/* ---- the pod template ------------------------------------------------- */

static json_object *env_value(const char *name, const char *value)
{
	struct jb b = {0};
	json_object *e = json_object_new_object();

	put(&b, e, "name", str(name));
	put(&b, e, "value", str(value));
	if (b.err) {
		json_object_put(e);
		return NULL;
	}
	return e;
}

static json_object *env_secret(const char *name, const struct tk_secret_key_ref *ref)
{
	struct jb b = {0};
	json_object *e = json_object_new_object();
	json_object *vf = json_object_new_object();
	json_object *skr = json_object_new_object();

	put(&b, skr, "name", str(ref->name));
	put(&b, skr, "key", str(ref->key));
	put(&b, skr, "optional", json_object_new_boolean(0));
	put(&b, vf, "secretKeyRef", skr);
	put(&b, e, "name", str(name));
	put(&b, e, "valueFrom", vf);
	if (b.err) {
		json_object_put(e);
		return NULL;
	}
	return e;
}

/* The index of the first repository with a token, or n when none has. */
static size_t first_token(const struct tk_agentjob *aj, const struct build_refs *refs)
{
	size_t i;

	for (i = 0; i < aj->spec.repository_refs.n; i++)
		if (refs->repos[i].has_token)
			break;
	return i;
}

/*
 * Whether the controller sets env name in aj's container itself. 1 and
 * the object and field that make it so written to who ("Repository \"x\"
 * (spec.tokenSecretRef)") when it does, 0 when not, -ENOMEM. Constant
 * work per name, so checking a whole env list stays linear.
 */
static int env_setter(const struct tk_agentjob *aj, const struct build_refs *refs, const char *name,
                      struct buf *who)
{
	size_t gh = first_token(aj, refs);
	long k = names_repo_token_index(name);
	int r;

	if (strcmp(name, refs->runtime->auth_env_var) == 0)
		r = buf_printf(who, "AgentRuntime \"%s\" (spec.authEnvVar)", aj->spec.runtime_ref);
	else if (strcmp(name, "HOME") == 0 || strcmp(name, "CONFIG_DIR") == 0)
		r = buf_puts(who, "the agent container contract");
	else if (strcmp(name, "PERSIST_DIR") == 0 && aj->spec.persist)
		r = buf_puts(who, "spec.persist");
	else if (strcmp(name, NAMES_ENV_GH_TOKEN) == 0 && gh < aj->spec.repository_refs.n)
		r = buf_printf(who, "Repository \"%s\" (spec.tokenSecretRef)",
		               aj->spec.repository_refs.v[gh]);
	else if (k >= 0 && (size_t)k < aj->spec.repository_refs.n && refs->repos[k].has_token)
		r = buf_printf(who, "Repository \"%s\" (spec.tokenSecretRef)",
		               aj->spec.repository_refs.v[k]);
	else
		return 0;
	return r < 0 ? r : 1;
}

static const char *env_name(json_object *e)
{
	return jsonutil_str(e, "name");
}

/* Copy the entries of src whose name the controller does not set itself. */
static void append_unset(struct jb *b, json_object *dst, json_object *src,
                         const struct tk_agentjob *aj, const struct build_refs *refs)
{
	struct buf who = BUF_INIT(1024);
	size_t i;

	if (!nonempty_array(src))
		return;
	for (i = 0; i < json_object_array_length(src) && !b->err; i++) {
		json_object *e = json_object_array_get_idx(src, i);
		const char *name = env_name(e);
		int r;

		buf_reset(&who);
		r = name ? env_setter(aj, refs, name, &who) : 0;

		if (r < 0)
			b->err = r;
		else if (r == 0)
			push(b, dst, copy(e));
	}
	buf_free(&who);
}

/* Note one entry of src (at where) that the controller's value replaces. */
static int conflicts_of(json_object *src, const char *where, const struct tk_agentjob *aj,
                        const struct build_refs *refs, struct strlist *out)
{
	struct buf who = BUF_INIT(1024);
	size_t i;
	int r = 0;

	for (i = 0; r >= 0 && nonempty_array(src) && i < json_object_array_length(src); i++) {
		const char *name = env_name(json_object_array_get_idx(src, i));

		buf_reset(&who);
		r = name ? env_setter(aj, refs, name, &who) : 0;
		if (r > 0)
			r = strlist_addf(out, "%s.env[%zu] %s is set by thurkube from %s", where, i,
			                 name, who.data);
	}
	buf_free(&who);
	return r < 0 ? r : 0;
}

int build_env_conflicts(const struct tk_agentjob *aj, const struct build_refs *refs,
                        struct strlist *out)
{
	char where[TK_MAX_NAME + 32];
	size_t i;
	int r;

	if (!refs_complete(aj, refs))
		return -EINVAL;
	r = conflicts_of(aj->spec.env, "spec", aj, refs, out);
	for (i = 0; r == 0 && i < aj->spec.mcp_server_refs.n; i++) {
		snprintf(where, sizeof(where), "McpServer \"%s\" spec",
		         aj->spec.mcp_server_refs.v[i]);
		r = conflicts_of(refs->mcp[i].env, where, aj, refs, out);
	}
	return r;
}

/*
 * The container env: the user's entries, the McpServers' entries, then
 * the variables the runtime contract reserves. A user or McpServer entry
 * of a name the controller sets is left out, so thurkube's value is the
 * only one (build_env_conflicts lists them). Secret values never appear
 * here, only secretKeyRefs.
 */
static json_object *container_env(struct jb *b, const struct tk_agentjob *aj,
                                  const struct build_refs *refs)
{
	const struct tk_agentjob_spec *s = &aj->spec;
	json_object *env = json_object_new_array();
	size_t i, gh = first_token(aj, refs);

	append_unset(b, env, s->env, aj, refs);
	for (i = 0; i < s->mcp_server_refs.n; i++)
		append_unset(b, env, refs->mcp[i].env, aj, refs);
	push(b, env, env_secret(refs->runtime->auth_env_var, &refs->auth->secret_ref));
	push(b, env, env_value("HOME", BUILD_HOME));
	push(b, env, env_value("CONFIG_DIR", refs->runtime->config_path));
	if (s->persist)
		push(b, env, env_value("PERSIST_DIR", refs->runtime->persist_path));
	if (gh < s->repository_refs.n)
		push(b, env, env_secret(NAMES_ENV_GH_TOKEN, &refs->repos[gh].token_secret_ref));
	for (i = 0; i < s->repository_refs.n; i++) {
		const struct tk_repository *rp = &refs->repos[i];
		char name[32];

		if (!rp->has_token)
			continue;
		snprintf(name, sizeof(name), NAMES_ENV_REPO_TOKEN "%zu", i);
		push(b, env, env_secret(name, &rp->token_secret_ref));
	}
	return env;
}

static json_object *mount(const char *name, const char *path, bool read_only)
{
	struct jb b = {0};
	json_object *m = json_object_new_object();

	put(&b, m, "name", str(name));
	put(&b, m, "mountPath", str(path));
	if (read_only)
		put(&b, m, "readOnly", json_object_new_boolean(1));
	if (b.err) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

static json_object *container(struct jb *b, const struct tk_agentjob *aj,
                              const struct build_refs *refs)
{
	const struct tk_agentruntime *rt = refs->runtime;
	json_object *c = json_object_new_object();
	json_object *sc = json_object_new_object();
	json_object *caps = json_object_new_object();
	json_object *drop = json_object_new_array();
	json_object *mounts = json_object_new_array();

	put(b, c, "name", str(BUILD_CONTAINER));
	put(b, c, "image", str(rt->image));
	if (rt->image_pull_policy)
		put(b, c, "imagePullPolicy", str(rt->image_pull_policy));
	if (rt->command.n)
		put(b, c, "command", strarray(b, &rt->command));
	if (rt->args.n)
		put(b, c, "args", strarray(b, &rt->args));
	put(b, c, "env", container_env(b, aj, refs));
	if (nonempty_array(aj->spec.env_from))
		put(b, c, "envFrom", copy(aj->spec.env_from));
	put(b, c, "resources",
	    aj->spec.resources ? copy(aj->spec.resources) : json_object_new_object());
	put(b, sc, "allowPrivilegeEscalation", json_object_new_boolean(0));
	put(b, sc, "readOnlyRootFilesystem", json_object_new_boolean(1));
	push(b, drop, str("ALL"));
	put(b, caps, "drop", drop);
	put(b, sc, "capabilities", caps);
	put(b, c, "securityContext", sc);
	push(b, mounts, mount("agent-config", rt->config_path, true));
	if (aj->spec.persist)
		push(b, mounts, mount("agent-persist", rt->persist_path, false));
	push(b, mounts, mount("tmp", "/tmp", false));
	push(b, mounts, mount("home", BUILD_HOME, false));
	put(b, c, "volumeMounts", mounts);
	return c;
}

static json_object *volume(struct jb *b, const char *name, const char *type, json_object *src)
{
	json_object *v = json_object_new_object();

	put(b, v, "name", str(name));
	put(b, v, type, src);
	return v;
}

static json_object *volumes(struct jb *b, const struct tk_agentjob *aj, const char *cm_name,
                            const char *pvc_name)
{
	json_object *vs = json_object_new_array();
	json_object *cm = json_object_new_object();

	put(b, cm, "name", str(cm_name));
	push(b, vs, volume(b, "agent-config", "configMap", cm));
	if (aj->spec.persist) {
		json_object *pvc = json_object_new_object();

		put(b, pvc, "claimName", str(pvc_name));
		push(b, vs, volume(b, "agent-persist", "persistentVolumeClaim", pvc));
	}
	push(b, vs, volume(b, "tmp", "emptyDir", json_object_new_object()));
	push(b, vs, volume(b, "home", "emptyDir", json_object_new_object()));
	return vs;
}

static json_object *pod_security(struct jb *b)
{
	json_object *sc = json_object_new_object();
	json_object *sp = json_object_new_object();

	put(b, sc, "runAsNonRoot", json_object_new_boolean(1));
	put(b, sc, "runAsUser", json_object_new_int64(BUILD_RUN_UID));
	put(b, sc, "runAsGroup", json_object_new_int64(BUILD_RUN_UID));
	put(b, sc, "fsGroup", json_object_new_int64(BUILD_RUN_UID));
	put(b, sp, "type", str("RuntimeDefault"));
	put(b, sc, "seccompProfile", sp);
	return sc;
}

/* The pod's labels: spec.podLabels under thurkube's own (the schema
 * reserves thurkube's keys; ours win should one arrive anyway). */
static json_object *pod_labels(struct jb *b, const struct tk_agentjob *aj)
{
	json_object *l = build_labels(aj);

	if (!l || !nonempty_object(aj->spec.pod_labels))
		return l;
	json_object_object_foreach(aj->spec.pod_labels, k, v)
	{
		if (!json_object_object_get_ex(l, k, NULL) &&
		    json_object_is_type(v, json_type_string))
			put(b, l, k, str(json_object_get_string(v)));
	}
	return l;
}

static const char *policy_or(const char *v, const char *def)
{
	return v ? v : def;
}

/*
 * The controller's pod policy, added to the template after configHash was
 * computed (build_policy): no service links (a Service named like an
 * agent's variable would inject it), a size limit on every emptyDir, and
 * the agent container's termination message settings.
 */
static void pod_policy(struct jb *b, json_object *tmpl, const struct build_policy *pol)
{
	const char *limit =
	    policy_or(pol ? pol->empty_dir_size_limit : NULL, BUILD_DEFAULT_EMPTYDIR_LIMIT);
	json_object *p = jsonutil_get(tmpl, "spec");
	json_object *vs = jsonutil_get_type(p, "volumes", json_type_array);
	size_t i;

	json_object *agent =
	    json_object_array_get_idx(jsonutil_get_type(p, "containers", json_type_array), 0);

	put(b, p, "enableServiceLinks", json_object_new_boolean(0));
	/* The run's results (results.h): the agent writes them there; a run
	 * that fails without writing leaves the end of its log instead. */
	put(b, agent, "terminationMessagePath", str(BUILD_TERMINATION_LOG));
	put(b, agent, "terminationMessagePolicy", str("FallbackToLogsOnError"));
	if (!*limit)
		return;
	for (i = 0; vs && i < json_object_array_length(vs); i++) {
		json_object *ed = jsonutil_get_type(json_object_array_get_idx(vs, i), "emptyDir",
		                                    json_type_object);

		if (ed)
			put(b, ed, "sizeLimit", str(limit));
	}
}

static json_object *pod_template(struct jb *b, const struct tk_agentjob *aj,
                                 const struct build_refs *refs, const char *cm_name,
                                 const char *pvc_name, const char *sa_name)
{
	const struct tk_agentjob_spec *s = &aj->spec;
	json_object *t = json_object_new_object();
	json_object *m = json_object_new_object();
	json_object *p = json_object_new_object();
	json_object *cs = json_object_new_array();

	put(b, m, "labels", pod_labels(b, aj));
	if (nonempty_object(s->pod_annotations))
		put(b, m, "annotations", copy(s->pod_annotations));
	put(b, t, "metadata", m);
	put(b, p, "restartPolicy", str("Never"));
	put(b, p, "activeDeadlineSeconds", json_object_new_int64(s->timeout_seconds));
	put(b, p, "automountServiceAccountToken", json_object_new_boolean(sa_name != NULL));
	if (sa_name)
		put(b, p, "serviceAccountName", str(sa_name));
	put(b, p, "securityContext", pod_security(b));
	if (nonempty_array(s->image_pull_secrets))
		put(b, p, "imagePullSecrets", copy(s->image_pull_secrets));
	if (nonempty_object(s->node_selector))
		put(b, p, "nodeSelector", copy(s->node_selector));
	if (nonempty_array(s->tolerations))
		put(b, p, "tolerations", copy(s->tolerations));
	if (refs->runtime->runtime_class_name)
		put(b, p, "runtimeClassName", str(refs->runtime->runtime_class_name));
	if (s->priority_class_name)
		put(b, p, "priorityClassName", str(s->priority_class_name));
	if (nonempty_object(s->affinity))
		put(b, p, "affinity", copy(s->affinity));
	if (nonempty_array(s->topology_spread_constraints))
		put(b, p, "topologySpreadConstraints", copy(s->topology_spread_constraints));
	push(b, cs, container(b, aj, refs));
	put(b, p, "containers", cs);
	put(b, p, "volumes", volumes(b, aj, cm_name, pvc_name));
	put(b, t, "spec", p);
	return t;
}

/* ---- the NetworkPolicy of a Restricted AgentJob ------------------------ */

static bool egress_restricted(const struct tk_agentruntime *rt)
{
	return rt->egress && strcmp(rt->egress, "Restricted") == 0;
}

static json_object *match_labels(struct jb *b, const char *key, const char *value)
{
	json_object *sel = json_object_new_object();
	json_object *ml = json_object_new_object();

	put(b, ml, key, str(value));
	put(b, sel, "matchLabels", ml);
	return sel;
}

static json_object *port(struct jb *b, const char *protocol, int64_t number)
{
	json_object *p = json_object_new_object();

	put(b, p, "protocol", str(protocol));
	put(b, p, "port", json_object_new_int64(number));
	return p;
}

/* Egress to the cluster DNS pods on port 53 (UDP and TCP). */
static json_object *dns_rule(struct jb *b, const struct build_policy *pol)
{
	const char *ns = policy_or(pol ? pol->dns_namespace : NULL, BUILD_DEFAULT_DNS_NAMESPACE);
	const char *label = policy_or(pol ? pol->dns_pod_label : NULL, BUILD_DEFAULT_DNS_LABEL);
	const char *eq = strchr(label, '=');
	json_object *rule = json_object_new_object();
	json_object *to = json_object_new_array();
	json_object *peer = json_object_new_object();
	json_object *ports = json_object_new_array();
	char *key;

	if (!eq) {
		b->err = b->err ? b->err : -EINVAL;
		eq = label + strlen(label);
	}
	key = xstrndup(label, (size_t)(eq - label));
	put(b, peer, "namespaceSelector", match_labels(b, "kubernetes.io/metadata.name", ns));
	if (key)
		put(b, peer, "podSelector", match_labels(b, key, *eq ? eq + 1 : ""));
	else
		b->err = -ENOMEM;
	free(key);
	push(b, to, peer);
	put(b, rule, "to", to);
	push(b, ports, port(b, "UDP", 53));
	push(b, ports, port(b, "TCP", 53));
	put(b, rule, "ports", ports);
	return rule;
}

/*
 * One allow entry as an egress rule: its CIDR (canonical form) minus the
 * link-local and metadata ranges it contains, and its ports. NULL with no
 * error for an entry the schema refuses (not a CIDR, inside a link-local
 * range): it is left out, so a stored object the webhook never saw opens
 * nothing it should not.
 */
static json_object *allow_rule(struct jb *b, json_object *entry)
{
	static const char *const never[] = {BUILD_LINK_LOCAL_V4, BUILD_LINK_LOCAL_V6,
	                                    BUILD_METADATA_V6};
	const char *text = jsonutil_str(entry, "cidr");
	json_object *ports = jsonutil_get_type(entry, "ports", json_type_array);
	json_object *rule, *to, *peer, *block, *except;
	char canon[CIDR_TEXT_MAX];
	struct cidr c;
	size_t i;

	if (!text || cidr_parse(text, &c, NULL) == -EINVAL)
		return NULL;
	for (i = 0; i < TK_ARRAY_LEN(never); i++) {
		struct cidr n;

		if (cidr_parse(never[i], &n, NULL) == 0 && cidr_contains(&n, &c))
			return NULL;
	}
	rule = json_object_new_object();
	to = json_object_new_array();
	peer = json_object_new_object();
	block = json_object_new_object();
	except = json_object_new_array();
	cidr_format(&c, canon);
	put(b, block, "cidr", str(canon));
	for (i = 0; i < TK_ARRAY_LEN(never); i++) {
		struct cidr n;

		if (cidr_parse(never[i], &n, NULL) == 0 && cidr_contains(&c, &n))
			push(b, except, str(never[i]));
	}
	if (json_object_array_length(except))
		put(b, block, "except", except);
	else
		json_object_put(except);
	put(b, peer, "ipBlock", block);
	push(b, to, peer);
	put(b, rule, "to", to);
	if (ports && json_object_array_length(ports)) {
		json_object *ps = json_object_new_array();

		for (i = 0; i < json_object_array_length(ports); i++) {
			json_object *e = json_object_array_get_idx(ports, i);
			json_object *p = json_object_new_object();
			const char *proto = jsonutil_str(e, "protocol");

			put(b, p, "protocol", str(proto ? proto : "TCP"));
			if (jsonutil_get_type(e, "port", json_type_int))
				put(b, p, "port", copy(jsonutil_get(e, "port")));
			if (jsonutil_get_type(e, "endPort", json_type_int))
				put(b, p, "endPort", copy(jsonutil_get(e, "endPort")));
			push(b, ps, p);
		}
		put(b, rule, "ports", ps);
	}
	return rule;
}

/*
 * NetworkPolicy <name>-egress: selects the AgentJob's pods (by its name
 * and UID labels), denies all ingress, allows DNS and the runtime's allow
 * list, nothing else.
 */
static json_object *network_policy(struct jb *b, const struct tk_agentjob *aj,
                                   const struct tk_agentruntime *rt, const struct build_policy *pol,
                                   const char *name)
{
	json_object *o =
	    child(b, aj, "networking.k8s.io/v1", res_kind(RES_NETWORKPOLICY), name, true);
	json_object *spec = json_object_new_object();
	json_object *sel = json_object_new_object();
	json_object *ml = json_object_new_object();
	json_object *types = json_object_new_array();
	json_object *egress = json_object_new_array();
	json_object *allow = rt->egress_allow;
	size_t i;

	put(b, ml, NAMES_LABEL_AGENTJOB, str(aj->meta.name));
	put(b, ml, NAMES_LABEL_OWNER_UID, str(aj->meta.uid));
	put(b, sel, "matchLabels", ml);
	put(b, spec, "podSelector", sel);
	push(b, types, str("Ingress"));
	push(b, types, str("Egress"));
	put(b, spec, "policyTypes", types);
	push(b, egress, dns_rule(b, pol));
	for (i = 0; allow && json_object_is_type(allow, json_type_array) &&
	            i < json_object_array_length(allow) && !b->err;
	     i++) {
		json_object *r = allow_rule(b, json_object_array_get_idx(allow, i));

		if (r)
			push(b, egress, r);
	}
	put(b, spec, "egress", egress);
	put(b, o, "spec", spec);
	return o;
}

/* ---- children ----------------------------------------------------------- */

/*
 * The run queue (AgentAuth maxConcurrentRuns): the name of the AgentAuth
 * whose queue the AgentJob's runs join, or NULL when it sets no limit.
 */
static const char *queue_of(const struct tk_agentjob *aj, const struct build_refs *refs)
{
	return refs->auth && refs->auth->max_concurrent_runs > 0 ? aj->spec.auth_ref : NULL;
}

/* A run Job's labels: the four, and the queue's when queued. */
static json_object *run_labels(struct jb *b, const struct tk_agentjob *aj, const char *queue)
{
	json_object *l = build_labels(aj);

	if (queue)
		put(b, l, NAMES_LABEL_AGENTAUTH, str(queue));
	return l;
}

/* A run Job's spec; a queued run is created suspended (its AgentAuth's
 * queue releases it). */
static json_object *job_spec(struct jb *b, const struct tk_agentjob *aj, json_object *tmpl,
                             const char *queue)
{
	json_object *s = json_object_new_object();

	put(b, s, "backoffLimit", json_object_new_int64(aj->spec.backoff_limit));
	put(b, s, "activeDeadlineSeconds", json_object_new_int64(aj->spec.timeout_seconds));
	put(b, s, "ttlSecondsAfterFinished",
	    json_object_new_int64(aj->spec.ttl_seconds_after_finished));
	if (queue)
		put(b, s, "suspend", json_object_new_boolean(1));
	put(b, s, "template", copy(tmpl));
	return s;
}

static json_object *cronjob(struct jb *b, const struct tk_agentjob *aj, json_object *tmpl,
                            const char *queue)
{
	const struct tk_agentjob_spec *s = &aj->spec;
	json_object *o = child(b, aj, "batch/v1", res_kind(RES_CRONJOB), aj->meta.name, true);
	json_object *spec = json_object_new_object();
	json_object *jt = json_object_new_object();
	json_object *jtm = json_object_new_object();

	put(b, spec, "schedule", str(s->schedule));
	put(b, spec, "timeZone", str(s->timezone ? s->timezone : "Etc/UTC"));
	put(b, spec, "suspend", json_object_new_boolean(s->suspend));
	put(b, spec, "concurrencyPolicy",
	    str(s->concurrency_policy ? s->concurrency_policy : "Forbid"));
	if (s->has_starting_deadline)
		put(b, spec, "startingDeadlineSeconds",
		    json_object_new_int64(s->starting_deadline_seconds));
	put(b, spec, "successfulJobsHistoryLimit",
	    json_object_new_int64(s->successful_jobs_history_limit));
	put(b, spec, "failedJobsHistoryLimit", json_object_new_int64(s->failed_jobs_history_limit));
	put(b, jtm, "labels", run_labels(b, aj, queue));
	put(b, jt, "metadata", jtm);
	put(b, jt, "spec", job_spec(b, aj, tmpl, queue));
	put(b, spec, "jobTemplate", jt);
	put(b, o, "spec", spec);
	return o;
}

static json_object *job(struct jb *b, const struct tk_agentjob *aj, const char *name,
                        json_object *tmpl, const char *queue)
{
	json_object *o = child(b, aj, "batch/v1", res_kind(RES_JOB), name, true);

	if (queue)
		put(b, jsonutil_get(jsonutil_get(o, "metadata"), "labels"), NAMES_LABEL_AGENTAUTH,
		    str(queue));
	put(b, o, "spec", job_spec(b, aj, tmpl, queue));
	return o;
}

static json_object *configmap(struct jb *b, const struct tk_agentjob *aj, const char *name,
                              const char *agent_json)
{
	json_object *o = child(b, aj, "v1", res_kind(RES_CONFIGMAP), name, true);
	json_object *d = json_object_new_object();

	put(b, d, "agent.json", str(agent_json));
	put(b, o, "data", d);
	return o;
}

static json_object *pvc(struct jb *b, const struct tk_agentjob *aj, const char *name)
{
	json_object *o = child(b, aj, "v1", res_kind(RES_PVC), name, true);
	json_object *spec = json_object_new_object();
	json_object *modes = json_object_new_array();
	json_object *res = json_object_new_object();
	json_object *req = json_object_new_object();

	push(b, modes, str("ReadWriteOnce"));
	put(b, spec, "accessModes", modes);
	put(b, req, "storage", str(aj->spec.pv_size ? aj->spec.pv_size : "1Gi"));
	put(b, res, "requests", req);
	put(b, spec, "resources", res);
	if (aj->spec.pv_storage_class)
		put(b, spec, "storageClassName", str(aj->spec.pv_storage_class));
	put(b, o, "spec", spec);
	return o;
}

static json_object *crb(struct jb *b, const struct tk_agentjob *aj, const char *name,
                        const char *sa_name, const char *cr_name)
{
	json_object *o = child(b, aj, "rbac.authorization.k8s.io/v1",
	                       res_kind(RES_CLUSTERROLEBINDING), name, false);
	json_object *m = json_object_object_get(o, "metadata");
	json_object *labels = m ? json_object_object_get(m, "labels") : NULL;
	json_object *rr = json_object_new_object();
	json_object *subs = json_object_new_array();
	json_object *sub = json_object_new_object();

	put(b, labels, NAMES_LABEL_CLUSTERROLE, str(cr_name));
	put(b, labels, NAMES_LABEL_CLUSTERACCESS, str(aj->spec.cluster_access_ref));
	put(b, labels, NAMES_LABEL_CLUSTERACCESS_NS, str(aj->meta.namespace));
	put(b, rr, "apiGroup", str("rbac.authorization.k8s.io"));
	put(b, rr, "kind", str("ClusterRole"));
	put(b, rr, "name", str(cr_name));
	put(b, o, "roleRef", rr);
	put(b, sub, "kind", str("ServiceAccount"));
	put(b, sub, "name", str(sa_name));
	put(b, sub, "namespace", str(aj->meta.namespace));
	push(b, subs, sub);
	put(b, o, "subjects", subs);
	return o;
}

/* The 8 hex of a run token, into hex[BUILD_RUN_NOW_HEX + 1]. */
static void run_now_hex(const char *token, char *hex)
{
	char full[65];

	sha256_hex(token, strlen(token), full);
	memcpy(hex, full, BUILD_RUN_NOW_HEX);
	hex[BUILD_RUN_NOW_HEX] = '\0';
}

char *build_run_now_name(const char *aj_name, const char *token)
{
	char suffix[BUILD_RUN_NOW_HEX + 3] = "-r";

	if (!aj_name || !token)
		return NULL;
	run_now_hex(token, suffix + 2);
	return suffixed(aj_name, suffix);
}

json_object *build_run_now(const struct tk_agentjob *aj, const struct build_out *d,
                           const char *token)
{
	struct jb b = {0};
	json_object *spec =
	    d->job ? jsonutil_get(d->job, "spec")
	           : jsonutil_get(jsonutil_get(jsonutil_get(d->cronjob, "spec"), "jobTemplate"),
	                          "spec");
	char hex[BUILD_RUN_NOW_HEX + 1];
	char *name = build_run_now_name(aj->meta.name, token);
	const char *queue;
	json_object *o, *labels;

	if (!spec || !name) {
		free(name);
		return NULL;
	}
	run_now_hex(token, hex);
	o = child(&b, aj, "batch/v1", res_kind(RES_JOB), name, true);
	labels = jsonutil_get(jsonutil_get(o, "metadata"), "labels");
	put(&b, labels, NAMES_LABEL_RUN_NOW, str(hex));
	queue = jsonutil_label(
	    d->job ? d->job : jsonutil_get(jsonutil_get(d->cronjob, "spec"), "jobTemplate"),
	    NAMES_LABEL_AGENTAUTH);
	if (queue)
		put(&b, labels, NAMES_LABEL_AGENTAUTH, str(queue));
	put(&b, o, "spec", copy(spec));
	stamp(&b, o);
	free(name);
	if (b.err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void build_out_free(struct build_out *o)
{
	free(o->agent_json);
	free(o->job_name);
	free(o->thurkube_job_name);
	free(o->crb_name);
	free(o->cluster_role_name);
	json_object_put(o->configmap);
	json_object_put(o->pvc);
	json_object_put(o->service_account);
	json_object_put(o->crb);
	json_object_put(o->cronjob);
	json_object_put(o->job);
	json_object_put(o->network_policy);
	json_object_put(o->pod_template);
	memset(o, 0, sizeof(*o));
}

int build_children(const struct tk_agentjob *aj, const struct build_refs *refs,
                   struct build_out *out)
{
	struct build_out o = {0};
	struct jb b = {0};
	char *cm_name = NULL, *pvc_name = NULL, *sa_name = NULL;
	const char *ns = aj->meta.namespace;
	bool ca = aj->spec.cluster_access_ref != NULL;

	if (!aj->meta.name || !ns || !aj->meta.uid || !refs_complete(aj, refs))
		return -EINVAL;
	b.err = build_agent_json(aj, refs, &o.agent_json);
	if (b.err)
		goto out;
	cm_name = suffixed(aj->meta.name, "-config");
	pvc_name = suffixed(aj->meta.name, "-data");
	sa_name = ca ? suffixed(aj->meta.name, "-runner") : NULL;
	o.crb_name = build_crb_name(ns, aj->meta.name);
	o.cluster_role_name = ca ? build_clusterrole_name(ns, aj->spec.cluster_access_ref) : NULL;
	if (!cm_name || !pvc_name || (ca && (!sa_name || !o.cluster_role_name)) || !o.crb_name) {
		b.err = -ENOMEM;
		goto out;
	}
	o.pod_template = pod_template(&b, aj, refs, cm_name, pvc_name, sa_name);
	if (egress_restricted(refs->runtime)) {
		char *np_name = suffixed(aj->meta.name, "-egress");

		if (!np_name)
			b.err = -ENOMEM;
		else
			o.network_policy =
			    network_policy(&b, aj, refs->runtime, refs->policy, np_name);
		free(np_name);
	}
	if (b.err)
		goto out;
	if (o.network_policy) {
		/* The user's egress settings, not the policy built from them
		 * (which also holds the controller's DNS flags). */
		json_object *net = json_object_new_object();

		put(&b, net, "egress", str(refs->runtime->egress));
		if (refs->runtime->egress_allow)
			put(&b, net, "allow", copy(refs->runtime->egress_allow));
		if (!b.err)
			b.err = build_config_hash(o.agent_json, o.pod_template, net, o.config_hash);
		json_object_put(net);
	} else if (!b.err) {
		b.err = build_config_hash(o.agent_json, o.pod_template, NULL, o.config_hash);
	}
	if (b.err)
		goto out;
	pod_policy(&b, o.pod_template, refs->policy);
	if (o.network_policy)
		stamp(&b, o.network_policy);
	build_thurkube_hash(o.agent_json, o.thurkube_hash);
	o.configmap = configmap(&b, aj, cm_name, o.agent_json);
	stamp(&b, o.configmap);
	if (aj->spec.persist) {
		o.pvc = pvc(&b, aj, pvc_name);
		stamp(&b, o.pvc);
	}
	if (ca) {
		o.service_account =
		    child(&b, aj, "v1", res_kind(RES_SERVICEACCOUNT), sa_name, true);
		stamp(&b, o.service_account);
		o.crb = crb(&b, aj, o.crb_name, sa_name, o.cluster_role_name);
		stamp(&b, o.crb);
	}
	if (aj->spec.schedule) {
		o.cronjob = cronjob(&b, aj, o.pod_template, queue_of(aj, refs));
		stamp(&b, o.cronjob);
	} else {
		char suffix[BUILD_HASH_LEN + 2] = "-";

		memcpy(suffix + 1, o.config_hash, BUILD_HASH_LEN + 1);
		o.job_name = suffixed(aj->meta.name, suffix);
		memcpy(suffix + 1, o.thurkube_hash, BUILD_HASH_LEN + 1);
		o.thurkube_job_name = suffixed(aj->meta.name, suffix);
		if (!o.job_name || !o.thurkube_job_name)
			b.err = -ENOMEM;
		o.job = job(&b, aj, o.job_name, o.pod_template, queue_of(aj, refs));
		stamp(&b, o.job);
	}
out:
	free(cm_name);
	free(pvc_name);
	free(sa_name);
	if (b.err) {
		build_out_free(&o);
		return b.err;
	}
	*out = o;
	return 0;
}

json_object *build_clusterrole(const struct tk_clusteraccess *ca)
{
	struct jb b = {0};
	json_object *o, *m, *l;
	char *name;

	if (!ca->meta.name || !ca->meta.namespace || !ca->meta.uid)
		return NULL;
	name = build_clusterrole_name(ca->meta.namespace, ca->meta.name);
	o = json_object_new_object();
	m = json_object_new_object();
	l = json_object_new_object();
	put(&b, o, "apiVersion", str("rbac.authorization.k8s.io/v1"));
	put(&b, o, "kind", str(res_kind(RES_CLUSTERROLE)));
	put(&b, m, "name", str(name));
	put(&b, l, NAMES_LABEL_MANAGED_BY, str(NAMES_MANAGED_BY));
	put(&b, l, NAMES_LABEL_CLUSTERACCESS, str(ca->meta.name));
	put(&b, l, NAMES_LABEL_CLUSTERACCESS_NS, str(ca->meta.namespace));
	put(&b, l, NAMES_LABEL_OWNER_UID, str(ca->meta.uid));
	put(&b, m, "labels", l);
	put(&b, o, "metadata", m);
	put(&b, o, "rules", ca->rules ? copy(ca->rules) : json_object_new_array());
	stamp(&b, o);
	free(name);
	if (b.err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- the subset comparison --------------------------------------------- */

enum sub_mode { SUB_PLAIN, SUB_QTY_MAP, SUB_QTY };

static bool is_zero(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return !json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) == 0;
	case json_type_double:
		return json_object_get_double(v) == 0.0;
	case json_type_string:
		return json_object_get_string_len(v) == 0;
	case json_type_array:
		return json_object_array_length(v) == 0;
	case json_type_object:
		return json_object_object_length(v) == 0;
	}
	return false;
}

/* Quantities compare by value; an integer (int-or-string in a CRD) is
 * rendered first, the way the API server turns it into a Quantity. */
static bool qty_equal(json_object *a, json_object *b)
{
	struct quantity qa, qb;
	const char *sa = json_object_get_string(a), *sb = json_object_get_string(b);

	if (!sa || !sb)
		return false;
	if (!strcmp(sa, sb))
		return true;
	if (quantity_parse(sa, strlen(sa), &qa, NULL) < 0 ||
	    quantity_parse(sb, strlen(sb), &qb, NULL) < 0)
		return false;
	return quantity_cmp(&qa, &qb) == 0;
}

static bool subset(json_object *d, json_object *o, enum sub_mode mode, int depth);

static bool subset_object(json_object *d, json_object *o, enum sub_mode mode, int depth)
{
	if (!json_object_is_type(o, json_type_object))
		return false;
	json_object_object_foreach(d, key, val)
	{
		enum sub_mode cm = SUB_PLAIN;

		if (mode == SUB_QTY_MAP)
			cm = SUB_QTY;
		else if (!strcmp(key, "limits") || !strcmp(key, "requests"))
			cm = SUB_QTY_MAP;
		if (!subset(val, json_object_object_get(o, key), cm, depth + 1))
			return false;
	}
	return true;
}

static bool subset(json_object *d, json_object *o, enum sub_mode mode, int depth)
{
	size_t i, n;

	if (depth > TK_MAX_JSON_DEPTH)
		return false;
	if (!o || json_object_is_type(o, json_type_null))
		return is_zero(d);
	if (mode == SUB_QTY && !json_object_is_type(d, json_type_object) &&
	    !json_object_is_type(d, json_type_array))
		return qty_equal(d, o);
	switch (json_object_get_type(d)) {
	case json_type_null:
		return is_zero(o);
	case json_type_object:
		return subset_object(d, o, mode, depth);
	case json_type_array:
		if (!json_object_is_type(o, json_type_array))
			return false;
		n = json_object_array_length(d);
		if (n != json_object_array_length(o))
			return false;
		for (i = 0; i < n; i++)
			if (!subset(json_object_array_get_idx(d, i),
			            json_object_array_get_idx(o, i), SUB_PLAIN, depth + 1))
				return false;
		return true;
	case json_type_string:
		if (!json_object_is_type(o, json_type_string))
			return false;
		if (!strcmp(json_object_get_string(d), json_object_get_string(o)))
			return true;
		return mode == SUB_QTY && qty_equal(d, o);
	case json_type_boolean:
		return json_object_is_type(o, json_type_boolean) &&
		       json_object_get_boolean(d) == json_object_get_boolean(o);
	case json_type_int:
		if (json_object_is_type(o, json_type_int))
			return json_object_get_int64(d) == json_object_get_int64(o);
		/* fall through */
	case json_type_double:
		if (!json_object_is_type(o, json_type_int) &&
		    !json_object_is_type(o, json_type_double))
			return false;
		return json_object_get_double(d) == json_object_get_double(o);
	}
	return false;
}

bool build_subset(json_object *desired, json_object *observed)
{
	static const char *const meta_keys[] = {"labels", "annotations", "ownerReferences"};
	json_object *dm, *om = NULL;
	size_t i;

	if (!json_object_is_type(desired, json_type_object) ||
	    !json_object_is_type(observed, json_type_object))
		return false;
	json_object_object_foreach(desired, key, val)
	{
		if (!strcmp(key, "apiVersion") || !strcmp(key, "kind") || !strcmp(key, "metadata"))
			continue;
		if (!subset(val, json_object_object_get(observed, key), SUB_PLAIN, 1))
			return false;
	}
	if (!json_object_object_get_ex(desired, "metadata", &dm))
		return true;
	json_object_object_get_ex(observed, "metadata", &om);
	for (i = 0; i < TK_ARRAY_LEN(meta_keys); i++) {
		json_object *dv = json_object_object_get(dm, meta_keys[i]);

		if (dv &&
		    !subset(dv, om ? json_object_object_get(om, meta_keys[i]) : NULL, SUB_PLAIN, 1))
			return false;
	}
	return true;
}
