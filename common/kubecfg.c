/*
 * kubecfg.c - see kubecfg.h.
 */
#include "compat.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kubecfg.h"
#include "jsonutil.h"
#include "limits.h"
#include "yamljson.h"

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"
/* client-go re-reads its token file every minute; so do we, on top of
 * noticing a changed file at once. */
#define TOKEN_MAX_AGE_MS 60000

struct kube_config {
	char *server;
	char *ns;
	unsigned char *ca_data;
	size_t ca_len;
	char *ca_file;
	unsigned char *cert_data;
	size_t cert_len;
	char *cert_file;
	unsigned char *key_data; /* secret */
	size_t key_len;
	char *key_file;
	bool insecure;
	bool in_cluster;

	pthread_mutex_t token_lock;
	char *token; /* secret; from the kubeconfig or the last file read */
	char *token_file;
	struct stat token_st;  /* of the last successful read */
	int64_t token_read_ms; /* 0: never read / forced re-read */
};

static void errf(struct buf *err, const char *fmt, ...) TK_PRINTF(2, 3);

static void errf(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	buf_reset(err);
	va_start(ap, fmt);
	if (buf_vprintf(err, fmt, ap) < 0)
		buf_reset(err); /* an error text that does not fit is dropped */
	va_end(ap);
}

static struct kube_config *cfg_alloc(void)
{
	struct kube_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	if (pthread_mutex_init(&cfg->token_lock, NULL) != 0) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

static void free_secret_bytes(unsigned char *p, size_t n)
{
	if (p)
		OPENSSL_cleanse(p, n);
	free(p);
}

void kubecfg_free(struct kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->ns);
	free(cfg->ca_data);
	free(cfg->ca_file);
	free(cfg->cert_data);
	free(cfg->cert_file);
	free_secret_bytes(cfg->key_data, cfg->key_len);
	free(cfg->key_file);
	free_secret(cfg->token);
	free(cfg->token_file);
	pthread_mutex_destroy(&cfg->token_lock);
	free(cfg);
}

const char *kubecfg_server(const struct kube_config *cfg)
{
	return cfg->server;
}

const char *kubecfg_namespace(const struct kube_config *cfg)
{
	return cfg->ns ? cfg->ns : "default";
}

bool kubecfg_is_in_cluster(const struct kube_config *cfg)
{
	return cfg->in_cluster;
}

void kubecfg_tls(const struct kube_config *cfg, struct kubecfg_tls *out)
{
	out->ca_data = cfg->ca_data;
	out->ca_len = cfg->ca_len;
	out->ca_file = cfg->ca_data ? NULL : cfg->ca_file;
	out->cert_data = cfg->cert_data;
	out->cert_len = cfg->cert_len;
	out->cert_file = cfg->cert_data ? NULL : cfg->cert_file;
	out->key_data = cfg->key_data;
	out->key_len = cfg->key_len;
	out->key_file = cfg->key_data ? NULL : cfg->key_file;
	out->insecure = cfg->insecure;
}

/* --- tokens -------------------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Read the token file into cfg->token (lock held). */
static int token_reload(struct kube_config *cfg)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (stat(cfg->token_file, &st) < 0)
		return -errno;
	if (cfg->token && cfg->token_read_ms && same_file(&st, &cfg->token_st) &&
	    now_ms() - cfg->token_read_ms < TOKEN_MAX_AGE_MS)
		return 0;
	r = read_file(cfg->token_file, TK_MAX_HEADER_SIZE, &data, &len);
	if (r < 0)
		return r;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ' ||
	                   data[len - 1] == '\t'))
		data[--len] = '\0';
	if (len == 0 || memchr(data, '\n', len) || strlen(data) != len) {
		free_secret(data);
		return -EINVAL; /* would break the header */
	}
	free_secret(cfg->token);
	cfg->token = data;
	cfg->token_st = st;
	cfg->token_read_ms = now_ms();
	return 0;
}

int kubecfg_token(struct kube_config *cfg, struct buf *out)
{
	int r = 0;

	pthread_mutex_lock(&cfg->token_lock);
	if (cfg->token_file) {
		r = token_reload(cfg);
		if (r < 0 && cfg->token)
			r = 0; /* keep the last good token */
	}
	if (r == 0 && cfg->token)
		r = buf_puts(out, cfg->token);
	pthread_mutex_unlock(&cfg->token_lock);
	return r;
}

bool kubecfg_token_refresh(struct kube_config *cfg)
{
	bool has;

	pthread_mutex_lock(&cfg->token_lock);
	cfg->token_read_ms = 0;
	has = cfg->token_file != NULL;
	pthread_mutex_unlock(&cfg->token_lock);
	return has;
}

/* --- kubeconfig ---------------------------------------------------------- */

/* The `sub` object of the element of list `list` named `name` (borrowed). */
static json_object *find_named(json_object *doc, const char *list, const char *name,
                               const char *sub)
{
	json_object *arr, *el, *v;
	size_t i, n;

	if (!json_object_object_get_ex(doc, list, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		const char *nm;

		el = json_object_array_get_idx(arr, i);
		nm = jsonutil_str(el, "name");
		if (nm && strcmp(nm, name) == 0) {
			if (json_object_object_get_ex(el, sub, &v) &&
			    json_object_is_type(v, json_type_object))
				return v;
			return NULL;
		}
	}
	return NULL;
}

static char *resolve_path(const char *base_dir, const char *p)
{
	struct buf b = BUF_INIT(8192);

	if (p[0] == '/' || !base_dir || !*base_dir)
		return xstrdup(p);
	if (buf_printf(&b, "%s/%s", base_dir, p) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/*
 * One certificate/key-like field: `<name>-data` (base64) or `<name>` (a
 * path). Fills the data and its length, or the file; neither when absent.
 */
static int load_pair(json_object *o, const char *name, const char *base_dir, const char *what,
                     unsigned char **data, size_t *len, char **file, struct buf *err)
{
	char key[64];
	const char *d, *f;
	int r;

	snprintf(key, sizeof(key), "%s-data", name);
	d = jsonutil_str(o, key);
	f = jsonutil_str(o, name);
	if (d && *d) {
		r = base64_decode(d, strlen(d), data, len);
		if (r == -EINVAL)
			errf(err, "%s: %s is not valid base64", what, key);
		if (r == 0 && *len == 0) {
			free(*data);
			*data = NULL;
			errf(err, "%s: %s is empty", what, key);
			r = -EINVAL;
		}
		return r;
	}
	if (f && *f) {
		*file = resolve_path(base_dir, f);
		return *file ? 0 : -ENOMEM;
	}
	return 0;
}

static int load_cluster(struct kube_config *cfg, json_object *cl, const char *base_dir,
                        const char *label, struct buf *err)
{
	json_object *v;
	const char *server = jsonutil_str(cl, "server"), *host;
	size_t n;
	int r;

	if (!server || !*server) {
		errf(err, "%s: cluster has no server", label);
		return -EINVAL;
	}
	host = strstr(server, "://");
	if ((strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) ||
	    host[3] == '\0' || host[3] == '/') {
		errf(err, "%s: server \"%.200s\" is not an http(s) URL with a host", label, server);
		return -EINVAL;
	}
	cfg->server = xstrdup(server);
	if (!cfg->server)
		return -ENOMEM;
	n = strlen(cfg->server);
	while (n > 0 && cfg->server[n - 1] == '/')
		cfg->server[--n] = '\0';
	if (json_object_object_get_ex(cl, "insecure-skip-tls-verify", &v))
		cfg->insecure = json_object_get_boolean(v);
	r = load_pair(cl, "certificate-authority", base_dir, label, &cfg->ca_data, &cfg->ca_len,
	              &cfg->ca_file, err);
	if (r < 0)
		return r;
	if (cfg->insecure && (cfg->ca_data || cfg->ca_file)) {
		/* client-go refuses this combination too */
		errf(err,
		     "%s: insecure-skip-tls-verify cannot be combined with a certificate-authority",
		     label);
		return -EINVAL;
	}
	return 0;
}

static int load_user(struct kube_config *cfg, json_object *u, const char *base_dir,
                     const char *label, struct buf *err)
{
	static const char *const unsupported[] = {"exec", "auth-provider", "username", "password"};
	const char *tok, *tokfile;
	size_t i;
	int r;

	for (i = 0; i < TK_ARRAY_LEN(unsupported); i++)
		if (json_object_object_get_ex(u, unsupported[i], NULL)) {
			errf(err,
			     "%s: user field \"%s\" is not supported (use a token or a client "
			     "certificate)",
			     label, unsupported[i]);
			return -ENOTSUP;
		}
	r = load_pair(u, "client-certificate", base_dir, label, &cfg->cert_data, &cfg->cert_len,
	              &cfg->cert_file, err);
	if (r == 0)
		r = load_pair(u, "client-key", base_dir, label, &cfg->key_data, &cfg->key_len,
		              &cfg->key_file, err);
	if (r < 0)
		return r;
	if ((cfg->cert_data || cfg->cert_file) != (cfg->key_data || cfg->key_file)) {
		errf(err, "%s: client-certificate and client-key must be given together", label);
		return -EINVAL;
	}
	tok = jsonutil_str(u, "token");
	tokfile = jsonutil_str(u, "tokenFile");
	if (tokfile && *tokfile) {
		cfg->token_file = resolve_path(base_dir, tokfile);
		if (!cfg->token_file)
			return -ENOMEM;
	} else if (tok && *tok) {
		if (strchr(tok, '\n') || strchr(tok, '\r')) {
			errf(err, "%s: token contains a line break", label);
			return -EINVAL;
		}
		cfg->token = xstrdup(tok);
		if (!cfg->token)
			return -ENOMEM;
	}
	return 0;
}

/* Wipe the secret strings of the parsed document before json-c frees it. */
static void wipe_user_secrets(json_object *u)
{
	static const char *const keys[] = {"token", "client-key-data", "password"};
	json_object *v;
	size_t i;

	for (i = 0; i < TK_ARRAY_LEN(keys); i++)
		if (u && json_object_object_get_ex(u, keys[i], &v) &&
		    json_object_is_type(v, json_type_string))
			OPENSSL_cleanse((char *)json_object_get_string(v),
			                (size_t)json_object_get_string_len(v));
}

static int parse_doc(json_object *doc, const char *base_dir, const char *label,
                     struct kube_config *cfg, struct buf *err)
{
	const char *cur, *cl_name, *u_name, *ns;
	json_object *ctx, *cl, *u;
	int r;

	if (!json_object_is_type(doc, json_type_object)) {
		errf(err, "%s: not a kubeconfig (expected a mapping)", label);
		return -EINVAL;
	}
	cur = jsonutil_str(doc, "current-context");
	if (!cur || !*cur) {
		errf(err, "%s: no current-context", label);
		return -EINVAL;
	}
	ctx = find_named(doc, "contexts", cur, "context");
	if (!ctx) {
		errf(err, "%s: context \"%.200s\" not found", label, cur);
		return -EINVAL;
	}
	cl_name = jsonutil_str(ctx, "cluster");
	cl = cl_name ? find_named(doc, "clusters", cl_name, "cluster") : NULL;
	if (!cl) {
		errf(err, "%s: cluster \"%.200s\" of context \"%.200s\" not found", label,
		     cl_name ? cl_name : "", cur);
		return -EINVAL;
	}
	r = load_cluster(cfg, cl, base_dir, label, err);
	u_name = jsonutil_str(ctx, "user");
	u = u_name && *u_name ? find_named(doc, "users", u_name, "user") : NULL;
	if (r == 0 && u_name && *u_name && !u) {
		errf(err, "%s: user \"%.200s\" of context \"%.200s\" not found", label, u_name,
		     cur);
		r = -EINVAL;
	}
	if (r == 0 && u)
		r = load_user(cfg, u, base_dir, label, err);
	wipe_user_secrets(u);
	if (r < 0)
		return r;
	ns = jsonutil_str(ctx, "namespace");
	if (ns && *ns) {
		cfg->ns = xstrdup(ns);
		if (!cfg->ns)
			return -ENOMEM;
	}
	return 0;
}

static int parse_labelled(const char *text, size_t len, const char *base_dir, const char *label,
                          struct kube_config **out, struct buf *err)
{
	struct yamljson_error yerr;
	struct kube_config *cfg = NULL;
	json_object *doc = NULL;
	int r;

	r = yamljson_parse_one(text, len, &doc, &yerr);
	if (r < 0) {
		if (r == -EINVAL)
			errf(err, "%s: line %zu column %zu: %s", label, yerr.line, yerr.column,
			     yerr.msg);
		goto out;
	}
	cfg = cfg_alloc();
	if (!cfg) {
		r = -ENOMEM;
		goto out;
	}
	r = parse_doc(doc, base_dir, label, cfg, err);
out:
	json_object_put(doc);
	if (r < 0) {
		kubecfg_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int kubecfg_parse(const char *text, size_t len, const char *base_dir, struct kube_config **out,
                  struct buf *err)
{
	return parse_labelled(text, len, base_dir, "kubeconfig", out, err);
}

static int load_file(const char *path, struct kube_config **out, struct buf *err)
{
	struct buf label = BUF_INIT(8192);
	char *text = NULL, *dir = NULL, *slash;
	size_t len = 0;
	int r;

	r = buf_printf(&label, "kubeconfig \"%s\"", path);
	if (r < 0)
		goto out;
	r = read_file(path, TK_MAX_INPUT_FILE, &text, &len);
	if (r < 0) {
		errf(err, "%s: %s", label.data, strerror(-r));
		goto out;
	}
	dir = xstrdup(path);
	if (!dir) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		dir[0] = '\0';
	r = parse_labelled(text, len, dir, label.data, out, err);
out:
	if (text)
		OPENSSL_cleanse(text, len); /* it holds keys and tokens */
	free(text);
	free(dir);
	buf_free(&label);
	return r;
}

/* --- in-cluster ---------------------------------------------------------- */

static int sa_file(const char *dir, const char *name, char **out)
{
	struct buf b = BUF_INIT(8192);

	if (buf_printf(&b, "%s/%s", dir, name) < 0) {
		buf_free(&b);
		return -ENOMEM;
	}
	*out = buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

static int in_cluster_ns(struct kube_config *cfg, const char *dir)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	int r = sa_file(dir, "namespace", &path);

	if (r < 0)
		return r;
	r = read_file(path, TK_MAX_NAME + 2, &text, &len);
	free(path);
	if (r < 0)
		return 0; /* optional: "default" */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len == 0) {
		free(text);
		return 0;
	}
	cfg->ns = text;
	return 0;
}

int kubecfg_in_cluster(struct kube_config **out, struct buf *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("THURKUBE_SA_DIR");
	struct kube_config *cfg = NULL;
	struct buf url = BUF_INIT(1024);
	uint64_t portnum;
	int r;

	if (!dir || !*dir)
		dir = SA_DIR_DEFAULT;
	if (!host || !*host || !port || !*port) {
		errf(err,
		     "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
		return -ENOENT;
	}
	if (parse_u64(port, 1, 65535, &portnum) < 0) {
		errf(err, "in-cluster: KUBERNETES_SERVICE_PORT \"%.32s\" is not a port", port);
		return -EINVAL;
	}
	cfg = cfg_alloc();
	if (!cfg)
		return -ENOMEM;
	cfg->in_cluster = true;
	r = buf_printf(&url, strchr(host, ':') ? "https://[%s]:%" PRIu64 : "https://%s:%" PRIu64,
	               host, portnum);
	if (r < 0)
		goto out;
	cfg->server = buf_steal(&url);
	r = cfg->server ? 0 : -ENOMEM;
	if (r == 0)
		r = sa_file(dir, "token", &cfg->token_file);
	if (r == 0)
		r = sa_file(dir, "ca.crt", &cfg->ca_file);
	if (r < 0)
		goto out;
	if (access(cfg->ca_file, R_OK) < 0) {
		r = -errno;
		errf(err, "in-cluster: cannot read \"%s\": %s", cfg->ca_file, strerror(-r));
		goto out;
	}
	r = kubecfg_token(cfg, &url); /* read it once now, to fail early */
	buf_free_secure(&url);
	if (r < 0) {
		errf(err, "in-cluster: cannot read token \"%s\": %s", cfg->token_file,
		     strerror(-r));
		goto out;
	}
	r = in_cluster_ns(cfg, dir);
out:
	buf_free(&url);
	if (r < 0) {
		kubecfg_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int kubecfg_load(const char *path, struct kube_config **out, struct buf *err)
{
	const char *env = getenv("KUBECONFIG");
	const char *home = getenv("HOME");
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	char *first = NULL;
	struct buf p = BUF_INIT(8192);
	int r;

	if (path && *path)
		return load_file(path, out, err);
	if (env && *env) {
		const char *end;

		while (*env == ':')
			env++;
		end = strchr(env, ':');
		first = end ? xstrndup(env, (size_t)(end - env)) : xstrdup(env);
		if (!first)
			return -ENOMEM;
		if (*first) {
			r = load_file(first, out, err);
			free(first);
			return r;
		}
		free(first);
	}
	if (host && *host)
		return kubecfg_in_cluster(out, err);
	if (!home || !*home || buf_printf(&p, "%s/.kube/config", home) < 0) {
		errf(err, "no kubeconfig: set --kubeconfig or KUBECONFIG, or run in a cluster");
		buf_free(&p);
		return -ENOENT;
	}
	r = load_file(p.data, out, err);
	buf_free(&p);
	return r;
}
