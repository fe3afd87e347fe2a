/*
 * cli.h - `thurkube-webhook validate`: the admission checks, offline.
 *
 *   thurkube-webhook validate [-f FILE|DIR|-]... [--output text|json]
 *                             [--unknown-fields error|warn|ignore]
 *                             [--default-runtime-class NAME] [--require-runtime-class]
 *                             [--default-egress Unrestricted|Restricted]
 *                             [--forbid-tolerations KEY,...]
 *
 * Reads multi-document YAML (or JSON) files, directories (every *.yaml,
 * *.yml and *.json below them, recursively, in sorted order) or standard
 * input, and runs on every thurkube.thurbeen.eu document the defaulting
 * the mutating webhook applies, then the validation of the validating
 * webhook, on the defaulted object. Documents of other API groups and
 * empty documents are skipped (and reported as such).
 *
 * A field the schema does not know denies its object by default, in the
 * words of the API server's strict field validation (what kubectl apply
 * asks for by default): the cluster would refuse the file before the
 * webhook sees it. --unknown-fields=warn prints a warning instead (the
 * object stays valid), ignore says nothing. The webhook itself never sees
 * such fields (the API server refuses or prunes them), so only this
 * command has the choice.
 *
 * The policy flags are the webhook's (schema_config_policy), with its
 * defaults, so that a file gets the verdict of a webhook run with the same
 * flags: in particular the control-plane taints are forbidden unless
 * --forbid-tolerations says otherwise.
 */
#ifndef THURKUBE_WEBHOOK_CLI_H
#define THURKUBE_WEBHOOK_CLI_H

#include "compat.h"

/*
 * Run the subcommand. argv[0] is the subcommand name ("validate"); the
 * options follow. Results go to stdout, usage and input errors to stderr.
 * Returns the process exit status: 0 when every document is valid, 1 when
 * at least one is denied, 2 on bad input (unknown option, unreadable file,
 * broken YAML, reported as file:line:column) or out of memory.
 */
int cli_validate_main(int argc, char **argv);

#endif
