/* events.c - events.k8s.io/v1 Event construction and creation. */
#include "compat.h"

#include "jsonutil.h"

#include "reconcile/events.h"

#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "limits.h"

/* The longest prefix of s within max bytes that does not split a UTF-8
 * sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static json_object *regarding_ref(const struct events_regarding *reg)
{
	json_object *r = json_object_new_object();
	int e = r ? 0 : -ENOMEM;

	if (!e)
		e = jsonutil_add_str(r, "apiVersion", reg->api_version);
	if (!e)
		e = jsonutil_add_str(r, "kind", reg->kind);
	if (!e && reg->meta->namespace)
		e = jsonutil_add_str(r, "namespace", reg->meta->namespace);
	if (!e)
		e = jsonutil_add_str(r, "name", reg->meta->name);
	if (!e && reg->meta->uid)
		e = jsonutil_add_str(r, "uid", reg->meta->uid);
	if (!e && reg->meta->resource_version)
		e = jsonutil_add_str(r, "resourceVersion", reg->meta->resource_version);
	if (e) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

json_object *events_build(const struct events_regarding *reg, const char *type, const char *reason,
                          const char *action, const char *note, const char *instance,
                          const struct timespec *now)
{
	struct buf name = BUF_INIT(TK_MAX_NAME);
	char when[32], micro[48];
	json_object *ev = NULL, *meta = NULL, *ref = NULL, *n = NULL;
	uint64_t nanos;
	int r;

	if (!reg || !reg->meta || !reg->meta->name || !reg->api_version || !reg->kind || !type ||
	    !reason || !action || !instance || !now)
		return NULL;
	nanos = (uint64_t)now->tv_sec * 1000000000u + (uint64_t)now->tv_nsec;
	/* A long object name leaves room for the suffix: event names are
	 * subdomains (253) and the regarding name may be that long. */
	r = buf_printf(&name, "%.200s.%" PRIx64, reg->meta->name, nanos);
	format_rfc3339(now->tv_sec, when);
	/* "2006-01-02T15:04:05Z" -> "2006-01-02T15:04:05.000000Z" */
	snprintf(micro, sizeof(micro), "%.19s.%06ldZ", when, (long)(now->tv_nsec / 1000));
	ev = json_object_new_object();
	meta = json_object_new_object();
	if (r || !ev || !meta)
		goto fail;
	r = jsonutil_add_str(meta, "name", name.data);
	if (!r)
		r = jsonutil_add_str(meta, "namespace",
		                     reg->meta->namespace ? reg->meta->namespace : "default");
	if (r || json_object_object_add(ev, "metadata", meta) < 0)
		goto fail;
	meta = NULL;
	r = jsonutil_add_str(ev, "apiVersion", "events.k8s.io/v1");
	if (!r)
		r = jsonutil_add_str(ev, "kind", "Event");
	if (!r)
		r = jsonutil_add_str(ev, "eventTime", micro);
	if (!r)
		r = jsonutil_add_str(ev, "reportingController", EVENTS_REPORTING_CONTROLLER);
	if (!r)
		r = jsonutil_add_str(ev, "reportingInstance", instance);
	if (!r)
		r = jsonutil_add_str(ev, "action", action);
	if (!r)
		r = jsonutil_add_str(ev, "reason", reason);
	if (!r)
		r = jsonutil_add_str(ev, "type", type);
	if (r)
		goto fail;
	if (note) {
		n = json_object_new_string_len(note, (int)utf8_cut(note, EVENTS_MAX_NOTE));
		if (!n || json_object_object_add(ev, "note", n) < 0)
			goto fail;
		n = NULL;
	}
	ref = regarding_ref(reg);
	if (!ref || json_object_object_add(ev, "regarding", ref) < 0)
		goto fail;
	buf_free(&name);
	return ev;
fail:
	json_object_put(n);
	json_object_put(ref);
	json_object_put(meta);
	json_object_put(ev);
	buf_free(&name);
	return NULL;
}

int events_emit(struct reconcile_ctx *c, const struct events_regarding *reg, const char *type,
                const char *reason, const char *action, const char *note)
{
	struct buf path = BUF_INIT(1024);
	struct kube_status st = {0};
	const char *instance =
	    c->cfg && c->cfg->identity ? c->cfg->identity : "thurkube-controller";
	struct timespec now;
	json_object *ev;
	int r;

	if (!reconcile_may_write(c))
		return -ECANCELED;
	clock_gettime(CLOCK_REALTIME, &now);
	ev = events_build(reg, type, reason, action, note, instance, &now);
	if (!ev)
		return -ENOMEM;
	r = kube_path(&path, "events.k8s.io", "v1",
	              reg->meta->namespace ? reg->meta->namespace : "default", "events", NULL,
	              NULL);
	if (!r)
		r = kube_create(c->kube, path.data, ev, NULL, &st);
	json_object_put(ev);
	buf_free(&path);
	return r;
}
