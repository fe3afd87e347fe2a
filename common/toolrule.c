/*
 * toolrule.c - Claude Code permission rules (toolrule.h): one pass for
 * control characters, then the tool name, then the parenthesised
 * specifier. Linear in the length of the rule.
 */
#include "compat.h"

#include "toolrule.h"

#include <stdarg.h>
#include <stdbool.h>

#define TOOLRULE_MCP "mcp__"

static int toolrule_say(struct buf *why, const char *fmt, ...) TK_PRINTF(2, 3);

/* Record a reason in why (when given); always 0, the verdict. */
static int toolrule_say(struct buf *why, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!why)
		return 0;
	buf_reset(why);
	va_start(ap, fmt);
	r = buf_vprintf(why, fmt, ap);
	va_end(ap);
	/* An unrecordable reason leaves the verdict intact. */
	if (r < 0)
		buf_reset(why);
	return 0;
}

/* The code point of the control character that starts at s[i] (C0, DEL,
 * or C1, which UTF-8 writes as C2 80..C2 9F), or -1. s[i] is not NUL, so
 * s[i + 1] is still in the string. */
static long toolrule_ctl(const unsigned char *s, size_t i)
{
	if (s[i] < 0x20 || s[i] == 0x7f)
		return s[i];
	if (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
		return s[i + 1];
	return -1;
}

static bool toolrule_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

/* The tool name, s[0..n) (n > 0; s[n] is '(' or the end). */
static int toolrule_name(const char *s, size_t n, struct buf *why)
{
	size_t i, plen = strlen(TOOLRULE_MCP);

	for (i = 0; i < n; i++) {
		if (s[i] != '*' && !toolrule_name_char(s[i]))
			return toolrule_say(
			    why,
			    "a tool name must consist of letters, digits, '_', '-' "
			    "and '*' (offset %zu); write Tool or Tool(specifier), e.g. "
			    "Bash or Bash(git diff:*)",
			    i);
	}
	if (n == plen && strncmp(s, TOOLRULE_MCP, plen) == 0)
		return toolrule_say(why, "an MCP rule must name its server: mcp__<server> or "
		                         "mcp__<server>__<tool>");
	return 1;
}

/* The specifier: s[open] is '('; it must be closed by the last byte. */
static int toolrule_specifier(const char *s, size_t open, struct buf *why)
{
	size_t i, depth = 0;

	for (i = open; s[i]; i++) {
		if (s[i] == '\\' && (s[i + 1] == '(' || s[i + 1] == ')' || s[i + 1] == '\\'))
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			break;
	}
	if (!s[i])
		return toolrule_say(
		    why, "unbalanced parentheses: the '(' at offset %zu is never closed", open);
	if (s[i + 1] == ')')
		return toolrule_say(
		    why, "unbalanced parentheses: the ')' at offset %zu closes nothing", i + 1);
	if (s[i + 1])
		return toolrule_say(why,
		                    "must end at the ')' that closes the specifier (offset %zu); "
		                    "text follows it",
		                    i);
	return 1;
}

int toolrule_valid(const char *s, struct buf *why)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = strcspn(s, "()");
	long cp;

	if (!*s)
		return toolrule_say(why, "must not be empty");
	for (i = 0; s[i]; i++) {
		cp = toolrule_ctl(u, i);
		if (cp >= 0)
			return toolrule_say(why,
			                    "must not contain control characters (U+%04lX at "
			                    "offset %zu)",
			                    (unsigned long)cp, i);
	}
	if (s[n] == ')')
		return toolrule_say(
		    why, "unbalanced parentheses: the ')' at offset %zu closes nothing", n);
	if (n == 0)
		return toolrule_say(why, "must start with a tool name before '('");
	if (!toolrule_name(s, n, why))
		return 0;
	return s[n] ? toolrule_specifier(s, n, why) : 1;
}
