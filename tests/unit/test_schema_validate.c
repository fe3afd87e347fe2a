/*
 * test_schema_validate.c - schema_validate: one invalid object per rule,
 * each asserting the exact field path and error type (and, where the
 * wording is part of the contract, the exact rendered line); valid
 * objects of every kind; an object with many problems reporting all.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>

#include "fielderr.h"
#include "jsonpatch.h"
#include "limits.h"
#include "schema.h"
#include "util.h"
#include "yamljson.h"

#define AV "\"apiVersion\":\"thurkube.thurbeen.eu/v1alpha1\""

/* A valid object of each kind; the cases change it with a JSON merge patch. */
static const char *const bases[TK_KIND_COUNT] = {
    [TK_AGENTJOB] = "{" AV ",\"kind\":\"AgentJob\",\"metadata\":{\"name\":\"pr-fixer\","
                    "\"namespace\":\"agents\"},\"spec\":{\"runtimeRef\":\"claude-code\","
                    "\"authRef\":\"claude-oauth\",\"roleRef\":\"default\",\"prompt\":\"Fix it.\"}}",
    [TK_AGENTRUNTIME] = "{" AV ",\"kind\":\"AgentRuntime\",\"metadata\":{\"name\":\"rt\"},"
                        "\"spec\":{\"image\":\"ghcr.io/x/y:1\",\"authEnvVar\":\"TOKEN\","
                        "\"configPath\":\"/etc/claude-code-job\","
                        "\"persistPath\":\"/var/lib/claude-code-job\"}}",
    [TK_AGENTAUTH] = "{" AV ",\"kind\":\"AgentAuth\",\"metadata\":{\"name\":\"auth\"},"
                     "\"spec\":{\"secretRef\":{\"name\":\"secrets\",\"key\":\"TOKEN\"}}}",
    [TK_AGENTROLE] = "{" AV ",\"kind\":\"AgentRole\",\"metadata\":{\"name\":\"role\"},"
                     "\"spec\":{\"allowedTools\":[\"Bash\",\"mcp__gmail__*\"]}}",
    [TK_AGENTSKILL] =
        "{" AV ",\"kind\":\"AgentSkill\",\"metadata\":{\"name\":\"skill\"},"
        "\"spec\":{\"repo\":\"Thurbeen/thurbeen-skills\",\"name\":\"bump-pr-fixer\"}}",
    [TK_MCPSERVER] = "{" AV ",\"kind\":\"McpServer\",\"metadata\":{\"name\":\"gmail\"},"
                     "\"spec\":{\"command\":\"npx\",\"args\":[\"-y\",\"gmail-mcp\"]}}",
    [TK_REPOSITORY] = "{" AV ",\"kind\":\"Repository\",\"metadata\":{\"name\":\"repo\"},"
                      "\"spec\":{\"owner\":\"Thurbeen\",\"name\":\"thurkube\"}}",
    [TK_CLUSTERACCESS] = "{" AV ",\"kind\":\"ClusterAccess\",\"metadata\":{\"name\":\"ca\"},"
                         "\"spec\":{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],"
                         "\"verbs\":[\"get\"]}]}}",
};

struct vcase {
	enum tk_kind kind;
	const char *patch; /* RFC 7386 merge patch */
	const char *path;
	enum fielderr_type type;
	const char *line; /* exact rendering, or NULL */
	int64_t max_timeout;
};

/* The webhook's policy flags a case runs with. */
#define POLICY_REQUIRE_RC 1 /* --require-runtime-class */
#define POLICY_FORBID     2 /* --forbid-tolerations with its default keys */

static const char *const default_taints[] = {"node-role.kubernetes.io/control-plane",
                                             "node-role.kubernetes.io/master"};

#define LONG47 "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abc"

static const struct vcase cases[] = {
    /* AgentJob */
    {TK_AGENTJOB, "{\"spec\":{\"timeoutSeconds\":0}}", "spec.timeoutSeconds", FE_INVALID,
     "spec.timeoutSeconds: Invalid value: 0: must be between 1 and 2147483647", 0},
    {TK_AGENTJOB, "{\"spec\":{\"timeoutSeconds\":2147483648}}", "spec.timeoutSeconds", FE_INVALID,
     NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"timeoutSeconds\":7201}}", "spec.timeoutSeconds", FE_INVALID,
     "spec.timeoutSeconds: Invalid value: 7201: must be between 1 and 7200 (the webhook's "
     "maximum timeout)",
     7200},
    {TK_AGENTJOB, "{\"spec\":{\"timeoutSeconds\":\"60\"}}", "spec.timeoutSeconds", FE_TYPE,
     "spec.timeoutSeconds: Invalid value: \"string\": spec.timeoutSeconds in body must be of "
     "type integer: \"string\"",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"schedule\":\"61 * * * *\"}}", "spec.schedule", FE_INVALID,
     "spec.schedule: Invalid value: \"61 * * * *\": minute must be 0-59", 0},
    {TK_AGENTJOB, "{\"spec\":{\"schedule\":\"TZ=UTC 0 * * * *\"}}", "spec.schedule", FE_INVALID,
     "spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": TZ= and CRON_TZ= prefixes are not "
     "supported: set spec.timezone instead",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"schedule\":\"CRON_TZ=Europe/Paris 0 * * * *\"}}", "spec.schedule",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"schedule\":\"\"}}", "spec.schedule", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"schedule\":\"* * * *\"}}", "spec.schedule", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"timezone\":\"Mars/Olympus_Mons\"}}", "spec.timezone", FE_INVALID,
     "spec.timezone: Invalid value: \"Mars/Olympus_Mons\": unknown time zone Mars/Olympus_Mons", 0},
    {TK_AGENTJOB, "{\"spec\":{\"prompt\":null}}", "spec.prompt", FE_REQUIRED,
     "spec.prompt: Required value", 0},
    {TK_AGENTJOB, "{\"spec\":{\"prompt\":\"\"}}", "spec.prompt", FE_REQUIRED,
     "spec.prompt: Required value", 0},
    {TK_AGENTJOB, "{\"spec\":{\"prompt\":\" \\n\\t\"}}", "spec.prompt", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"runtimeRef\":\"Claude_Code\"}}", "spec.runtimeRef", FE_INVALID,
     NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"authRef\":null}}", "spec.authRef", FE_REQUIRED,
     "spec.authRef: Required value", 0},
    {TK_AGENTJOB, "{\"spec\":{\"roleRef\":\"\"}}", "spec.roleRef", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"skillRef\":\"a..b\"}}", "spec.skillRef", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"clusterAccessRef\":\"-x\"}}", "spec.clusterAccessRef", FE_INVALID,
     NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"mcpServerRefs\":[\"github\",\"github\"]}}", "spec.mcpServerRefs[1]",
     FE_DUPLICATE, "spec.mcpServerRefs[1]: Duplicate value: \"github\"", 0},
    {TK_AGENTJOB, "{\"spec\":{\"repositoryRefs\":[\"ok\",\"Bad Name\"]}}", "spec.repositoryRefs[1]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"repositoryRefs\":[\"ok\",\"\"]}}", "spec.repositoryRefs[1]",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB, "{\"metadata\":{\"name\":\"" LONG47 "\"}}", "metadata.name", FE_TOO_LONG, NULL,
     0},
    {TK_AGENTJOB,
     "{\"metadata\":{\"name\":\"" LONG47 "abcdef\"},\"spec\":{\"schedule\":\"@daily\"}}",
     "metadata.name", FE_TOO_LONG, NULL, 0},
    {TK_AGENTJOB, "{\"metadata\":{\"name\":\"Bad_Name\"}}", "metadata.name", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"metadata\":{\"name\":null}}", "metadata.name", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"HOME\",\"value\":\"/root\"}]}}",
     "spec.env[0].name", FE_INVALID,
     "spec.env[0].name: Invalid value: \"HOME\": is reserved: thurkube sets it in the agent "
     "container",
     0},
    {TK_MCPSERVER, "{\"spec\":{\"env\":[{\"name\":\"REPO_TOKEN_3\"}]}}", "spec.env[0].name",
     FE_INVALID, NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"env\":[{\"name\":\"A\"},{\"name\":\"GH_TOKEN\"}]}}",
     "spec.env[1].name", FE_INVALID,
     "spec.env[1].name: Invalid value: \"GH_TOKEN\": is reserved: thurkube sets it in the "
     "container of every AgentJob that references this object",
     0},
    {TK_MCPSERVER, "{\"spec\":{\"env\":[{\"name\":\"PERSIST_DIR\"}]}}", "spec.env[0].name",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"persist\":true,\"env\":[{\"name\":\"PERSIST_DIR\"}]}}",
     "spec.env[0].name", FE_INVALID,
     "spec.env[0].name: Invalid value: \"PERSIST_DIR\": is reserved: thurkube sets it in the "
     "agent container when spec.persist is true",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"CONFIG_DIR\"}]}}", "spec.env[0].name",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"A\"},{\"name\":\"A\"}]}}", "spec.env[1].name",
     FE_DUPLICATE, "spec.env[1].name: Duplicate value: \"A\"", 0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"1BAD=\"}]}}", "spec.env[0].name", FE_INVALID,
     NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"value\":\"x\"}]}}", "spec.env[0].name", FE_REQUIRED, NULL,
     0},
    {TK_AGENTJOB,
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"value\":\"x\",\"valueFrom\":{\"fieldRef\":"
     "{\"fieldPath\":\"metadata.name\"}}}]}}",
     "spec.env[0].valueFrom", FE_INVALID,
     "spec.env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"A\",\"valueFrom\":{}}]}}",
     "spec.env[0].valueFrom", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"a\"},"
     "\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}]}}",
     "spec.env[0].valueFrom", FE_INVALID,
     "spec.env[0].valueFrom: Invalid value: \"\": may not have more than one field specified at a "
     "time",
     0},
    {TK_AGENTJOB,
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\"}}}]}}",
     "spec.env[0].valueFrom.secretKeyRef.key", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"env\":[{\"name\":\"A\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"c\","
     "\"key\":\"a/b\"}}}]}}",
     "spec.env[0].valueFrom.configMapKeyRef.key", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"envFrom\":[{\"prefix\":\"X_\"}]}}", "spec.envFrom[0]", FE_INVALID,
     NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"envFrom\":[{\"configMapRef\":{\"name\":\"a\"},\"secretRef\":{\"name\":\"b\"}}]}"
     "}",
     "spec.envFrom[0]", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"abc\"}}}}",
     "spec.resources.requests[cpu]", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"2\"},\"limits\":{\"cpu\":1}}}}",
     "spec.resources.requests[cpu]", FE_INVALID,
     "spec.resources.requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit "
     "of 1",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"resources\":{\"limits\":{\"memory\":\"-1Gi\"}}}}",
     "spec.resources.limits[memory]", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"resources\":{\"limits\":{\"cpu\":0.5}}}}",
     "spec.resources.limits[cpu]", FE_TYPE, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"ttlSecondsAfterFinished\":-1}}", "spec.ttlSecondsAfterFinished",
     FE_INVALID,
     "spec.ttlSecondsAfterFinished: Invalid value: -1: must be between 0 and 2147483647", 0},
    {TK_AGENTAUTH, "{\"spec\":{\"maxConcurrentRuns\":0}}", "spec.maxConcurrentRuns", FE_INVALID,
     "spec.maxConcurrentRuns: Invalid value: 0: must be between 1 and 10000", 0},
    {TK_AGENTAUTH, "{\"spec\":{\"maxConcurrentRuns\":10001}}", "spec.maxConcurrentRuns", FE_INVALID,
     "spec.maxConcurrentRuns: Invalid value: 10001: must be between 1 and 10000", 0},
    {TK_AGENTAUTH, "{\"spec\":{\"maxConcurrentRuns\":\"2\"}}", "spec.maxConcurrentRuns", FE_TYPE,
     NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"backoffLimit\":-1}}", "spec.backoffLimit", FE_INVALID,
     "spec.backoffLimit: Invalid value: -1: must be between 0 and 10", 0},
    {TK_AGENTJOB, "{\"spec\":{\"backoffLimit\":11}}", "spec.backoffLimit", FE_INVALID,
     "spec.backoffLimit: Invalid value: 11: must be between 0 and 10", 0},
    {TK_AGENTJOB, "{\"spec\":{\"successfulJobsHistoryLimit\":101}}",
     "spec.successfulJobsHistoryLimit", FE_INVALID,
     "spec.successfulJobsHistoryLimit: Invalid value: 101: must be between 0 and 100", 0},
    {TK_AGENTJOB, "{\"spec\":{\"failedJobsHistoryLimit\":-2}}", "spec.failedJobsHistoryLimit",
     FE_INVALID, "spec.failedJobsHistoryLimit: Invalid value: -2: must be between 0 and 100", 0},
    {TK_AGENTJOB, "{\"spec\":{\"startingDeadlineSeconds\":-5}}", "spec.startingDeadlineSeconds",
     FE_INVALID,
     "spec.startingDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0", 0},
    {TK_AGENTJOB, "{\"spec\":{\"concurrencyPolicy\":\"Allow\"}}", "spec.concurrencyPolicy",
     FE_NOT_SUPPORTED,
     "spec.concurrencyPolicy: Unsupported value: \"Allow\": supported values: \"Forbid\", "
     "\"Replace\"",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"persistentVolume\":{\"size\":\"0\"}}}",
     "spec.persistentVolume.size", FE_INVALID,
     "spec.persistentVolume.size: Invalid value: \"0\": must be greater than zero", 0},
    {TK_AGENTJOB, "{\"spec\":{\"persistentVolume\":{\"size\":\"lots\"}}}",
     "spec.persistentVolume.size", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"persistentVolume\":{\"storageClassName\":\"Fast!\"}}}",
     "spec.persistentVolume.storageClassName", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"tolerations\":[{\"operator\":\"Maybe\"}]}}",
     "spec.tolerations[0].operator", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"tolerations\":[{\"key\":\"k\",\"effect\":\"Sometimes\"}]}}",
     "spec.tolerations[0].effect", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"tolerations\":[{\"operator\":\"Equal\",\"value\":\"v\"}]}}",
     "spec.tolerations[0].operator", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"value\":\"v\"}]}}",
     "spec.tolerations[0].operator", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"tolerations\":[{\"key\":\"k\",\"tolerationSeconds\":5,\"effect\":\"NoSchedule\"}"
     "]}}",
     "spec.tolerations[0].effect", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"suspend\":\"yes\"}}", "spec.suspend", FE_TYPE,
     "spec.suspend: Invalid value: \"string\": spec.suspend in body must be of type boolean: "
     "\"string\"",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"imagePullSecrets\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}",
     "spec.imagePullSecrets[1].name", FE_DUPLICATE, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"nodeSelector\":{\"disk\":\"fast ssd\"}}}",
     "spec.nodeSelector[disk]", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":null}", "spec", FE_REQUIRED, "spec: Required value", 0},
    {TK_AGENTJOB, "{\"kind\":\"AgentRole\"}", "kind", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"apiVersion\":\"thurkube.thurbeen.eu/v1\"}", "apiVersion", FE_NOT_SUPPORTED,
     NULL, 0},
    /* AgentRuntime */
    {TK_AGENTRUNTIME, "{\"spec\":{\"image\":\"\"}}", "spec.image", FE_REQUIRED, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"image\":\"foo bar\"}}", "spec.image", FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"configPath\":\"etc/x\"}}", "spec.configPath", FE_INVALID,
     "spec.configPath: Invalid value: \"etc/x\": must be an absolute path", 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"configPath\":\"/a/../b\"}}", "spec.configPath", FE_INVALID,
     NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"persistPath\":\"/etc/claude-code-job/\"}}", "spec.persistPath",
     FE_INVALID,
     "spec.persistPath: Invalid value: \"/etc/claude-code-job/\": must differ from spec.configPath",
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"persistPath\":\"/etc/claude-code-job/data\"}}",
     "spec.persistPath", FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"configPath\":\"/var/lib/claude-code-job/cfg\"}}",
     "spec.configPath", FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"configPath\":\"/tmp/x\"}}", "spec.configPath", FE_INVALID, NULL,
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"persistPath\":\"/home/agent\"}}", "spec.persistPath",
     FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"persistPath\":\"/\"}}", "spec.persistPath", FE_INVALID, NULL,
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"authEnvVar\":\"HOME\"}}", "spec.authEnvVar", FE_INVALID, NULL,
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"authEnvVar\":\"my-var\"}}", "spec.authEnvVar", FE_INVALID, NULL,
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"imagePullPolicy\":\"Sometimes\"}}", "spec.imagePullPolicy",
     FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"command\":[\"a\",1]}}", "spec.command[1]", FE_TYPE, NULL, 0},
    /* AgentAuth */
    {TK_AGENTAUTH, "{\"spec\":{\"secretRef\":{\"key\":\"bad/key\"}}}", "spec.secretRef.key",
     FE_INVALID, NULL, 0},
    {TK_AGENTAUTH, "{\"spec\":{\"secretRef\":{\"name\":\"Bad\"}}}", "spec.secretRef.name",
     FE_INVALID, NULL, 0},
    {TK_AGENTAUTH, "{\"spec\":{\"secretRef\":null}}", "spec.secretRef", FE_REQUIRED, NULL, 0},
    /* AgentRole */
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[]}}", "spec.allowedTools", FE_REQUIRED, NULL, 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":null}}", "spec.allowedTools", FE_REQUIRED, NULL, 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Bash\",\"Bash\"]}}", "spec.allowedTools[1]",
     FE_DUPLICATE, NULL, 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"rm -rf\"]}}", "spec.allowedTools[0]", FE_INVALID,
     "spec.allowedTools[0]: Invalid value: \"rm -rf\": a tool name must consist of letters, "
     "digits, '_', '-' and '*' (offset 2); write Tool or Tool(specifier), e.g. Bash or Bash(git "
     "diff:*)",
     0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Read\",\"\"]}}", "spec.allowedTools[1]",
     FE_INVALID, "spec.allowedTools[1]: Invalid value: \"\": must not be empty", 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Read\",\"Edit\",\"Bash(git diff:*\"]}}",
     "spec.allowedTools[2]", FE_INVALID,
     "spec.allowedTools[2]: Invalid value: \"Bash(git diff:*\": unbalanced parentheses: the '(' "
     "at offset 4 is never closed",
     0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Bash(git diff:*)\\nRead\"]}}",
     "spec.allowedTools[0]", FE_INVALID,
     "spec.allowedTools[0]: Invalid value: \"Bash(git diff:*)\\nRead\": must not contain control "
     "characters (U+000A at offset 16)",
     0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Bash(rm -rf /)*\"]}}", "spec.allowedTools[0]",
     FE_INVALID,
     "spec.allowedTools[0]: Invalid value: \"Bash(rm -rf /)*\": must end at the ')' that closes "
     "the specifier (offset 13); text follows it",
     0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"(ls)\"]}}", "spec.allowedTools[0]", FE_INVALID,
     "spec.allowedTools[0]: Invalid value: \"(ls)\": must start with a tool name before '('", 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Bash(a))\"]}}", "spec.allowedTools[0]",
     FE_INVALID,
     "spec.allowedTools[0]: Invalid value: \"Bash(a))\": unbalanced parentheses: the ')' at "
     "offset 7 closes nothing",
     0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"mcp__\"]}}", "spec.allowedTools[0]", FE_INVALID,
     NULL, 0},
    {TK_AGENTROLE, "{\"spec\":{\"allowedTools\":[\"Bash(git diff:*)\",\"Bash(git diff:*)\"]}}",
     "spec.allowedTools[1]", FE_DUPLICATE,
     "spec.allowedTools[1]: Duplicate value: \"Bash(git diff:*)\"", 0},
    /* AgentSkill */
    {TK_AGENTSKILL, "{\"spec\":{\"repo\":\"nope\"}}", "spec.repo", FE_INVALID, NULL, 0},
    {TK_AGENTSKILL, "{\"spec\":{\"repo\":\"-bad/x\"}}", "spec.repo", FE_INVALID, NULL, 0},
    {TK_AGENTSKILL, "{\"spec\":{\"name\":\"\"}}", "spec.name", FE_REQUIRED, NULL, 0},
    {TK_AGENTSKILL, "{\"spec\":{\"name\":\"../x\"}}", "spec.name", FE_INVALID, NULL, 0},
    {TK_AGENTSKILL, "{\"spec\":{\"ref\":\"--upload-pack=x\"}}", "spec.ref", FE_INVALID, NULL, 0},
    /* McpServer */
    {TK_MCPSERVER, "{\"spec\":{\"url\":\"https://mcp.example.com\"}}", "spec.url", FE_FORBIDDEN,
     NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"command\":null,\"args\":null}}", "spec", FE_REQUIRED, NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"command\":null,\"args\":null,\"url\":\"ftp://x\"}}", "spec.url",
     FE_INVALID, "spec.url: Invalid value: \"ftp://x\": must be an http or https URL with a host",
     0},
    {TK_MCPSERVER, "{\"spec\":{\"command\":null,\"args\":null,\"url\":\"https:///sse\"}}",
     "spec.url", FE_INVALID, NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"command\":null,\"url\":\"http://x\"}}", "spec.args", FE_FORBIDDEN,
     NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"command\":\"\"}}", "spec.command", FE_INVALID, NULL, 0},
    {TK_MCPSERVER, "{\"spec\":{\"env\":[{\"name\":\"PERSIST_DIR\",\"value\":\"x\"}]}}",
     "spec.env[0].name", FE_INVALID, NULL, 0},
    /* Repository */
    {TK_REPOSITORY, "{\"spec\":{\"owner\":\"bad owner\"}}", "spec.owner", FE_INVALID, NULL, 0},
    {TK_REPOSITORY, "{\"spec\":{\"name\":\"..\"}}", "spec.name", FE_INVALID, NULL, 0},
    {TK_REPOSITORY, "{\"spec\":{\"tokenSecretRef\":{\"name\":\"s\"}}}", "spec.tokenSecretRef.key",
     FE_REQUIRED, NULL, 0},
    {TK_REPOSITORY, "{\"spec\":{\"tokenSecretRef\":{\"name\":\"s\",\"key\":\"a b\"}}}",
     "spec.tokenSecretRef.key", FE_INVALID, NULL, 0},
    /* ClusterAccess */
    {TK_CLUSTERACCESS, "{\"spec\":{\"rules\":[]}}", "spec.rules", FE_REQUIRED, NULL, 0},
    {TK_CLUSTERACCESS, "{\"spec\":{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}}",
     "spec.rules[0].verbs", FE_REQUIRED, NULL, 0},
    {TK_CLUSTERACCESS, "{\"spec\":{\"rules\":[{\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}}",
     "spec.rules[0].apiGroups", FE_REQUIRED,
     "spec.rules[0].apiGroups: Required value: resource rules must supply at least one api group",
     0},
    {TK_CLUSTERACCESS,
     "{\"spec\":{\"rules\":[{\"resources\":[\"pods\"],\"nonResourceURLs\":[\"/"
     "x\"],\"verbs\":[\"get\"]}]}}",
     "spec.rules[0]", FE_FORBIDDEN,
     "spec.rules[0]: Forbidden: resources and nonResourceURLs cannot be mixed", 0},
    {TK_CLUSTERACCESS,
     "{\"spec\":{\"rules\":[{\"nonResourceURLs\":[\"healthz\"],\"verbs\":[\"get\"]}]}}",
     "spec.rules[0].nonResourceURLs[0]", FE_INVALID, NULL, 0},
    {TK_CLUSTERACCESS,
     "{\"spec\":{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"\"],\"verbs\":[\"get\"]}]}}",
     "spec.rules[0].resources[0]", FE_INVALID, NULL, 0},
    /* Sandboxed agents (issue 17): AgentRuntime runtimeClassName and network */
    {TK_AGENTRUNTIME, "{\"spec\":{\"runtimeClassName\":\"gVisor\"}}", "spec.runtimeClassName",
     FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"runtimeClassName\":\"\"}}", "spec.runtimeClassName", FE_INVALID,
     NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"network\":{\"egress\":\"Closed\"}}}", "spec.network.egress",
     FE_NOT_SUPPORTED,
     "spec.network.egress: Unsupported value: \"Closed\": supported values: \"Unrestricted\", "
     "\"Restricted\"",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Unrestricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\"}]}}}",
     "spec.network.allow", FE_INVALID,
     "spec.network.allow: Invalid value: may only be set when spec.network.egress is "
     "\"Restricted\" (it is \"Unrestricted\"): the list narrows Restricted egress",
     0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"network\":{\"allow\":[{\"cidr\":\"10.0.0.0/8\"}]}}}",
     "spec.network.allow", FE_INVALID,
     "spec.network.allow: Invalid value: may only be set when spec.network.egress is "
     "\"Restricted\" (it is absent, so Unrestricted): the list narrows Restricted egress",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.1/8\"}]}}}",
     "spec.network.allow[0].cidr", FE_INVALID,
     "spec.network.allow[0].cidr: Invalid value: \"10.0.0.1/8\": has bits set past the prefix "
     "length; did you mean \"10.0.0.0/8\"?",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"fd00::1/8\"}]}}}",
     "spec.network.allow[0].cidr", FE_INVALID,
     "spec.network.allow[0].cidr: Invalid value: \"fd00::1/8\": has bits set past the prefix "
     "length; did you mean \"fd00::/8\"?",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0\"}]}}}",
     "spec.network.allow[0].cidr", FE_INVALID,
     "spec.network.allow[0].cidr: Invalid value: \"10.0.0.0\": must be an IP address and a "
     "prefix length, e.g. 10.0.0.0/8",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"example.com/"
     "8\"}]}}}",
     "spec.network.allow[0].cidr", FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/33\"}]}}}",
     "spec.network.allow[0].cidr", FE_INVALID, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"169.254.169.254/"
     "32\"}]}}}",
     "spec.network.allow[0].cidr", FE_FORBIDDEN,
     "spec.network.allow[0].cidr: Forbidden: \"169.254.169.254/32\" lies inside 169.254.0.0/16: "
     "the link-local and cloud metadata range is always denied to agent pods",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\"},"
     "{\"cidr\":\"169.254.0.0/16\"}]}}}",
     "spec.network.allow[1].cidr", FE_FORBIDDEN, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"fe80::/64\"}]}}}",
     "spec.network.allow[0].cidr", FE_FORBIDDEN, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"fd00:ec2::254/"
     "128\"}]}}}",
     "spec.network.allow[0].cidr", FE_FORBIDDEN,
     "spec.network.allow[0].cidr: Forbidden: \"fd00:ec2::254/128\" lies inside "
     "fd00:ec2::254/128: the link-local and cloud metadata range is always denied to agent pods",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\"},"
     "{\"cidr\":\"10.0.0.0/8\"}]}}}",
     "spec.network.allow[1].cidr", FE_DUPLICATE,
     "spec.network.allow[1].cidr: Duplicate value: \"10.0.0.0/8\"", 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"fd00::/8\"},"
     "{\"cidr\":\"FD00:0::/8\"}]}}}",
     "spec.network.allow[1].cidr", FE_DUPLICATE, NULL, 0},
    {TK_AGENTRUNTIME, "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{}]}}}",
     "spec.network.allow[0].cidr", FE_REQUIRED, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"port\":0}]}]}}}",
     "spec.network.allow[0].ports[0].port", FE_INVALID,
     "spec.network.allow[0].ports[0].port: Invalid value: 0: must be between 1 and 65535", 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"protocol\":\"UDP\"}]}]}}}",
     "spec.network.allow[0].ports[0].port", FE_REQUIRED, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"port\":443,\"protocol\":\"ICMP\"}]}]}}}",
     "spec.network.allow[0].ports[0].protocol", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"port\":8080,\"endPort\":80}]}]}}}",
     "spec.network.allow[0].ports[0].endPort", FE_INVALID,
     "spec.network.allow[0].ports[0].endPort: Invalid value: 80: must be greater than or equal "
     "to port (8080)",
     0},
    {TK_AGENTRUNTIME,
     "{\"spec\":{\"network\":{\"egress\":\"Restricted\",\"allow\":[{\"cidr\":\"10.0.0.0/8\","
     "\"ports\":[{\"port\":80,\"endPort\":65536}]}]}}}",
     "spec.network.allow[0].ports[0].endPort", FE_INVALID, NULL, 0},
    /* AgentJob pod metadata */
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"thurkube.thurbeen.eu/agentjob\":\"x\"}}}",
     "spec.podLabels[thurkube.thurbeen.eu/agentjob]", FE_FORBIDDEN,
     "spec.podLabels[thurkube.thurbeen.eu/agentjob]: Forbidden: label key "
     "\"thurkube.thurbeen.eu/agentjob\" is reserved: keys with the prefix thurkube.thurbeen.eu "
     "(or a subdomain of it) are set by the controller",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"run.thurkube.thurbeen.eu/x\":\"y\"}}}",
     "spec.podLabels[run.thurkube.thurbeen.eu/x]", FE_FORBIDDEN, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"app.kubernetes.io/managed-by\":\"me\"}}}",
     "spec.podLabels[app.kubernetes.io/managed-by]", FE_FORBIDDEN,
     "spec.podLabels[app.kubernetes.io/managed-by]: Forbidden: label key "
     "\"app.kubernetes.io/managed-by\" is reserved: the controller sets it to \"thurkube\" on "
     "the pods it makes",
     0},
    {TK_AGENTJOB, "{\"spec\":{\"podAnnotations\":{\"thurkube.thurbeen.eu/applied-hash\":\"0\"}}}",
     "spec.podAnnotations[thurkube.thurbeen.eu/applied-hash]", FE_FORBIDDEN, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podAnnotations\":{\"app.kubernetes.io/managed-by\":\"x\"}}}",
     "spec.podAnnotations[app.kubernetes.io/managed-by]", FE_FORBIDDEN, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"bad key\":\"x\"}}}", "spec.podLabels[bad key]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"Example.com/x\":\"x\"}}}",
     "spec.podLabels[Example.com/x]", FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podLabels\":{\"team\":\"-a\"}}}", "spec.podLabels[team]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podAnnotations\":{\"a/b/c\":\"x\"}}}", "spec.podAnnotations[a/b/c]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"podAnnotations\":{\"/x\":\"x\"}}}", "spec.podAnnotations[/x]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB, "{\"spec\":{\"priorityClassName\":\"High\"}}", "spec.priorityClassName",
     FE_INVALID, NULL, 0},
    /* AgentJob affinity */
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\"}]}]}}}}"
     "}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].values",
     FE_REQUIRED,
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
     "'NotIn'",
     0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\","
     "\"values\":[\"a\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].values",
     FE_FORBIDDEN, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\","
     "\"values\":[\"1\",\"2\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].values",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Lt\","
     "\"values\":[\"many\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].values[0]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Near\","
     "\"values\":[\"a\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].operator",
     FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"operator\":\"Exists\"}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchExpressions[0].key",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.labels\",\"operator\":\"In\","
     "\"values\":[\"a\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchFields[0].key",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
     "\"values\":[\"a\",\"b\"]}]}]}}}}}",
     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
     "0]"
     ".matchFields[0].values",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"preferredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"weight\":0,\"preference\":{}}]}}}}",
     "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     FE_INVALID,
     "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: "
     "Invalid value: 0: must be between 1 and 100",
     0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"nodeAffinity\":{"
     "\"preferredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"weight\":5}]}}}}",
     "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"db\"}}}]}}}}",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"topologyKey\":\"zone\",\"labelSelector\":{\"matchLabels\":{\"app\":\"-db\"}}}]}}}}",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector."
     "matchLabels[app]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"topologyKey\":\"zone\",\"namespaces\":[\"Agents\"]}]}}}}",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces[0]",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"topologyKey\":\"bad key\"}]}}}}",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAntiAffinity\":{"
     "\"preferredDuringSchedulingIgnoredDuringExecution"
     "\":[{\"weight\":101,\"podAffinityTerm\":{\"topologyKey\":\"zone\"}}]}}}}",
     "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAntiAffinity\":{"
     "\"preferredDuringSchedulingIgnoredDuringExecution"
     "\":[{\"weight\":1,\"podAffinityTerm\":{\"topologyKey\":\"zone\",\"labelSelector\":{"
     "\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[]}]}}}]}}}}",
     "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
     "podAffinityTerm.labelSelector.matchExpressions[0].values",
     FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAntiAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution"
     "\":[{\"topologyKey\":\"zone\",\"namespaceSelector\":{\"matchExpressions\":[{\"key\":\"a\","
     "\"operator\":\"DoesNotExist\",\"values\":[\"x\"]}]}}]}}}}",
     "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
     "namespaceSelector.matchExpressions[0].values",
     FE_FORBIDDEN, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAntiAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution"
     "\":[{\"topologyKey\":\"zone\",\"labelSelector\":{\"matchExpressions\":[{\"key\":\"a\","
     "\"operator\":\"Gt\",\"values\":[\"1\"]}]}}]}}}}",
     "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
     "labelSelector.matchExpressions[0].operator",
     FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
     "[{\"topologyKey\":\"zone\",\"matchLabelKeys\":[\"bad key\"]}]}}}}",
     "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys["
     "0]",
     FE_INVALID, NULL, 0},
    /* AgentJob topologySpreadConstraints */
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":0,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\"}]}}",
     "spec.topologySpreadConstraints[0].maxSkew", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\"}]}}",
     "spec.topologySpreadConstraints[0].maxSkew", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\"}]}}",
     "spec.topologySpreadConstraints[0].whenUnsatisfiable", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"whenUnsatisfiable\":"
     "\"ScheduleAnyway\"}]}}",
     "spec.topologySpreadConstraints[0].topologyKey", FE_REQUIRED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"Whenever\"}]}}",
     "spec.topologySpreadConstraints[0].whenUnsatisfiable", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"ScheduleAnyway\",\"minDomains\":2}]}}",
     "spec.topologySpreadConstraints[0].minDomains", FE_INVALID,
     "spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use minDomains if "
     "whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
     0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\",\"minDomains\":0}]}}",
     "spec.topologySpreadConstraints[0].minDomains", FE_INVALID, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\",\"nodeTaintsPolicy\":\"Maybe\"}]}}",
     "spec.topologySpreadConstraints[0].nodeTaintsPolicy", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\",\"nodeAffinityPolicy\":\"Maybe\"}]}}",
     "spec.topologySpreadConstraints[0].nodeAffinityPolicy", FE_NOT_SUPPORTED, NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchExpressions\":[{\"key\":"
     "\"app\",\"operator\":\"In\"}]}}]}}",
     "spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values", FE_REQUIRED,
     NULL, 0},
    {TK_AGENTJOB,
     "{\"spec\":{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\"},{\"maxSkew\":2,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"ScheduleAnyway\"},{\"maxSkew\":3,\"topologyKey\":\"zone\","
     "\"whenUnsatisfiable\":\"DoNotSchedule\"}]}}",
     "spec.topologySpreadConstraints[2]", FE_DUPLICATE,
     "spec.topologySpreadConstraints[2]: Duplicate value: \"{zone, DoNotSchedule}\"", 0},
};

/* Cases under the webhook's policy flags (POLICY_*). */
static const struct pcase {
	int policy;
	struct vcase c;
} policy_cases[] = {
    {POLICY_REQUIRE_RC,
     {TK_AGENTRUNTIME, "{}", "spec.runtimeClassName", FE_REQUIRED,
      "spec.runtimeClassName: Required value: this cluster runs agents only in a named runtime "
      "class, e.g. gVisor or Kata (webhook policy --require-runtime-class)",
      0}},
    /* --forbid-tolerations with its default keys */
    {POLICY_FORBID,
     {TK_AGENTJOB,
      "{\"spec\":{\"tolerations\":[{\"key\":\"node-role.kubernetes.io/control-plane\","
      "\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}",
      "spec.tolerations[0]", FE_FORBIDDEN,
      "spec.tolerations[0]: Forbidden: tolerates the taint \"node-role.kubernetes.io/"
      "control-plane\", which agent pods may not tolerate (webhook policy --forbid-tolerations)",
      0}},
    {POLICY_FORBID,
     {TK_AGENTJOB,
      "{\"spec\":{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"a\"},"
      "{\"key\":\"node-role.kubernetes.io/master\",\"operator\":\"Equal\"}]}}",
      "spec.tolerations[1]", FE_FORBIDDEN, NULL, 0}},
    {POLICY_FORBID,
     {TK_AGENTJOB, "{\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"}]}}",
      "spec.tolerations[0]", FE_FORBIDDEN,
      "spec.tolerations[0]: Forbidden: tolerates every taint (empty key with operator Exists), "
      "so also \"node-role.kubernetes.io/control-plane\", which agent pods may not tolerate "
      "(webhook policy --forbid-tolerations)",
      0}},
    {POLICY_FORBID,
     {TK_AGENTJOB,
      "{\"spec\":{\"tolerations\":[{\"key\":\"\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}"
      "]}}",
      "spec.tolerations[0]", FE_FORBIDDEN, NULL, 0}},
};

/* RFC 7386 merge patch of patch into target (both json-c objects). */
static void merge(json_object *target, json_object *patch)
{
	json_object_object_foreach(patch, key, val)
	{
		json_object *cur = NULL;

		if (!val) {
			json_object_object_del(target, key);
		} else if (json_object_is_type(val, json_type_object) &&
		           json_object_object_get_ex(target, key, &cur) &&
		           json_object_is_type(cur, json_type_object)) {
			merge(cur, val);
		} else {
			json_object *copy = NULL;

			ck_assert_int_eq(json_object_deep_copy(val, &copy, NULL), 0);
			json_object_object_add(target, key, copy);
		}
	}
}

static json_object *build(enum tk_kind k, const char *patch)
{
	json_object *obj = json_tokener_parse(bases[k]), *p;

	ck_assert_ptr_nonnull(obj);
	if (patch) {
		p = json_tokener_parse(patch);
		ck_assert_msg(p != NULL, "bad patch %s", patch);
		merge(obj, p);
		json_object_put(p);
	}
	return obj;
}

static void dump(const struct fielderrs *errs)
{
	struct buf b = BUF_INIT(1 << 20);

	if (fielderrs_render(errs, &b) == 0)
		fprintf(stderr, "  errors: %s\n", b.data);
	buf_free(&b);
}

/* One case: the error of type c->type at c->path (and its exact line). */
static void run_case(const struct vcase *c, int policy, int n)
{
	struct schema_config cfg = {.max_timeout_seconds = c->max_timeout,
	                            .require_runtime_class = (policy & POLICY_REQUIRE_RC) != 0};
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *obj = build(c->kind, c->patch);
	size_t i, hit = errs.n;
	struct buf line = BUF_INIT(1 << 20);

	if (policy & POLICY_FORBID) {
		cfg.forbid_tolerations = default_taints;
		cfg.n_forbid_tolerations = TK_ARRAY_LEN(default_taints);
	}
	ck_assert_int_eq(schema_validate(c->kind, obj, NULL, &cfg, &errs, &warnings), 0);
	for (i = 0; i < errs.n; i++)
		if (strcmp(errs.v[i].path, c->path) == 0 && errs.v[i].type == c->type)
			hit = i;
	if (hit == errs.n)
		dump(&errs);
	ck_assert_msg(hit < errs.n, "case %d (%s): no error of type %d at %s", n, c->patch, c->type,
	              c->path);
	if (c->line) {
		ck_assert_int_eq(fielderr_render(&errs.v[hit], &line), 0);
		ck_assert_str_eq(line.data, c->line);
	}
	buf_free(&line);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}

START_TEST(test_invalid)
{
	run_case(&cases[_i], 0, _i);
}
END_TEST

START_TEST(test_policy)
{
	run_case(&policy_cases[_i].c, policy_cases[_i].policy, _i);
}
END_TEST

/* obj (taken) is valid as k, without warnings when quiet. */
static void expect_valid(enum tk_kind k, json_object *obj, bool quiet)
{
	struct fielderrs errs = {0};
	struct strlist warnings = {0};

	ck_assert_int_eq(schema_validate(k, obj, NULL, NULL, &errs, &warnings), 0);
	if (errs.n)
		dump(&errs);
	ck_assert_uint_eq(errs.n, 0);
	if (quiet)
		ck_assert_uint_eq(warnings.n, 0);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}

START_TEST(test_valid_bases)
{
	expect_valid((enum tk_kind)_i, build((enum tk_kind)_i, NULL), true);
}
END_TEST

/* The permission rules real manifests carry are admitted, a rule past the old 256-byte limit
 * included. */
START_TEST(test_claude_rules_valid)
{
	json_object *obj =
	    build(TK_AGENTROLE,
	          "{\"spec\":{\"allowedTools\":[\"Bash\",\"Edit\",\"Bash(git diff:*)\","
	          "\"Bash(npm run test:*)\",\"Read(./src/**)\",\"WebFetch(domain:example.com)\","
	          "\"mcp__github\",\"mcp__github__create_issue\",\"mcp__gmail__*\","
	          "\"Bash(python3 -c \\\"import json,sys; d=json.load\\\\(sys.stdin\\\\); "
	          "print\\\\(d.get\\\\('id'\\\\)\\\\)\\\" < /tmp/agent/work/checkouts/thurkube-c/"
	          "tests/data/valid/all-kinds.json --and --a --long --tail --of --flags --that "
	          "--pushes --this --rule --past --the --old --limit --of --two --hundred --fifty "
	          "--six --bytes)\"]}}");
	json_object *tools =
	    json_object_object_get(json_object_object_get(obj, "spec"), "allowedTools");

	ck_assert_uint_gt(json_object_get_string_len(json_object_array_get_idx(tools, 9)), 256);
	expect_valid(TK_AGENTROLE, obj, false);
}
END_TEST

/* An AgentJob may name GH_TOKEN and REPO_TOKEN_<N> (the webhook's cluster
 * checks refuse them only where a Repository sets them), and PERSIST_DIR
 * when it does not persist. */
START_TEST(test_env_by_reference_valid)
{
	json_object *obj = build(TK_AGENTJOB, "{\"spec\":{\"env\":[{\"name\":\"GH_TOKEN\","
	                                      "\"value\":\"x\"},{\"name\":\"REPO_TOKEN_0\"},"
	                                      "{\"name\":\"PERSIST_DIR\"}]}}");

	expect_valid(TK_AGENTJOB, obj, false);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	static const char *const want[] = {
	    "spec.schedule: Invalid value: \"61 * * * *\": minute must be 0-59",
	    "spec.runtimeRef: Required value",
	    "spec.prompt: Required value",
	    "spec.timeoutSeconds: Invalid value: 0: must be between 1 and 2147483647",
	    "spec.mcpServerRefs[1]: Duplicate value: \"a\"",
	    "spec.env[0].name: Invalid value: \"HOME\": is reserved: thurkube sets it in the agent "
	    "container",
	    "spec.concurrencyPolicy: Unsupported value: \"Allow\": supported values: \"Forbid\", "
	    "\"Replace\"",
	    "metadata.name: Invalid value: \"Bad_Name\"",
	};
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	struct buf all = BUF_INIT(1 << 20);
	json_object *obj = build(
	    TK_AGENTJOB,
	    "{\"metadata\":{\"name\":\"Bad_Name\",\"namesapce\":\"a\",\"labels\":{\"a\":"
	    "\"b\"},\"finalizers\":[\"x/y\"],\"uid\":\"u\"},\"spec\":{\"schedule\":\"61 * * * *\","
	    "\"runtimeRef\":null,\"prompt\":null,\"timeoutSeconds\":0,"
	    "\"mcpServerRefs\":[\"a\",\"a\"],\"env\":[{\"name\":\"HOME\"}],"
	    "\"concurrencyPolicy\":\"Allow\",\"bogus\":1,\"status\":{}},\"extra\":2}");
	size_t i;

	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings), 0);
	ck_assert_int_eq(fielderrs_render(&errs, &all), 0);
	ck_assert_uint_eq(errs.n, TK_ARRAY_LEN(want));
	for (i = 0; i < TK_ARRAY_LEN(want); i++)
		ck_assert_msg(strstr(all.data, want[i]), "missing %s in %s", want[i], all.data);
	ck_assert(all.data[0] == '[');
	/* Unknown fields under metadata too, which strict field validation refuses. */
	ck_assert_uint_eq(warnings.n, 4);
	ck_assert(strlist_contains(&warnings, "unknown field \"metadata.namesapce\""));
	ck_assert(strlist_contains(&warnings, "unknown field \"spec.bogus\""));
	ck_assert(strlist_contains(&warnings, "unknown field \"spec.status\""));
	ck_assert(strlist_contains(&warnings, "unknown field \"extra\""));
	buf_free(&all);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}
END_TEST

START_TEST(test_name_limits)
{
	/* 46 fits a one-shot Job, 52 a CronJob; one more does not. */
	static const struct {
		int len;
		bool schedule, ok;
	} t[] = {{46, false, true}, {47, false, false}, {52, true, true}, {53, true, false}};
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(t); i++) {
		char name[64], patch[256];
		struct fielderrs errs = {0};
		struct strlist warnings = {0};
		json_object *obj;

		memset(name, 'a', (size_t)t[i].len);
		name[t[i].len] = '\0';
		snprintf(patch, sizeof(patch), "{\"metadata\":{\"name\":\"%s\"}%s}", name,
		         t[i].schedule ? ",\"spec\":{\"schedule\":\"0 * * * *\"}" : "");
		obj = build(TK_AGENTJOB, patch);
		ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings),
		                 0);
		ck_assert_msg((errs.n == 0) == t[i].ok, "name of %d bytes", t[i].len);
		fielderrs_free(&errs);
		strlist_free(&warnings);
		json_object_put(obj);
	}
}
END_TEST

START_TEST(test_tz_database_missing)
{
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *obj = build(TK_AGENTJOB, "{\"spec\":{\"timezone\":\"Europe/Paris\"}}");
	struct buf line = BUF_INIT(4096);

	ck_assert_int_eq(setenv("ZONEINFO", "/nonexistent/zoneinfo", 1), 0);
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].path, "spec.timezone");
	ck_assert_int_eq(errs.v[0].type, FE_INVALID);
	ck_assert_int_eq(fielderr_render(&errs.v[0], &line), 0);
	ck_assert_ptr_nonnull(strstr(line.data, "tz database not found"));
	fielderrs_free(&errs);
	/* UTC needs no database, as for the CronJob controller. */
	json_object_put(obj);
	obj = build(TK_AGENTJOB, "{\"spec\":{\"timezone\":\"Etc/UTC\"}}");
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 0);
	/* The suite also runs in one process (CK_FORK=no, valgrind). */
	ck_assert_int_eq(unsetenv("ZONEINFO"), 0);
	buf_free(&line);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}
END_TEST

static int validate_doc(void *ud, json_object *doc, size_t line)
{
	const char *kind = json_object_get_string(json_object_object_get(doc, "kind"));
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *patch = NULL, *work;
	enum tk_kind k;

	(void)line;
	if (schema_kind_from_name(kind, &k) < 0)
		return 0;
	work = json_object_get(doc);
	(*(int *)ud)++;
	ck_assert_int_eq(schema_default(k, work, NULL, NULL, &patch), 0);
	ck_assert_int_eq(jsonpatch_apply(&work, patch), 0);
	ck_assert_int_eq(schema_validate(k, work, NULL, NULL, &errs, &warnings), 0);
	if (errs.n)
		dump(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(warnings.n, 0);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(patch);
	json_object_put(work);
	return 0;
}

START_TEST(test_quickstart_valid)
{
	struct yamljson_error err;
	char *text = NULL;
	size_t len = 0;
	int n = 0;

	ck_assert_int_eq(read_file("tests/data/quickstart.yaml", 1 << 20, &text, &len), 0);
	ck_assert_int_eq(yamljson_parse(text, len, validate_doc, &n, &err), 0);
	ck_assert_int_eq(n, 5);
	free(text);
}
END_TEST

START_TEST(test_not_an_object)
{
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *arr = json_object_new_array();

	ck_assert_int_eq(schema_validate(TK_AGENTROLE, arr, NULL, NULL, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_int_eq(errs.v[0].type, FE_TYPE);
	ck_assert_int_eq(schema_validate(TK_KIND_COUNT, arr, NULL, NULL, &errs, &warnings),
	                 -EINVAL);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(arr);
}
END_TEST

/* Every new field of issue 17 at once, valid, under the default policy. */
START_TEST(test_sandbox_valid)
{
	static const char *const rt =
	    "{\"spec\":{\"runtimeClassName\":\"gvisor\",\"network\":{\"egress\":\"Restricted\","
	    "\"allow\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":[{\"port\":443},{\"port\":8000,"
	    "\"endPort\":8080,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]},"
	    "{\"cidr\":\"0.0.0.0/0\"},{\"cidr\":\"::/0\"},{\"cidr\":\"fd00::/8\"},"
	    "{\"cidr\":\"169.0.0.0/8\"},{\"cidr\":\"2001:db8::/32\",\"ports\":[{\"port\":22,"
	    "\"protocol\":\"SCTP\",\"endPort\":22}]}]}}}";
	static const char *const aj =
	    "{\"spec\":{\"podLabels\":{\"team\":\"agents\",\"example.com/tier\":\"\","
	    "\"thurkube.example.com/x\":\"y\"},\"podAnnotations\":{\"sidecar.istio.io/inject\":"
	    "\"false\",\"note\":\"any text, even with "
	    "spaces\"},\"priorityClassName\":\"batch-low\","
	    "\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"agents\","
	    "\"effect\":\"NoSchedule\"},{\"key\":\"node-role.kubernetes.io/worker\",\"operator\":"
	    "\"Exists\"}],"
	    "\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{"
	    "\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/arch\","
	    "\"operator\":\"In\",\"values\":[\"amd64\",\"arm64\"]},{\"key\":\"gpu\",\"operator\":"
	    "\"DoesNotExist\"},{\"key\":\"cores\",\"operator\":\"Gt\",\"values\":[\"4\"]}],"
	    "\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"NotIn\",\"values\":"
	    "[\"node-1\"]}]}]},\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":"
	    "100,"
	    "\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
	    "\"values\":"
	    "[\"a\"]}]}}]},\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[{"
	    "\"topologyKey\":\"kubernetes.io/"
	    "hostname\",\"labelSelector\":{\"matchLabels\":{\"app\":"
	    "\"cache\"}},\"namespaces\":[\"agents\"],\"matchLabelKeys\":[\"pod-template-hash\"]}]},"
	    "\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":"
	    "1,"
	    "\"podAffinityTerm\":{\"topologyKey\":\"zone\",\"namespaceSelector\":{},"
	    "\"labelSelector\":{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\","
	    "\"values\":[\"db\"]},{\"key\":\"x\",\"operator\":\"Exists\"}]},\"mismatchLabelKeys\":"
	    "[\"tenant\"]}}]}},"
	    "\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
	    "\"whenUnsatisfiable\":\"DoNotSchedule\",\"minDomains\":2,\"nodeAffinityPolicy\":"
	    "\"Honor\",\"nodeTaintsPolicy\":\"Ignore\",\"labelSelector\":{\"matchLabels\":"
	    "{\"app\":\"agent\"}},\"matchLabelKeys\":[\"run\"]},{\"maxSkew\":3,\"topologyKey\":"
	    "\"kubernetes.io/hostname\",\"whenUnsatisfiable\":\"ScheduleAnyway\"}]}}";
	struct schema_config cfg = {.require_runtime_class = true,
	                            .forbid_tolerations = default_taints,
	                            .n_forbid_tolerations = TK_ARRAY_LEN(default_taints)};
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *obj = build(TK_AGENTRUNTIME, rt);

	ck_assert_int_eq(schema_validate(TK_AGENTRUNTIME, obj, NULL, &cfg, &errs, &warnings), 0);
	if (errs.n)
		dump(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(warnings.n, 0);
	json_object_put(obj);
	obj = build(TK_AGENTJOB, aj);
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, &cfg, &errs, &warnings), 0);
	if (errs.n)
		dump(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(warnings.n, 0);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}
END_TEST

/* Without the policy (no cfg, or --forbid-tolerations=), every toleration
 * and a runtime without a class pass; the policy keys match exactly. */
START_TEST(test_policy_off)
{
	static const char *const tol =
	    "{\"spec\":{\"tolerations\":[{\"operator\":\"Exists\"},{\"key\":"
	    "\"node-role.kubernetes.io/control-plane\",\"operator\":\"Exists\"}]}}";
	static const char *const other = "{\"key\":\"node-role.kubernetes.io/control-plane-x\","
	                                 "\"operator\":\"Exists\"}";
	struct schema_config none = {0}, only_other = {.forbid_tolerations = default_taints + 1,
	                                               .n_forbid_tolerations = 1};
	struct fielderrs errs = {0};
	struct strlist warnings = {0};
	json_object *obj = build(TK_AGENTJOB, tol);
	char patch[512];

	expect_valid(TK_AGENTJOB, json_object_get(obj), false);
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, &none, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 0);
	/* Only master forbidden: the control-plane key passes, Exists-all does not. */
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, &only_other, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].path, "spec.tolerations[0]");
	ck_assert(strstr(errs.v[0].detail, "\"node-role.kubernetes.io/master\"") != NULL);
	fielderrs_free(&errs);
	json_object_put(obj);
	snprintf(patch, sizeof(patch), "{\"spec\":{\"tolerations\":[%s]}}", other);
	obj = build(TK_AGENTJOB, patch);
	only_other.forbid_tolerations = default_taints;
	only_other.n_forbid_tolerations = TK_ARRAY_LEN(default_taints);
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, &only_other, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 0);
	json_object_put(obj);
	expect_valid(TK_AGENTRUNTIME, build(TK_AGENTRUNTIME, NULL), true);
	strlist_free(&warnings);
}
END_TEST

/* podAnnotations: keys and values together at most 256 KiB. */
START_TEST(test_pod_annotations_size)
{
	json_object *obj = build(TK_AGENTJOB, "{\"spec\":{\"podAnnotations\":{}}}");
	json_object *ann =
	    json_object_object_get(json_object_object_get(obj, "spec"), "podAnnotations");
	size_t half = TK_MAX_ANNOTATIONS_SIZE / 2;
	char *big = malloc(half + 1);
	struct fielderrs errs = {0};
	struct strlist warnings = {0};

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', half);
	big[half] = '\0';
	/* "a" + half-1 and "b" + half-1 bytes: exactly at the bound. */
	big[half - 1] = '\0';
	json_object_object_add(ann, "a", json_object_new_string(big));
	json_object_object_add(ann, "b", json_object_new_string(big));
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 0);
	json_object_object_add(ann, "c", json_object_new_string(""));
	ck_assert_int_eq(schema_validate(TK_AGENTJOB, obj, NULL, NULL, &errs, &warnings), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].path, "spec.podAnnotations");
	ck_assert_int_eq(errs.v[0].type, FE_TOO_LONG);
	free(big);
	fielderrs_free(&errs);
	strlist_free(&warnings);
	json_object_put(obj);
}
END_TEST

/* The policy flags as text: checked, split, trimmed; errors name the flag. */
static const struct {
	struct schema_policy_flags f;
	int rc;
	size_t nkeys;
	const char *err;
} policies[] = {
    {{NULL, false, NULL, SCHEMA_DEFAULT_FORBID_TOLERATIONS}, 0, 2, NULL},
    {{"gvisor", true, "Restricted", ""}, 0, 0, NULL},
    {{NULL, false, "Unrestricted", " a , example.com/b "}, 0, 2, NULL},
    {{NULL, false, NULL, NULL}, 0, 0, NULL},
    {{"gVisor", false, NULL, ""},
     -EINVAL,
     0,
     "--default-runtime-class: a lowercase RFC 1123 subdomain must consist of lower case "
     "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
     "character (e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), got \"gVisor\""},
    {{NULL, false, "restricted", ""},
     -EINVAL,
     0,
     "--default-egress: must be Unrestricted or Restricted, got \"restricted\""},
    {{NULL, false, NULL, "a,,b"},
     -EINVAL,
     0,
     "--forbid-tolerations: empty taint key, got \"a,,b\""},
    {{NULL, false, NULL, "a,"}, -EINVAL, 0, "--forbid-tolerations: empty taint key, got \"a,\""},
    {{NULL, false, NULL, "bad key"}, -EINVAL, 0, NULL},
};

START_TEST(test_config_policy)
{
	struct schema_config cfg = {0};
	struct strlist keys = {0};
	struct buf err = BUF_INIT(4096);
	int r = schema_config_policy(&cfg, &policies[_i].f, &keys, &err);

	ck_assert_int_eq(r, policies[_i].rc);
	if (r == 0) {
		ck_assert_uint_eq(cfg.n_forbid_tolerations, policies[_i].nkeys);
		ck_assert_uint_eq(keys.n, policies[_i].nkeys);
		ck_assert(cfg.require_runtime_class == policies[_i].f.require_runtime_class);
		ck_assert_ptr_eq(cfg.default_egress, policies[_i].f.default_egress);
		ck_assert_ptr_eq(cfg.default_runtime_class, policies[_i].f.default_runtime_class);
	} else {
		ck_assert_ptr_null(cfg.forbid_tolerations);
		ck_assert_ptr_nonnull(err.data);
		ck_assert(strncmp(err.data, "--", 2) == 0);
	}
	if (policies[_i].err)
		ck_assert_str_eq(err.data, policies[_i].err);
	if (_i == 2) {
		ck_assert_str_eq(cfg.forbid_tolerations[0], "a");
		ck_assert_str_eq(cfg.forbid_tolerations[1], "example.com/b");
	}
	strlist_free(&keys);
	buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema_validate");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_invalid, 0, (int)TK_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, test_policy, 0, (int)TK_ARRAY_LEN(policy_cases));
	tcase_add_loop_test(tc, test_valid_bases, 0, TK_KIND_COUNT);
	tcase_add_test(tc, test_claude_rules_valid);
	tcase_add_test(tc, test_env_by_reference_valid);
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_name_limits);
	tcase_add_test(tc, test_tz_database_missing);
	tcase_add_test(tc, test_quickstart_valid);
	tcase_add_test(tc, test_not_an_object);
	tcase_add_test(tc, test_sandbox_valid);
	tcase_add_test(tc, test_policy_off);
	tcase_add_test(tc, test_pod_annotations_size);
	tcase_add_loop_test(tc, test_config_policy, 0, (int)TK_ARRAY_LEN(policies));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
