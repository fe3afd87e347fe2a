/*
 * runq.h - the run queue of an AgentAuth with maxConcurrentRuns (issue
 * 16): which of its runs may start now. Pure.
 *
 * The members of a queue are the run Jobs of the AgentJobs using the
 * AgentAuth, labelled NAMES_LABEL_AGENTAUTH with its name; they are
 * created suspended. A member is running when it is not finished, not
 * being deleted and not suspended; waiting when suspended and not
 * finished. Waiting members start in creation order (metadata.
 * creationTimestamp, then name): as many as the limit leaves free, or all
 * of them when there is no limit any more. Nothing here knows time: the
 * order is the cluster's, so a new leader reaches the same decisions.
 */
#ifndef THURKUBE_RUNQ_H
#define THURKUBE_RUNQ_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util.h"

struct runq {
	size_t running;
	struct strlist waiting; /* Job names in release order */
	size_t release;         /* the first `release` of waiting start now */
};

/*
 * Sort the members jobs[0..n) (borrowed) into q for limit (0: no limit).
 * 0 or -ENOMEM. Release with runq_free.
 */
int runq_make(json_object *const *jobs, size_t n, int64_t limit, struct runq *q) TK_MUST_CHECK;
void runq_free(struct runq *q);

/* 1-based position of the Job name among q's waiting, 0 when absent. */
size_t runq_position(const struct runq *q, const char *name);

/* A member waiting: suspended and not finished, not being deleted. */
bool runq_waiting(json_object *job);

#endif
