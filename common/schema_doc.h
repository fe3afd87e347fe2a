/*
 * schema_doc.h - the API reference (docs/api.md) generated from the schema
 * tables, as the CRDs are (schema.h).
 *
 * Pure: builds text, never logs, never touches the disk or the network.
 */
#ifndef THURKUBE_SCHEMA_DOC_H
#define THURKUBE_SCHEMA_DOC_H

#include "compat.h"

#include "util.h"

/*
 * Append the Markdown reference of the eight kinds to out: per kind its
 * names, scope, printer columns, object-wide rules, and one table of every
 * spec and status field (path, type, required, default, constraints,
 * description). The output is byte-for-byte stable: tests/gen-manifests
 * writes it to docs/api.md and its --check fails when the file differs.
 * 0; -ENOMEM (out reached its limit); or -ENOENT when a check function of
 * the tables has no description here, so that a new rule cannot go
 * undocumented. On failure out is left as it was.
 */
int schema_doc_markdown(struct buf *out) TK_MUST_CHECK;

#endif
