/*
 * test_schema.c - the kind table and the generated CRDs, read back with
 * yamljson: names, categories, short names, printer columns, status
 * subresources, required sets, defaults, structural-schema rules, byte
 * stability, and that manifests/crds/ matches the generator.
 *
 * `test_schema --crd` prints the CRD stream (what tests/gen-manifests
 * splits into manifests/crds/ until the service binaries print it).
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "schema.h"
#include "util.h"
#include "yamljson.h"

static const struct {
	const char *kind, *plural, *shortname, *required;
	bool status;
} expect[TK_KIND_COUNT] = {
    {"AgentJob", "agentjobs", "aj", "authRef,prompt,roleRef,runtimeRef", true},
    {"AgentRuntime", "agentruntimes", "ar", "authEnvVar,configPath,image,persistPath", false},
    {"AgentAuth", "agentauths", "aa", "secretRef", false},
    {"AgentRole", "agentroles", "arl", "allowedTools", true},
    {"AgentSkill", "agentskills", "ask", "name,repo", false},
    {"McpServer", "mcpservers", "mcp", "", false},
    {"Repository", "repositories", "repo", "name,owner", false},
    {"ClusterAccess", "clusteraccesses", "ca", "rules", true},
};

/* Follow a dotted path ("spec.names.kind", "versions.0.name"); borrowed or NULL. */
static json_object *jget(json_object *o, const char *path)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); o && tok; tok = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;

		if (json_object_is_type(o, json_type_array)) {
			int64_t i;

			if (parse_i64(tok, 0, 100000, &i) < 0)
				return NULL;
			next = json_object_array_get_idx(o, (size_t)i);
		} else if (!json_object_object_get_ex(o, tok, &next)) {
			return NULL;
		}
		o = next;
	}
	return o;
}

static const char *jstr(json_object *o, const char *path)
{
	json_object *v = jget(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int collect_doc(void *ud, json_object *doc, size_t line)
{
	(void)line;
	return json_object_array_add(ud, json_object_get(doc)) < 0 ? -ENOMEM : 0;
}

static json_object *crd_docs(void)
{
	struct buf b = BUF_INIT(4u << 20);
	struct yamljson_error err;
	json_object *docs = json_object_new_array();

	ck_assert_int_eq(schema_crds_yaml(&b), 0);
	ck_assert_int_eq(yamljson_parse(b.data, b.len, collect_doc, docs, &err), 0);
	buf_free(&b);
	return docs;
}

/* "a,b,c" from a JSON array of strings. */
static void joined(json_object *arr, char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; arr && i < json_object_array_length(arr); i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "",
		                        json_object_get_string(json_object_array_get_idx(arr, i)));
}

START_TEST(test_kind_lookup)
{
	enum tk_kind k = TK_KIND_COUNT;
	const struct schema_kind_info *ki = schema_kind_info((enum tk_kind)_i);

	ck_assert_ptr_nonnull(ki);
	ck_assert_str_eq(ki->kind, expect[_i].kind);
	ck_assert_str_eq(ki->plural, expect[_i].plural);
	ck_assert_str_eq(ki->short_name, expect[_i].shortname);
	ck_assert_int_eq(ki->has_status, expect[_i].status);
	ck_assert_int_eq(schema_kind_from_name(expect[_i].kind, &k), 0);
	ck_assert_int_eq(k, _i);
	k = TK_KIND_COUNT;
	ck_assert_int_eq(schema_kind_from_plural(expect[_i].plural, &k), 0);
	ck_assert_int_eq(k, _i);
	ck_assert_int_eq(schema_kind_from_name(expect[_i].plural, &k), -ENOENT);
}
END_TEST

START_TEST(test_crd_document)
{
	json_object *docs = crd_docs(), *d, *v;
	char name[128], got[256];

	ck_assert_int_eq(json_object_array_length(docs), TK_KIND_COUNT);
	d = json_object_array_get_idx(docs, (size_t)_i);
	ck_assert_str_eq(jstr(d, "apiVersion"), "apiextensions.k8s.io/v1");
	ck_assert_str_eq(jstr(d, "kind"), "CustomResourceDefinition");
	snprintf(name, sizeof(name), "%s.thurkube.thurbeen.eu", expect[_i].plural);
	ck_assert_str_eq(jstr(d, "metadata.name"), name);
	ck_assert_str_eq(jstr(d, "spec.group"), "thurkube.thurbeen.eu");
	ck_assert_str_eq(jstr(d, "spec.scope"), "Namespaced");
	ck_assert_str_eq(jstr(d, "spec.names.kind"), expect[_i].kind);
	ck_assert_str_eq(jstr(d, "spec.names.plural"), expect[_i].plural);
	joined(jget(d, "spec.names.categories"), got, sizeof(got));
	ck_assert_str_eq(got, "thurkube");
	joined(jget(d, "spec.names.shortNames"), got, sizeof(got));
	ck_assert_str_eq(got, expect[_i].shortname);
	ck_assert_int_eq(json_object_array_length(jget(d, "spec.versions")), 1);
	ck_assert_str_eq(jstr(d, "spec.versions.0.name"), "v1alpha1");
	ck_assert(json_object_get_boolean(jget(d, "spec.versions.0.served")));
	ck_assert(json_object_get_boolean(jget(d, "spec.versions.0.storage")));
	v = jget(d, "spec.versions.0.subresources.status");
	ck_assert_int_eq(v != NULL, expect[_i].status);
	ck_assert_int_eq(jget(d, "spec.versions.0.schema.openAPIV3Schema.properties.status") !=
	                     NULL,
	                 expect[_i].status);
	joined(jget(d, "spec.versions.0.schema.openAPIV3Schema.required"), got, sizeof(got));
	ck_assert_str_eq(got, "spec");
	joined(jget(d, "spec.versions.0.schema.openAPIV3Schema.properties.spec.required"), got,
	       sizeof(got));
	ck_assert_str_eq(got, expect[_i].required);
	ck_assert_int_eq(jget(d, "spec.versions.0.additionalPrinterColumns") != NULL,
	                 _i == TK_AGENTJOB || _i == TK_AGENTROLE || _i == TK_CLUSTERACCESS);
	json_object_put(docs);
}
END_TEST

#define READY_PATH  ".status.conditions[?(@.type==\"Ready\")].status"
#define REASON_PATH ".status.conditions[?(@.type==\"Ready\")].reason"

static void check_columns(int kind, const char *const (*want)[3], size_t n)
{
	json_object *docs = crd_docs();
	json_object *cols =
	    jget(json_object_array_get_idx(docs, kind), "spec.versions.0.additionalPrinterColumns");
	size_t i;

	ck_assert_int_eq(json_object_array_length(cols), n);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(cols, i);

		ck_assert_str_eq(jstr(c, "name"), want[i][0]);
		ck_assert_str_eq(jstr(c, "type"), want[i][1]);
		ck_assert_str_eq(jstr(c, "jsonPath"), want[i][2]);
	}
	json_object_put(docs);
}

START_TEST(test_printer_columns)
{
	static const char *const aj[][3] = {
	    {"Schedule", "string", ".spec.schedule"},
	    {"Suspended", "boolean", ".spec.suspend"},
	    {"Phase", "string", ".status.phase"},
	    {"Ready", "string", READY_PATH},
	    {"Reason", "string", REASON_PATH},
	    {"Last Run", "date", ".status.lastRunTime"},
	    {"Age", "date", ".metadata.creationTimestamp"},
	};
	static const char *const usage[][3] = {
	    {"Used By", "integer", ".status.usedBy"},
	    {"Ready", "string", READY_PATH},
	    {"Reason", "string", REASON_PATH},
	    {"Age", "date", ".metadata.creationTimestamp"},
	};

	check_columns(TK_AGENTJOB, aj, TK_ARRAY_LEN(aj));
	check_columns(TK_AGENTROLE, usage, TK_ARRAY_LEN(usage));
	check_columns(TK_CLUSTERACCESS, usage, TK_ARRAY_LEN(usage));
}
END_TEST

START_TEST(test_defaults_and_status)
{
	json_object *docs = crd_docs();
	json_object *aj = jget(json_object_array_get_idx(docs, TK_AGENTJOB),
	                       "spec.versions.0.schema.openAPIV3Schema.properties");
	json_object *skill = jget(json_object_array_get_idx(docs, TK_AGENTSKILL),
	                          "spec.versions.0.schema.openAPIV3Schema.properties");
	json_object *role = jget(json_object_array_get_idx(docs, TK_AGENTROLE),
	                         "spec.versions.0.schema.openAPIV3Schema.properties");
	char got[256];

	ck_assert_str_eq(jstr(aj, "spec.properties.timezone.default"), "Etc/UTC");
	ck_assert_int_eq(json_object_get_int(jget(aj, "spec.properties.timeoutSeconds.default")),
	                 3600);
	/* Bounds and enums live in the webhook only, so one denial lists them all. */
	ck_assert_ptr_null(jget(aj, "spec.properties.timeoutSeconds.minimum"));
	ck_assert_ptr_null(jget(aj, "spec.properties.concurrencyPolicy.enum"));
	ck_assert(
	    json_object_is_type(jget(aj, "spec.properties.suspend.default"), json_type_boolean));
	ck_assert(!json_object_get_boolean(jget(aj, "spec.properties.persist.default")));
	ck_assert_int_eq(
	    json_object_get_int(jget(aj, "spec.properties.ttlSecondsAfterFinished.default")),
	    86400);
	ck_assert_str_eq(jstr(aj, "spec.properties.concurrencyPolicy.default"), "Forbid");
	ck_assert_str_eq(jstr(aj, "spec.properties.persistentVolume.properties.size.default"),
	                 "1Gi");
	ck_assert(json_object_get_boolean(jget(
	    aj, "spec.properties.persistentVolume.properties.size.x-kubernetes-int-or-string")));
	ck_assert(
	    json_object_get_boolean(jget(aj, "spec.properties.resources.properties.limits."
	                                     "additionalProperties.x-kubernetes-int-or-string")));
	ck_assert_str_eq(jstr(skill, "spec.properties.ref.default"), "main");
	ck_assert_str_eq(jstr(aj, "status.properties.conditions.x-kubernetes-list-type"), "map");
	joined(jget(aj, "status.properties.conditions.x-kubernetes-list-map-keys"), got,
	       sizeof(got));
	ck_assert_str_eq(got, "type");
	joined(jget(aj, "status.properties.conditions.items.required"), got, sizeof(got));
	ck_assert_str_eq(got, "lastTransitionTime,message,reason,status,type");
	ck_assert_str_eq(jstr(aj, "status.properties.conditions.items.properties.status.type"),
	                 "string");
	ck_assert_ptr_nonnull(jget(aj, "status.properties.ownedResources"));
	ck_assert_ptr_nonnull(jget(aj, "status.properties.lastCompletionTime"));
	ck_assert_ptr_nonnull(jget(role, "status.properties.usedBy"));
	ck_assert_ptr_nonnull(jget(role, "status.properties.observedGeneration"));
	json_object_put(docs);
}
END_TEST

static const char *const allowed_keys[] = {"additionalProperties",
                                           "anyOf",
                                           "default",
                                           "description",
                                           "enum",
                                           "format",
                                           "items",
                                           "maximum",
                                           "minItems",
                                           "minimum",
                                           "nullable",
                                           "properties",
                                           "required",
                                           "title",
                                           "type",
                                           "x-kubernetes-int-or-string",
                                           "x-kubernetes-list-map-keys",
                                           "x-kubernetes-list-type",
                                           NULL};

/* Every schema node is structural: a type (or int-or-string), only supported keys. */
static void check_structural(json_object *n, const char *path, struct strlist *nullable)
{
	json_object *props = jget(n, "properties"), *items = jget(n, "items"),
	            *addl = jget(n, "additionalProperties");

	ck_assert_msg(jget(n, "type") || jget(n, "x-kubernetes-int-or-string"), "%s has no type",
	              path);
	json_object_object_foreach(n, key, val)
	{
		size_t i;
		bool ok = false;

		(void)val;
		for (i = 0; allowed_keys[i]; i++)
			ok |= strcmp(key, allowed_keys[i]) == 0;
		ck_assert_msg(ok, "%s: unsupported keyword %s", path, key);
	}
	if (json_object_get_boolean(jget(n, "nullable")))
		ck_assert_int_eq(strlist_add(nullable, path), 0);
	if (props) {
		json_object_object_foreach(props, name, child)
		{
			char p[512];

			snprintf(p, sizeof(p), "%s.%s", path, name);
			check_structural(child, p, nullable);
		}
	}
	if (items) {
		char p[512];

		snprintf(p, sizeof(p), "%s[]", path);
		check_structural(items, p, nullable);
	}
	if (addl)
		check_structural(addl, path, nullable);
}

START_TEST(test_structural)
{
	/* Where thurkube has `nullable: true`, and nowhere else. */
	static const char *const want[] = {"AgentJob.spec.clusterAccessRef",
	                                   "AgentJob.spec.instructions",
	                                   "AgentJob.spec.model",
	                                   "AgentJob.spec.resources",
	                                   "AgentJob.spec.schedule",
	                                   "AgentJob.spec.skillRef",
	                                   "AgentJob.status",
	                                   "AgentJob.status.configHash",
	                                   "AgentJob.status.lastCompletionTime",
	                                   "AgentJob.status.lastRunTime",
	                                   "AgentJob.status.message",
	                                   "AgentJob.status.phase",
	                                   "McpServer.spec.command",
	                                   "McpServer.spec.url",
	                                   "Repository.spec.tokenSecretRef",
	                                   NULL};
	json_object *docs = crd_docs();
	struct strlist nullable = {0};
	size_t i, n = 0;

	for (i = 0; i < TK_KIND_COUNT; i++)
		check_structural(jget(json_object_array_get_idx(docs, i),
		                      "spec.versions.0.schema.openAPIV3Schema"),
		                 expect[i].kind, &nullable);
	for (i = 0; want[i]; i++, n++)
		ck_assert_msg(strlist_contains(&nullable, want[i]), "%s should be nullable",
		              want[i]);
	ck_assert_int_eq(nullable.n, n);
	strlist_free(&nullable);
	json_object_put(docs);
}
END_TEST

START_TEST(test_byte_stable)
{
	struct buf a = BUF_INIT(4u << 20), b = BUF_INIT(4u << 20), c = BUF_INIT(4u << 20);
	unsigned k;

	ck_assert_int_eq(schema_crds_yaml(&a), 0);
	ck_assert_int_eq(schema_crds_yaml(&b), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
	for (k = 0; k < TK_KIND_COUNT; k++)
		ck_assert_int_eq(schema_crd_yaml((enum tk_kind)k, &c), 0);
	ck_assert_str_eq(a.data, c.data);
	ck_assert_int_eq(strncmp(a.data, "---\n", 4), 0);
	ck_assert_int_eq(schema_crd_yaml(TK_KIND_COUNT, &c), -EINVAL);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}
END_TEST

START_TEST(test_crd_limit)
{
	struct buf small = BUF_INIT(1000);

	/* A buffer that is too small fails cleanly and is left as it was. */
	ck_assert_int_lt(schema_crds_yaml(&small), 0);
	ck_assert_uint_eq(small.len, 0);
	buf_free(&small);
}
END_TEST

/* manifests/crds/<plural>.yaml is the generator's document (tests/gen-manifests keeps it so). */
START_TEST(test_manifests_in_sync)
{
	struct buf want = BUF_INIT(4u << 20);
	char path[256], *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "manifests/crds/%s.yaml", expect[_i].plural);
	ck_assert_int_eq(schema_crd_yaml((enum tk_kind)_i, &want), 0);
	ck_assert_msg(read_file(path, 4u << 20, &text, &len) == 0,
	              "%s missing: run tests/gen-manifests", path);
	ck_assert_msg(strcmp(text, want.data + 4) == 0, "%s drifted: run tests/gen-manifests",
	              path);
	free(text);
	ck_assert_int_eq(read_file("manifests/crds/kustomization.yaml", 1u << 20, &text, &len), 0);
	snprintf(path, sizeof(path), "- %s.yaml\n", expect[_i].plural);
	ck_assert_ptr_nonnull(strstr(text, path));
	free(text);
	buf_free(&want);
}
END_TEST

static Suite *schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("crd");

	tcase_add_loop_test(tc, test_kind_lookup, 0, TK_KIND_COUNT);
	tcase_add_loop_test(tc, test_crd_document, 0, TK_KIND_COUNT);
	tcase_add_test(tc, test_printer_columns);
	tcase_add_test(tc, test_defaults_and_status);
	tcase_add_test(tc, test_structural);
	tcase_add_test(tc, test_byte_stable);
	tcase_add_test(tc, test_crd_limit);
	tcase_add_loop_test(tc, test_manifests_in_sync, 0, TK_KIND_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc > 1 && strcmp(argv[1], "--crd") == 0) {
		struct buf b = BUF_INIT(4u << 20);
		int r = schema_crds_yaml(&b);

		if (r == 0)
			fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		return r == 0 ? 0 : 1;
	}
	sr = srunner_create(schema_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
