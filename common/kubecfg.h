/*
 * kubecfg.h - where and how to reach the API server.
 *
 * Sources, in order: an explicit kubeconfig path (--kubeconfig), $KUBECONFIG
 * (first file of the list), in-cluster service account when
 * KUBERNETES_SERVICE_HOST is set and no kubeconfig was given, else
 * ~/.kube/config. Supported kubeconfig fields (current-context): cluster
 * server, certificate-authority(-data), insecure-skip-tls-verify; user
 * client-certificate(-data), client-key(-data), token, tokenFile; context
 * namespace. A *-data field wins over its file twin (as in client-go);
 * tokenFile wins over token. Users with exec, auth-provider or
 * username/password are rejected with a clear error rather than sending
 * unauthenticated requests. Relative file paths are resolved against the
 * kubeconfig's directory.
 *
 * In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 * (IPv6 hosts bracketed) with {token,ca.crt,namespace} from the service
 * account directory, /var/run/secrets/kubernetes.io/serviceaccount, or
 * $THURKUBE_SA_DIR when set (tests use it to point at a temporary
 * directory). ca.crt is passed to TLS by path, so a rotated CA is picked up
 * by new connections.
 *
 * Token files (in-cluster and tokenFile) are re-read when their inode,
 * size or mtime changes, at least once a minute, and after
 * kubecfg_token_refresh (the client calls it on a 401): bound tokens rotate.
 *
 * Secrets (token, client key) are never logged, never put in error texts,
 * and are wiped with OPENSSL_cleanse when replaced or freed.
 *
 * Thread safety: after loading, a config may be used from several threads;
 * kubecfg_token serialises token file re-reads internally.
 */
#ifndef THURKUBE_KUBECFG_H
#define THURKUBE_KUBECFG_H

#include "compat.h"

#include <stdbool.h>

#include "util.h"

struct kube_config;

/*
 * Load a config. path may be NULL (then the search order above). On
 * failure returns a negative errno and writes one clear line into err
 * (may be NULL), e.g. `kubeconfig "/x": no current-context`.
 */
int kubecfg_load(const char *path, struct kube_config **out, struct buf *err) TK_MUST_CHECK;
/* Parse kubeconfig YAML text from memory; base_dir (may be NULL = ".")
 * resolves relative file paths. Same contract as kubecfg_load. */
int kubecfg_parse(const char *text, size_t len, const char *base_dir, struct kube_config **out,
                  struct buf *err) TK_MUST_CHECK;
/* The in-cluster config from the environment described above, even when a
 * kubeconfig exists. -ENOENT when KUBERNETES_SERVICE_HOST/PORT are unset. */
int kubecfg_in_cluster(struct kube_config **out, struct buf *err) TK_MUST_CHECK;
/* Wipes secrets and frees. NULL is fine. */
void kubecfg_free(struct kube_config *cfg);
/* Server URL without a trailing slash (borrowed). */
const char *kubecfg_server(const struct kube_config *cfg);
/* Namespace of the in-cluster pod or the context, "default" if none. */
const char *kubecfg_namespace(const struct kube_config *cfg);
/* True when the config came from the in-cluster service account. */
bool kubecfg_is_in_cluster(const struct kube_config *cfg);

/*
 * TLS material, all borrowed from cfg for its lifetime. For each of CA,
 * client certificate and client key at most one of data/file is set
 * (data is PEM bytes, not NUL-terminated). No CA means the system trust
 * store; insecure means no server verification at all.
 */
struct kubecfg_tls {
	const unsigned char *ca_data;
	size_t ca_len;
	const char *ca_file;
	const unsigned char *cert_data;
	size_t cert_len;
	const char *cert_file;
	const unsigned char *key_data;
	size_t key_len;
	const char *key_file;
	bool insecure;
};
void kubecfg_tls(const struct kube_config *cfg, struct kubecfg_tls *out);

/*
 * Append the current bearer token to out (a secret: release it with
 * buf_free_secure). Nothing is appended when the config has no token.
 * A token file is re-read as described above; if a re-read fails the last
 * good token is kept. Returns 0, or a negative errno when the file has
 * never been read successfully (-ENOENT, -EACCES, -E2BIG over
 * TK_MAX_HEADER_SIZE, -EINVAL when empty) or out is full.
 */
int kubecfg_token(struct kube_config *cfg, struct buf *out) TK_MUST_CHECK;
/* Make the next kubecfg_token re-read its token file. Returns true when a
 * token file is configured (so a retry may help). */
bool kubecfg_token_refresh(struct kube_config *cfg);

#endif
