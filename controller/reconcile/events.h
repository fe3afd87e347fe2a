/*
 * events.h - events.k8s.io/v1 Events about the objects the controller
 * reconciles. The reconcilers emit them on transitions only (never on a
 * no-op resync); notes carry object names, never a secret value.
 */
#ifndef THURKUBE_EVENTS_H
#define THURKUBE_EVENTS_H

#include "compat.h"

#include <time.h>

#include <json-c/json.h>

#include "reconcile/reconcile.h"
#include "types.h"

#define EVENTS_REPORTING_CONTROLLER "thurkube.thurbeen.eu/controller"
#define EVENTS_MAX_NOTE             1024

#define EVENTS_NORMAL  "Normal"
#define EVENTS_WARNING "Warning"

/* The object an event is about (all borrowed). */
struct events_regarding {
	const char *api_version;
	const char *kind;
	const struct tk_meta *meta; /* namespace, name, uid, resourceVersion */
};

/*
 * Build one Event (pure): metadata {name "<regarding name>.<hex unix
 * nanos>", namespace = the regarding object's}, eventTime MicroTime,
 * reportingController, reportingInstance = instance, action, reason,
 * type, note (cut to EVENTS_MAX_NOTE bytes on a UTF-8 boundary) and the
 * regarding ObjectReference. All strings borrowed. New reference, or NULL
 * on allocation failure or a missing argument.
 */
json_object *events_build(const struct events_regarding *reg, const char *type, const char *reason,
                          const char *action, const char *note, const char *instance,
                          const struct timespec *now);

/*
 * Create the Event through the API (POST to events.k8s.io/v1 in the
 * regarding object's namespace), reporting instance c->cfg->identity.
 * Returns 0, -ECANCELED when this process does not lead, or the kube
 * client's errno. The caller decides whether a failure matters (it
 * never fails a reconcile).
 */
int events_emit(struct reconcile_ctx *c, const struct events_regarding *reg, const char *type,
                const char *reason, const char *action, const char *note) TK_MUST_CHECK;

#endif
