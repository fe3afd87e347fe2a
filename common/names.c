/*
 * names.c - Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation)
 * with the API server's messages, so our errors read like its errors.
 */
#include "compat.h"

#include "names.h"

#include "limits.h"

#define NAMES_LABEL_MSG                                                                            \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "   \
	"and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "   \
	"regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define NAMES_SUBDOMAIN_MSG                                                                        \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
	"or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
	"regex used for validation is "                                                            \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define NAMES_ENV_MSG                                                                              \
	"a valid environment variable name must consist of alphabetic characters, digits, '_', "   \
	"'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "   \
	"or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
#define NAMES_CIDENT_MSG                                                                           \
	"a valid C identifier must start with alphabetic character or '_', followed by a string "  \
	"of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex "   \
	"used for validation is '[A-Za-z_][A-Za-z0-9_]*')"
#define NAMES_LABEL_VALUE_MSG                                                                      \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
	"or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
	"'my_value',  or '12345', regex used for validation is "                                   \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/* Collects the reasons of one check, joined by "; " in the order the API
 * server lists them. */
static void names_why(struct buf *why, int *first, const char *msg)
{
	int r = 0;
	int was_first = *first;

	*first = 0;
	if (!why)
		return;
	if (was_first)
		buf_reset(why);
	else
		r = buf_puts(why, "; ");
	/* An unrecordable reason leaves the verdict intact. */
	if (r == 0 && buf_puts(why, msg) < 0)
		return;
}

static void names_why_maxlen(struct buf *why, int *first, size_t max)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "must be no more than %zu characters", max);
	names_why(why, first, msg);
}

static int names_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int names_alnum(char c)
{
	return names_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int names_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? on (s, n). */
static int names_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !names_lower_alnum(s[0]) || !names_lower_alnum(s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!names_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Labels joined by single dots. */
static int names_subdomain_ok(const char *s)
{
	const char *p = s;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (!names_label_ok(p, n))
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

int names_dns1123_label(const char *s, struct buf *why)
{
	size_t n = strlen(s);
	int first = 1;

	if (n > TK_MAX_LABEL)
		names_why_maxlen(why, &first, TK_MAX_LABEL);
	if (!names_label_ok(s, n)) {
		/* A valid subdomain that is no label can only be holding dots. */
		if (names_subdomain_ok(s))
			names_why(why, &first, "must not contain dots");
		else
			names_why(why, &first, NAMES_LABEL_MSG);
	}
	return first;
}

int names_dns1123_subdomain(const char *s, struct buf *why)
{
	int first = 1;

	if (strlen(s) > TK_MAX_NAME)
		names_why_maxlen(why, &first, TK_MAX_NAME);
	if (!names_subdomain_ok(s))
		names_why(why, &first, NAMES_SUBDOMAIN_MSG);
	return first;
}

int names_env_var(const char *s, struct buf *why)
{
	size_t i;
	int first = 1, ok = s[0] != '\0' && !(s[0] >= '0' && s[0] <= '9');

	for (i = 0; ok && s[i]; i++)
		ok = names_alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_';
	if (!ok)
		names_why(why, &first, NAMES_ENV_MSG);
	/* The API server also refuses names that would change directory. */
	if (strcmp(s, ".") == 0)
		names_why(why, &first, "must not be '.'");
	else if (strcmp(s, "..") == 0)
		names_why(why, &first, "must not be '..'");
	else if (strncmp(s, "..", 2) == 0)
		names_why(why, &first, "must not start with '..'");
	return first;
}

int names_c_identifier(const char *s, struct buf *why)
{
	size_t i;
	int first = 1, ok = names_alpha(s[0]) || s[0] == '_';

	for (i = 0; ok && s[i]; i++)
		ok = names_alnum(s[i]) || s[i] == '_';
	if (!ok)
		names_why(why, &first, NAMES_CIDENT_MSG);
	return first;
}

int names_label_value(const char *s, struct buf *why)
{
	size_t n = strlen(s), i;
	int first = 1, ok = 1;

	if (n > TK_MAX_LABEL)
		names_why_maxlen(why, &first, TK_MAX_LABEL);
	if (n > 0) {
		ok = names_alnum(s[0]) && names_alnum(s[n - 1]);
		for (i = 0; ok && i < n; i++)
			ok = names_alnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.';
	}
	if (!ok)
		names_why(why, &first, NAMES_LABEL_VALUE_MSG);
	return first;
}

#define NAMES_QNAME_PART_MSG                                                                       \
	"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "  \
	"end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
	"used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define NAMES_QNAME_MSG                                                                            \
	"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "     \
	"start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "         \
	"'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "     \
	"with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"

int names_qualified_name(const char *s, struct buf *why)
{
	const char *slash = strchr(s, '/'), *name = slash ? slash + 1 : s;
	size_t n = strlen(name), i;
	int first = 1, ok;

	if (slash && strchr(name, '/')) {
		names_why(why, &first, NAMES_QNAME_MSG);
		return first;
	}
	if (slash) {
		size_t pn = (size_t)(slash - s);

		if (pn == 0) {
			names_why(why, &first, "prefix part must be non-empty");
		} else {
			char *prefix = xstrndup(s, pn);
			struct buf pw = BUF_INIT(1024), msg = BUF_INIT(2048);

			/* An unallocatable prefix is refused: the verdict must not pass it. */
			if (!prefix || !names_dns1123_subdomain(prefix, &pw))
				names_why(why, &first,
				          buf_printf(&msg, "prefix part %s",
				                     pw.data ? pw.data : NAMES_SUBDOMAIN_MSG) == 0
				              ? msg.data
				              : "prefix part " NAMES_SUBDOMAIN_MSG);
			buf_free(&msg);
			buf_free(&pw);
			free(prefix);
		}
	}
	if (n == 0) {
		names_why(why, &first, "name part must be non-empty");
		return first;
	}
	if (n > TK_MAX_LABEL)
		names_why(why, &first, "name part must be no more than 63 characters");
	ok = names_alnum(name[0]) && names_alnum(name[n - 1]);
	for (i = 0; ok && i < n; i++)
		ok = names_alnum(name[i]) || name[i] == '-' || name[i] == '_' || name[i] == '.';
	if (!ok)
		names_why(why, &first, NAMES_QNAME_PART_MSG);
	return first;
}

static char *names_hashed(const char *prefix, const char *ns, const char *name)
{
	struct buf in = BUF_INIT(2 * TK_MAX_NAME + 2);
	struct buf out = BUF_INIT(TK_MAX_NAME);
	char hex[65];
	char *res = NULL;

	if (!ns || !name || buf_printf(&in, "%s/%s", ns, name) < 0)
		goto out;
	sha256_hex(in.data, in.len, hex);
	if (buf_printf(&out, "%s%.*s", prefix, NAMES_HASH_LEN, hex) < 0)
		goto out;
	res = buf_steal(&out);
out:
	buf_free(&in);
	buf_free(&out);
	return res;
}

char *names_crb(const char *ns, const char *name)
{
	return names_hashed(NAMES_CRB_PREFIX, ns, name);
}

char *names_clusterrole(const char *ns, const char *name)
{
	return names_hashed(NAMES_CLUSTERROLE_PREFIX, ns, name);
}

long names_repo_token_index(const char *name)
{
	size_t plen = strlen(NAMES_ENV_REPO_TOKEN);
	const char *p;
	long i = 0;

	if (strncmp(name, NAMES_ENV_REPO_TOKEN, plen) != 0)
		return -1;
	p = name + plen;
	if (!*p || (*p == '0' && p[1]) || strlen(p) > 6)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		i = i * 10 + (*p - '0');
	}
	return i;
}
