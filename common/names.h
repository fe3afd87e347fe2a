/*
 * names.h - the name rules of Kubernetes validation, with the API server's
 * own wording in the reason (k8s.io/apimachinery/pkg/util/validation).
 * Each returns 1 when valid, 0 when not (and writes the reason into why,
 * replacing its contents, when why is non-NULL).
 */
#ifndef THURKUBE_NAMES_H
#define THURKUBE_NAMES_H

#include "compat.h"

#include "util.h"

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. */
int names_dns1123_label(const char *s, struct buf *why);
/* RFC 1123 subdomain: labels joined by '.', at most 253 (object names). */
int names_dns1123_subdomain(const char *s, struct buf *why);
/* Environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]* */
int names_env_var(const char *s, struct buf *why);
/* C identifier: [A-Za-z_][A-Za-z0-9_]* (authEnvVar, so shells can read it). */
int names_c_identifier(const char *s, struct buf *why);
/* Label value: empty or ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], <= 63. */
int names_label_value(const char *s, struct buf *why);

#endif
