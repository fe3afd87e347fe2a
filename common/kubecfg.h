/*
 * kubecfg.h - where and how to reach the API server.
 *
 * Sources, in order: an explicit kubeconfig path (--kubeconfig), $KUBECONFIG
 * (first file of the list), in-cluster service account when
 * KUBERNETES_SERVICE_HOST is set and no kubeconfig was given, else
 * ~/.kube/config. Supported kubeconfig fields (current-context): cluster
 * server, certificate-authority(-data), insecure-skip-tls-verify; user
 * client-certificate(-data), client-key(-data), token, tokenFile.
 * In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
 * /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace};
 * the token file is re-read when it changes (bound tokens rotate).
 */
#ifndef THURKUBE_KUBECFG_H
#define THURKUBE_KUBECFG_H

#include "compat.h"

#include "util.h"

struct kube_config;

/*
 * Load a config. path may be NULL (then the search order above). On
 * failure returns a negative errno and writes one clear line into err
 * (e.g. `kubeconfig "/x": no current-context`).
 */
int kubecfg_load(const char *path, struct kube_config **out, struct buf *err) TK_MUST_CHECK;
/* Parse kubeconfig YAML text from memory; base_dir resolves relative file
 * paths. Same contract as kubecfg_load. */
int kubecfg_parse(const char *text, size_t len, const char *base_dir, struct kube_config **out,
                  struct buf *err) TK_MUST_CHECK;
void kubecfg_free(struct kube_config *cfg);
/* Server URL without a trailing slash (borrowed). */
const char *kubecfg_server(const struct kube_config *cfg);
/* Namespace of the in-cluster pod or the context, "default" if none. */
const char *kubecfg_namespace(const struct kube_config *cfg);

#endif
