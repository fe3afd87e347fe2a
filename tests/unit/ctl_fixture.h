/*
 * ctl_fixture.h - shared fixtures of the reconciler suites: the seed
 * quickstart objects as JSON, a dotted-path getter/setter, and decoding
 * into build_refs. Header-only (static inline) so each suite stays one
 * translation unit.
 */
#ifndef THURKUBE_CTL_FIXTURE_H
#define THURKUBE_CTL_FIXTURE_H

#include "compat.h"

#include <check.h>
#include <errno.h>

#include <json-c/json.h>

#include "model/build.h"
#include "types.h"

#define FX_UID "11111111-2222-3333-4444-555555555555"

/* The seed quickstart (000_*.txt), as the API server returns it. */
#define FX_AGENTJOB                                                                                \
	"{\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\",\"kind\":\"AgentJob\","                 \
	"\"metadata\":{\"name\":\"pr-fixer\",\"namespace\":\"agents\",\"uid\":\"" FX_UID "\","     \
	"\"generation\":3,\"resourceVersion\":\"100\"},"                                           \
	"\"spec\":{\"schedule\":\"0 */6 * * *\",\"timezone\":\"Europe/Paris\","                    \
	"\"runtimeRef\":\"claude-code\",\"authRef\":\"claude-oauth\",\"roleRef\":\"default\","     \
	"\"repositoryRefs\":[\"thurkube\"],"                                                       \
	"\"prompt\":\"Fix any failing PRs on this repository.\",\"persist\":true}}"
#define FX_RUNTIME                                                                                 \
	"{\"metadata\":{\"name\":\"claude-code\",\"namespace\":\"agents\",\"uid\":\"r1\"},"        \
	"\"spec\":{\"image\":\"ghcr.io/thurbeen/claude-code-job:latest\","                         \
	"\"authEnvVar\":\"CLAUDE_CODE_OAUTH_TOKEN\",\"configPath\":\"/etc/claude-code-job\","      \
	"\"persistPath\":\"/var/lib/claude-code-job\"}}"
#define FX_AUTH                                                                                    \
	"{\"metadata\":{\"name\":\"claude-oauth\",\"namespace\":\"agents\",\"uid\":\"a1\"},"       \
	"\"spec\":{\"secretRef\":{\"name\":\"claude-code-secrets\","                               \
	"\"key\":\"CLAUDE_CODE_OAUTH_TOKEN\"}}}"
#define FX_ROLE                                                                                    \
	"{\"metadata\":{\"name\":\"default\",\"namespace\":\"agents\",\"uid\":\"o1\"},"            \
	"\"spec\":{\"allowedTools\":[\"Bash\",\"Read\",\"Edit\",\"Write\",\"Glob\",\"Grep\"]}}"
#define FX_REPO                                                                                    \
	"{\"metadata\":{\"name\":\"thurkube\",\"namespace\":\"agents\",\"uid\":\"p1\"},"           \
	"\"spec\":{\"owner\":\"Thurbeen\",\"name\":\"thurkube\","                                  \
	"\"tokenSecretRef\":{\"name\":\"claude-code-secrets\",\"key\":\"GH_TOKEN\"}}}"
#define FX_CA                                                                                      \
	"{\"metadata\":{\"name\":\"reader\",\"namespace\":\"agents\",\"uid\":\"c1\"},"             \
	"\"spec\":{\"rules\":[{\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\"],"                 \
	"\"resources\":[\"pods\"]}]}}"

static inline json_object *fx_json(const char *text)
{
	json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "fixture does not parse: %s", text);
	return o;
}

/*
 * Walk a dotted path ("spec.template.spec.containers.0.env") in obj;
 * numeric parts index arrays. Borrowed result or NULL.
 */
static inline json_object *fx_get(json_object *obj, const char *path)
{
	char part[128];
	const char *p = path;

	while (obj && *p) {
		size_t n = strcspn(p, ".");
		json_object *next = NULL;

		ck_assert(n < sizeof(part));
		memcpy(part, p, n);
		part[n] = '\0';
		if (json_object_is_type(obj, json_type_array)) {
			char *end;
			unsigned long i = strtoul(part, &end, 10);

			next = *end ? NULL : json_object_array_get_idx(obj, i);
		} else {
			json_object_object_get_ex(obj, part, &next);
		}
		obj = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

static inline const char *fx_str(json_object *obj, const char *path)
{
	json_object *v = fx_get(obj, path);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Set the last part of path in its parent object (which must exist);
 * val is taken (NULL removes the key). */
static inline void fx_set(json_object *obj, const char *path, json_object *val)
{
	char parent[256];
	const char *dot = strrchr(path, '.');
	json_object *p = obj;

	if (dot) {
		ck_assert((size_t)(dot - path) < sizeof(parent));
		memcpy(parent, path, (size_t)(dot - path));
		parent[dot - path] = '\0';
		p = fx_get(obj, parent);
	}
	ck_assert_msg(p && json_object_is_type(p, json_type_object), "no parent for %s", path);
	if (val)
		json_object_object_add(p, dot ? dot + 1 : path, val);
	else
		json_object_object_del(p, dot ? dot + 1 : path);
}

/* Decoded AgentJob and references; refs points into the struct. */
struct fx {
	struct tk_agentjob aj;
	struct tk_agentruntime rt;
	struct tk_agentauth auth;
	struct tk_agentrole role;
	struct tk_clusteraccess ca;
	struct tk_repository repos[2];
	struct tk_mcpserver mcp[2];
	size_t n_repos, n_mcp;
	bool has_ca;
	struct build_refs refs;
};

/* JSON inputs of fx_load; NULL members use the quickstart defaults. */
struct fx_src {
	json_object *aj, *rt, *auth, *role, *ca;
	json_object *repos[2];
	json_object *mcp[2];
	size_t n_repos, n_mcp;
};

static inline void fx_decode_ok(int r, struct fielderrs *e, const char *what)
{
	struct buf b = BUF_INIT(4096);

	if (r)
		(void)!fielderrs_render(e, &b);
	ck_assert_msg(r == 0, "%s does not decode: %d %s", what, r, b.data ? b.data : "");
	buf_free(&b);
	fielderrs_free(e);
}

/* Decode src (borrowed) into f; the quickstart when src is NULL. */
static inline void fx_load(struct fx *f, const struct fx_src *src)
{
	struct fx_src d = {0};
	struct fielderrs e = {0};
	json_object *own[6] = {0};
	size_t i;

	if (src)
		d = *src;
	memset(f, 0, sizeof(*f));
	if (!d.aj)
		d.aj = own[0] = fx_json(FX_AGENTJOB);
	if (!d.rt)
		d.rt = own[1] = fx_json(FX_RUNTIME);
	if (!d.auth)
		d.auth = own[2] = fx_json(FX_AUTH);
	if (!d.role)
		d.role = own[3] = fx_json(FX_ROLE);
	if (!src) {
		d.repos[0] = own[4] = fx_json(FX_REPO);
		d.n_repos = 1;
	}
	fx_decode_ok(tk_agentjob_decode(d.aj, &f->aj, &e), &e, "agentjob");
	fx_decode_ok(tk_agentruntime_decode(d.rt, &f->rt, &e), &e, "runtime");
	fx_decode_ok(tk_agentauth_decode(d.auth, &f->auth, &e), &e, "auth");
	fx_decode_ok(tk_agentrole_decode(d.role, &f->role, &e), &e, "role");
	if (d.ca) {
		fx_decode_ok(tk_clusteraccess_decode(d.ca, &f->ca, &e), &e, "clusteraccess");
		f->has_ca = true;
	}
	for (i = 0; i < d.n_repos; i++)
		fx_decode_ok(tk_repository_decode(d.repos[i], &f->repos[i], &e), &e, "repository");
	for (i = 0; i < d.n_mcp; i++)
		fx_decode_ok(tk_mcpserver_decode(d.mcp[i], &f->mcp[i], &e), &e, "mcpserver");
	f->n_repos = d.n_repos;
	f->n_mcp = d.n_mcp;
	f->refs.runtime = &f->rt;
	f->refs.auth = &f->auth;
	f->refs.role = &f->role;
	f->refs.cluster_access = f->has_ca ? &f->ca : NULL;
	f->refs.repos = f->repos;
	f->refs.mcp = f->mcp;
	for (i = 0; i < TK_ARRAY_LEN(own); i++)
		json_object_put(own[i]);
}

static inline void fx_free(struct fx *f)
{
	size_t i;

	tk_agentjob_free(&f->aj);
	tk_agentruntime_free(&f->rt);
	tk_agentauth_free(&f->auth);
	tk_agentrole_free(&f->role);
	if (f->has_ca)
		tk_clusteraccess_free(&f->ca);
	for (i = 0; i < f->n_repos; i++)
		tk_repository_free(&f->repos[i]);
	for (i = 0; i < f->n_mcp; i++)
		tk_mcpserver_free(&f->mcp[i]);
}

/* The quickstart with its AgentJob spec edited: key = value (JSON text,
 * or NULL to remove the key). */
static inline void fx_load_edit(struct fx *f, const char *key, const char *value)
{
	struct fx_src s = {0};

	s.aj = fx_json(FX_AGENTJOB);
	s.repos[0] = fx_json(FX_REPO);
	s.n_repos = 1;
	fx_set(s.aj, key, value ? fx_json(value) : NULL);
	fx_load(f, &s);
	json_object_put(s.aj);
	json_object_put(s.repos[0]);
}

#endif
