/*
 * toolrule.h - the grammar of one AgentRole.spec.allowedTools entry: a
 * Claude Code permission rule, as the agent image hands the list to
 * `claude --allowedTools`.
 *
 *   rule      = tool-name [ "(" specifier ")" ]
 *   tool-name = 1*( ALPHA / DIGIT / "_" / "-" / "*" ): a tool (Bash), an
 *               MCP server or tool (mcp__github, mcp__github__get_issue),
 *               or a wildcard over them (mcp__gmail__*, mcp__*, *)
 *   specifier = any text without control characters whose parentheses
 *               balance; "\(", "\)" and "\\" are literal and not counted
 *               (Claude Code escapes the parentheses inside a rule it
 *               saves that way)
 *
 * The specifier's meaning (Bash prefixes and wildcards, Read/Edit path
 * globs, WebFetch domain:...) belongs to the agent; only what no agent
 * could parse is refused: an empty rule, a control character (newline,
 * tab, DEL, C1), a tool name of other characters or none before "(",
 * unbalanced parentheses, text after the closing ")". "Tool()" (an empty
 * pattern) and wildcards outside MCP names (mcp__*, *) are accepted:
 * thurkube admitted them, and an agent that finds no use in them ignores
 * them. UTF-8 is accepted in the specifier. Tool names are ASCII because
 * the model API names tools by [A-Za-z0-9_-] alone.
 */
#ifndef THURKUBE_TOOLRULE_H
#define THURKUBE_TOOLRULE_H

#include "compat.h"

#include "util.h"

/*
 * Whether the NUL-terminated s is one valid rule: 1 when valid; 0 when
 * not, and then, when why is non-NULL, the reason replaces why's contents
 * (lowercase, no full stop, with the byte offset of the fault where there
 * is one). why is left alone when valid; a reason that does not fit why's
 * limit is dropped and the verdict still stands. No length limit here
 * (TK_MAX_TOOL_NAME is the schema's). Pure.
 */
int toolrule_valid(const char *s, struct buf *why);

#endif
