/*
 * test_kubecfg.c - kubeconfig parsing, token files and in-cluster config.
 *
 * In-cluster tests point THURKUBE_SA_DIR at a temporary directory.
 */
#include "compat.h"

#include <check.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubecfg.h"

#define KC_HEAD                                                                                    \
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"                                     \
	"contexts:\n- name: other\n  context: {cluster: nope, user: nope}\n"                       \
	"- name: ctx\n  context:\n    cluster: c1\n    user: u1\n"

static const struct {
	const char *text;
	const char *server;
	const char *ns;
	const char *ca; /* "data:<bytes>" or "file:<path>" or "" */
	const char *cert;
	const char *key;
	const char *token;
	bool insecure;
} good[] = {
    {KC_HEAD "    namespace: team-a\nclusters:\n- name: c1\n  cluster:\n"
             "    server: https://10.0.0.1:6443/\n    certificate-authority-data: Q0E=\n"
             "users:\n- name: u1\n  user:\n    client-certificate-data: Q0VSVA==\n"
             "    client-key-data: S0VZ\n",
     "https://10.0.0.1:6443", "team-a", "data:CA", "data:CERT", "data:KEY", "", false},
    {KC_HEAD "clusters:\n- name: c1\n  cluster:\n    server: https://h\n"
             "    certificate-authority: ca.pem\nusers:\n- name: u1\n  user:\n"
             "    client-certificate: /abs/c.pem\n    client-key: k.pem\n    token: abc.def\n",
     "https://h", "default", "file:/base/ca.pem", "file:/abs/c.pem", "file:/base/k.pem", "abc.def",
     false},
    /* data wins over the file twin */
    {KC_HEAD "clusters:\n- name: c1\n  cluster:\n    server: http://h:8080\n"
             "    certificate-authority: ca.pem\n    certificate-authority-data: Q0E=\n"
             "users:\n- name: u1\n  user: {}\n",
     "http://h:8080", "default", "data:CA", "", "", "", false},
    {KC_HEAD "clusters:\n- name: c1\n  cluster:\n    server: https://h\n"
             "    insecure-skip-tls-verify: true\nusers:\n- name: u1\n  user:\n    token: t0\n",
     "https://h", "default", "", "", "", "t0", true},
    /* a context without a user is anonymous */
    {"current-context: ctx\ncontexts:\n- name: ctx\n  context: {cluster: c1}\n"
     "clusters:\n- name: c1\n  cluster: {server: \"https://h\"}\n",
     "https://h", "default", "", "", "", "", false},
};

static void check_pair(const char *want, const unsigned char *data, size_t len, const char *file)
{
	if (strncmp(want, "data:", 5) == 0) {
		ck_assert_ptr_null(file);
		ck_assert_uint_eq(len, strlen(want + 5));
		ck_assert(memcmp(data, want + 5, len) == 0);
	} else if (strncmp(want, "file:", 5) == 0) {
		ck_assert_ptr_null(data);
		ck_assert_str_eq(file, want + 5);
	} else {
		ck_assert_ptr_null(data);
		ck_assert_ptr_null(file);
	}
}

START_TEST(test_good)
{
	struct buf err = BUF_INIT(1024), tok = BUF_INIT(1024);
	struct kube_config *cfg = NULL;
	struct kubecfg_tls tls;
	int r = kubecfg_parse(good[_i].text, strlen(good[_i].text), "/base", &cfg, &err);

	ck_assert_msg(r == 0, "row %d: %d %s", _i, r, err.data ? err.data : "");
	ck_assert_str_eq(kubecfg_server(cfg), good[_i].server);
	ck_assert_str_eq(kubecfg_namespace(cfg), good[_i].ns);
	ck_assert(!kubecfg_is_in_cluster(cfg));
	kubecfg_tls(cfg, &tls);
	check_pair(good[_i].ca, tls.ca_data, tls.ca_len, tls.ca_file);
	check_pair(good[_i].cert, tls.cert_data, tls.cert_len, tls.cert_file);
	check_pair(good[_i].key, tls.key_data, tls.key_len, tls.key_file);
	ck_assert_int_eq(tls.insecure, good[_i].insecure);
	ck_assert_int_eq(kubecfg_token(cfg, &tok), 0);
	ck_assert_str_eq(tok.data ? tok.data : "", good[_i].token);
	ck_assert(!kubecfg_token_refresh(cfg)); /* no token file */
	buf_free_secure(&tok);
	buf_free(&err);
	kubecfg_free(cfg);
}
END_TEST

static const struct {
	const char *text;
	int rc;
	const char *msg;
} bad[] = {
    {"apiVersion: v1\nkind: Config\n", -EINVAL, "kubeconfig: no current-context"},
    {"current-context: x\ncontexts: []\n", -EINVAL, "context \"x\" not found"},
    {KC_HEAD "clusters: []\n", -EINVAL, "cluster \"c1\" of context \"ctx\" not found"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://h\"}\nusers: []\n", -EINVAL,
     "user \"u1\" of context \"ctx\" not found"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {}\n", -EINVAL, "cluster has no server"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"ftp://h\"}\n", -EINVAL,
     "is not an http(s) URL"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://\"}\n", -EINVAL,
     "is not an http(s) URL with a host"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"http:///x\"}\n", -EINVAL,
     "is not an http(s) URL with a host"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://h\", "
             "certificate-authority-data: \"!!!\"}\n",
     -EINVAL, "certificate-authority-data is not valid base64"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://h\", insecure-skip-tls-verify: "
             "true, certificate-authority: x}\n",
     -EINVAL, "cannot be combined"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://h\"}\nusers:\n- name: u1\n"
             "  user:\n    exec: {command: aws}\n",
     -ENOTSUP, "user field \"exec\" is not supported"},
    {KC_HEAD "clusters:\n- name: c1\n  cluster: {server: \"https://h\"}\nusers:\n- name: u1\n"
             "  user: {client-certificate-data: Q0E=}\n",
     -EINVAL, "must be given together"},
    {"- a\n- b\n", -EINVAL, "not a kubeconfig"},
    {"current-context: [\n", -EINVAL, "kubeconfig: line 2 column 1:"},
};

START_TEST(test_bad)
{
	struct buf err = BUF_INIT(1024);
	struct kube_config *cfg = (struct kube_config *)1;
	int r = kubecfg_parse(bad[_i].text, strlen(bad[_i].text), NULL, &cfg, &err);

	ck_assert_msg(r == bad[_i].rc, "row %d: %d", _i, r);
	ck_assert_ptr_eq(cfg, (struct kube_config *)1);
	ck_assert_ptr_nonnull(err.data);
	ck_assert_msg(strstr(err.data, bad[_i].msg) != NULL, "row %d: \"%s\"", _i, err.data);
	buf_free(&err);
}
END_TEST

/* A fresh temporary directory; the caller removes it with rm_tree. */
static void mktemp_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/test_kubecfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void write_to(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void rm_in(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static const char *token_of(struct kube_config *cfg, struct buf *tok)
{
	buf_free_secure(tok);
	ck_assert_int_eq(kubecfg_token(cfg, tok), 0);
	return tok->data ? tok->data : "";
}

START_TEST(test_token_file)
{
	struct buf err = BUF_INIT(1024), tok = BUF_INIT(1024), text = BUF_INIT(4096);
	struct kube_config *cfg = NULL;
	char dir[64];

	mktemp_dir(dir);
	write_to(dir, "tok", "first-token\n");
	/* tokenFile wins over token; a relative path is taken from the kubeconfig's dir */
	ck_assert_int_eq(buf_printf(&text, KC_HEAD "clusters:\n- name: c1\n  cluster: {server: "
	                                           "\"https://h\"}\nusers:\n- name: u1\n  user:\n"
	                                           "    token: static\n    tokenFile: tok\n"),
	                 0);
	write_to(dir, "config", text.data);
	snprintf(dir + strlen(dir), 64 - strlen(dir), "/config");
	ck_assert_int_eq(kubecfg_load(dir, &cfg, &err), 0);
	*strrchr(dir, '/') = '\0';
	ck_assert_str_eq(token_of(cfg, &tok), "first-token");
	/* a changed file (other size) is noticed at once */
	write_to(dir, "tok", "second-token-longer\n");
	ck_assert_str_eq(token_of(cfg, &tok), "second-token-longer");
	/* same size, maybe same mtime: a forced refresh (after a 401) re-reads */
	write_to(dir, "tok", "third--token-longer\n");
	ck_assert(kubecfg_token_refresh(cfg));
	ck_assert_str_eq(token_of(cfg, &tok), "third--token-longer");
	/* a vanished file keeps the last good token */
	rm_in(dir, "tok");
	ck_assert(kubecfg_token_refresh(cfg));
	ck_assert_str_eq(token_of(cfg, &tok), "third--token-longer");
	kubecfg_free(cfg);
	cfg = NULL;
	/* never readable: the error comes at token time */
	ck_assert_int_eq(kubecfg_parse(text.data, text.len, dir, &cfg, &err), 0);
	buf_free_secure(&tok);
	ck_assert_int_eq(kubecfg_token(cfg, &tok), -ENOENT);
	kubecfg_free(cfg);
	rm_in(dir, "config");
	rmdir(dir);
	buf_free_secure(&tok);
	buf_free(&err);
	buf_free(&text);
}
END_TEST

START_TEST(test_missing_file)
{
	struct buf err = BUF_INIT(1024);
	struct kube_config *cfg = NULL;

	ck_assert_int_eq(kubecfg_load("/nonexistent/kubeconfig", &cfg, &err), -ENOENT);
	ck_assert_str_eq(err.data,
	                 "kubeconfig \"/nonexistent/kubeconfig\": No such file or directory");
	buf_free(&err);
}
END_TEST

START_TEST(test_kubeconfig_env)
{
	struct buf err = BUF_INIT(1024), text = BUF_INIT(4096), env = BUF_INIT(256);
	struct kube_config *cfg = NULL;
	char dir[64];

	mktemp_dir(dir);
	ck_assert_int_eq(buf_printf(&text, KC_HEAD
	                            "clusters:\n- name: c1\n  cluster: {server: "
	                            "\"https://from-env\"}\nusers:\n- name: u1\n  user: {}\n"),
	                 0);
	write_to(dir, "first", text.data);
	ck_assert_int_eq(buf_printf(&env, ":%s/first:%s/second", dir, dir), 0);
	setenv("KUBECONFIG", env.data, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.9.9.9", 1); /* a kubeconfig wins over in-cluster */
	ck_assert_int_eq(kubecfg_load(NULL, &cfg, &err), 0);
	ck_assert_str_eq(kubecfg_server(cfg), "https://from-env");
	kubecfg_free(cfg);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	rm_in(dir, "first");
	rmdir(dir);
	buf_free(&err);
	buf_free(&text);
	buf_free(&env);
}
END_TEST

static const struct {
	const char *host, *port;
	bool token, ca, ns;
	int rc;
	const char *server_or_msg;
	const char *want_ns;
} incl[] = {
    {"10.0.0.1", "443", true, true, true, 0, "https://10.0.0.1:443", "thurkube-system"},
    {"fd00::1", "6443", true, true, false, 0, "https://[fd00::1]:6443", "default"},
    {"10.0.0.1", "443", false, true, true, -ENOENT, "cannot read token", NULL},
    {"10.0.0.1", "443", true, false, true, -ENOENT, "cannot read \"", NULL},
    {"10.0.0.1", "http", true, true, true, -EINVAL, "is not a port", NULL},
    {NULL, "443", true, true, true, -ENOENT, "KUBERNETES_SERVICE_HOST and", NULL},
};

START_TEST(test_in_cluster)
{
	struct buf err = BUF_INIT(1024), tok = BUF_INIT(1024);
	struct kube_config *cfg = NULL;
	struct kubecfg_tls tls;
	char dir[64], ca[128];
	int r;

	mktemp_dir(dir);
	if (incl[_i].token)
		write_to(dir, "token", "sa-token\n");
	if (incl[_i].ca)
		write_to(dir, "ca.crt", "PEM");
	if (incl[_i].ns)
		write_to(dir, "namespace", "thurkube-system\n");
	unsetenv("KUBECONFIG");
	if (incl[_i].host)
		setenv("KUBERNETES_SERVICE_HOST", incl[_i].host, 1);
	else
		unsetenv("KUBERNETES_SERVICE_HOST");
	setenv("KUBERNETES_SERVICE_PORT", incl[_i].port, 1);
	setenv("THURKUBE_SA_DIR", dir, 1);
	/* with a host set, load() without a path must choose in-cluster */
	r = incl[_i].host ? kubecfg_load(NULL, &cfg, &err) : kubecfg_in_cluster(&cfg, &err);
	ck_assert_msg(r == incl[_i].rc, "row %d: %d %s", _i, r, err.data ? err.data : "");
	if (r == 0) {
		ck_assert(kubecfg_is_in_cluster(cfg));
		ck_assert_str_eq(kubecfg_server(cfg), incl[_i].server_or_msg);
		ck_assert_str_eq(kubecfg_namespace(cfg), incl[_i].want_ns);
		kubecfg_tls(cfg, &tls);
		snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
		ck_assert_str_eq(tls.ca_file, ca);
		ck_assert_ptr_null(tls.ca_data);
		ck_assert_str_eq(token_of(cfg, &tok), "sa-token");
		/* rotation by the kubelet: a new file (new inode) behind the same name */
		write_to(dir, "token.new", "rotated-token\n");
		snprintf(ca, sizeof(ca), "%s/token", dir);
		{
			char from[128];

			snprintf(from, sizeof(from), "%s/token.new", dir);
			ck_assert_int_eq(rename(from, ca), 0);
		}
		ck_assert_str_eq(token_of(cfg, &tok), "rotated-token");
		kubecfg_free(cfg);
	} else {
		ck_assert_ptr_nonnull(strstr(err.data, incl[_i].server_or_msg));
	}
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("THURKUBE_SA_DIR");
	rm_in(dir, "token");
	rm_in(dir, "ca.crt");
	rm_in(dir, "namespace");
	ck_assert_int_eq(rmdir(dir), 0);
	buf_free_secure(&tok);
	buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kubecfg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_good, 0, (int)TK_ARRAY_LEN(good));
	tcase_add_loop_test(tc, test_bad, 0, (int)TK_ARRAY_LEN(bad));
	tcase_add_test(tc, test_token_file);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_kubeconfig_env);
	tcase_add_loop_test(tc, test_in_cluster, 0, (int)TK_ARRAY_LEN(incl));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
