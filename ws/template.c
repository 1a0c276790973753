/*
 * template.c - interview question templates: checked files in a directory
 * (see template.h).
 */
#include "template.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonstrict.h"
#include "utf8.h"

/* object, tests, a test: anything deeper is wrong anyway, and the
   duplicate-key scan recurses no deeper than json-c allowed */
#define TPL_DEPTH 8

/* keys of one object the duplicate scan compares (more means a key was
   there twice: the top object allows 5, a test 3) */
#define SCAN_KEYS    8
#define SCAN_KEY_LEN 32

#define ERRLEN 320

bool tpl_name_valid(const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];
		if (i == TPL_MAX_NAME ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

/* Where the messages about one template go. */
struct errbuf {
	const char *name; /* the template's */
	char *buf;
	size_t len;
};

/* e->buf = "templates/<name>.json: <fmt...>"; returns code */
__attribute__((format(printf, 3, 4))) static int
fail(const struct errbuf *e, int code, const char *fmt, ...)
{
	char what[ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e->len)
		snprintf(e->buf, e->len, "templates/%s.json: %s", e->name,
		         what);
	return code;
}

/*
 * s[0..len) for a message: at most 40 bytes of whole UTF-8 sequences,
 * control characters as '?', "..." when cut.  s is valid UTF-8 (json-c
 * checked it), but a sequence that is not is shown as '?' too.
 */
static const char *shown(char out[64], const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t k = utf8_seq_len(p + i, len - i);
		if (o + (k ? k : 1) > 40) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (!k || p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			out[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = 0;
	return out;
}

/* The first control character (Unicode's Cc: U+0000..U+001F, U+007F,
   U+0080..U+009F) in valid UTF-8 s[0..len), or -1. */
static long control_char(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return p[i];
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] < 0xa0)
			return p[i + 1]; /* U+0080..U+009F */
	}
	return -1;
}

static bool language_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '#' || c == '.' || c == '_' || c == '-';
}

/* A string field: *s and *len, or an error when it is not a string or
   holds a NUL byte. */
static int string_field(json_object *v, const char *key, const char **s,
                        size_t *len, const struct errbuf *e)
{
	if (json_object_get_type(v) != json_type_string)
		return fail(e, -EBADMSG, "\"%s\" must be a string", key);
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(*s, 0, *len))
		return fail(e, -EBADMSG,
		            "\"%s\" holds a NUL character (\\u0000)", key);
	/* json-c lets UTF-16 surrogates written as UTF-8 through */
	if (!utf8_valid(*s, *len))
		return fail(e, -EBADMSG, "\"%s\" is not valid UTF-8", key);
	return 0;
}

/* s[0..len) with "\r\n" and lone "\r" made "\n": a new string, NULL on
   ENOMEM; *outlen its length. */
static char *normalise_breaks(const char *s, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\r') {
			out[o++] = s[i];
			continue;
		}
		out[o++] = '\n';
		if (i + 1 < len && s[i + 1] == '\n')
			i++;
	}
	out[o] = 0;
	*outlen = o;
	return out;
}

/* "code" or "notes": a document of the pad, its line breaks normalised,
   at most max bytes after that.  *out is NULL on failure. */
static int document_field(json_object *root, const char *key, size_t max,
                          char **out, const struct errbuf *e)
{
	json_object *v;
	const char *s = "";
	size_t len = 0, n;
	int r;

	*out = NULL;
	if (json_object_object_get_ex(root, key, &v)) {
		r = string_field(v, key, &s, &len, e);
		if (r < 0)
			return r;
	}
	*out = normalise_breaks(s, len, &n);
	if (!*out)
		return fail(e, -ENOMEM, "out of memory");
	if (n > max) {
		free(*out);
		*out = NULL;
		return fail(e, -EBADMSG,
		            "\"%s\" is %zu bytes, at most %zu (%zu KiB)", key,
		            n, max, max / 1024);
	}
	return 0;
}

static int check_title(json_object *root, const struct errbuf *e)
{
	json_object *v;
	const char *s;
	size_t len;
	long c;
	int r;

	if (!json_object_object_get_ex(root, "title", &v))
		return fail(e, -EBADMSG, "\"title\" is required");
	r = string_field(v, "title", &s, &len, e);
	if (r < 0)
		return r;
	if (len == 0)
		return fail(e, -EBADMSG, "\"title\" is empty");
	if (len > TPL_MAX_TITLE)
		return fail(e, -EBADMSG, "\"title\" is %zu bytes, at most %d",
		            len, TPL_MAX_TITLE);
	c = control_char(s, len);
	if (c >= 0)
		return fail(e, -EBADMSG,
		            "\"title\" holds a control character (U+%04lX)", c);
	return 0;
}

static int check_language(json_object *root, const struct errbuf *e)
{
	json_object *v;
	const char *s;
	size_t len;
	char buf[64];
	int r;

	if (!json_object_object_get_ex(root, "language", &v))
		return fail(e, -EBADMSG, "\"language\" is required");
	r = string_field(v, "language", &s, &len, e);
	if (r < 0)
		return r;
	if (len == 0 || len > TPL_MAX_LANGUAGE)
		return fail(
		        e, -EBADMSG,
		        "\"language\" is %zu bytes, a language id is 1 to %d",
		        len, TPL_MAX_LANGUAGE);
	for (size_t i = 0; i < len; i++)
		if (!language_char(s[i]))
			return fail(
			        e, -EBADMSG,
			        "\"language\" \"%s\" is not a language id: 1 to %d of a-z 0-9 + # . _ -",
			        shown(buf, s, len), TPL_MAX_LANGUAGE);
	return 0;
}

/* The pad's tests as a `tests` message has them (ws/proto.c). */
static int check_tests(json_object *root, const struct errbuf *e)
{
	static const char *const fields[] = {"name", "stdin",
	                                     "expected_stdout"};
	static const size_t max[] = {TPL_MAX_TEST_NAME, TPL_MAX_TEST_FIELD,
	                             TPL_MAX_TEST_FIELD};
	json_object *t;
	size_t n, total = 0;
	char buf[64];

	if (!json_object_object_get_ex(root, "tests", &t))
		return 0;
	if (json_object_get_type(t) != json_type_array)
		return fail(e, -EBADMSG, "\"tests\" must be an array");
	n = json_object_array_length(t);
	if (n > TPL_MAX_TESTS)
		return fail(e, -EBADMSG, "\"tests\" has %zu tests, at most %d",
		            n, TPL_MAX_TESTS);
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(t, i);

		if (json_object_get_type(x) != json_type_object)
			return fail(e, -EBADMSG, "tests[%zu] must be an object",
			            i);
		json_object_object_foreach(x, key, val)
		{
			size_t f, len;
			const char *s;

			for (f = 0; f < 3; f++)
				if (strcmp(key, fields[f]) == 0)
					break;
			if (f == 3)
				return fail(e, -EBADMSG,
				            "tests[%zu]: unknown key \"%s\"", i,
				            shown(buf, key, strlen(key)));
			if (json_object_get_type(val) != json_type_string)
				return fail(e, -EBADMSG,
				            "tests[%zu].%s must be a string", i,
				            key);
			s = json_object_get_string(val);
			len = (size_t)json_object_get_string_len(val);
			if (memchr(s, 0, len))
				return fail(
				        e, -EBADMSG,
				        "tests[%zu].%s holds a NUL character (\\u0000)",
				        i, key);
			if (!utf8_valid(s, len))
				return fail(e, -EBADMSG,
				            "tests[%zu].%s is not valid UTF-8",
				            i, key);
			if (len > max[f])
				return fail(
				        e, -EBADMSG,
				        "tests[%zu].%s is %zu bytes, at most %zu",
				        i, key, len, max[f]);
			total += len;
		}
		for (size_t f = 1; f < 3; f++)
			if (!json_object_object_get_ex(x, fields[f], NULL))
				return fail(e, -EBADMSG,
				            "tests[%zu] needs \"%s\"", i,
				            fields[f]);
	}
	if (total > TPL_MAX_TESTS_BYTES)
		return fail(e, -EBADMSG,
		            "the tests hold %zu bytes, at most %d (%d KiB)",
		            total, TPL_MAX_TESTS_BYTES,
		            TPL_MAX_TESTS_BYTES / 1024);
	return 0;
}

/* ---------------------------------------------------- duplicate keys */

/*
 * json-c keeps the last of a key given twice, so the text is scanned for
 * them.  The scan runs on text json-c parsed (strict JSON, UTF-8, at most
 * TPL_DEPTH deep) whose keys were all found known: it need not check
 * syntax, and an object holds few distinct keys.
 */
struct scan {
	const char *s;
	size_t n, i;
};

static void scan_space(struct scan *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	                       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static unsigned scan_hex4(struct scan *p)
{
	unsigned v = 0;

	for (int k = 0; k < 4 && p->i < p->n; k++, p->i++) {
		char c = p->s[p->i];
		v = v << 4 |
		    (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->i (its opening quote), decoded into key[0..SCAN_KEY_LEN)
   when key is not NULL; *len its decoded length (more than SCAN_KEY_LEN
   when it did not fit, its start kept). */
static void scan_string(struct scan *p, char *key, size_t *len)
{
	size_t o = 0;

	p->i++; /* " */
	while (p->i < p->n && p->s[p->i] != '"') {
		char c = p->s[p->i++], enc[4];
		size_t k = 1;

		if (c == '\\' && p->i < p->n) {
			c = p->s[p->i++];
			switch (c) {
			case 'b':
				enc[0] = '\b';
				break;
			case 'f':
				enc[0] = '\f';
				break;
			case 'n':
				enc[0] = '\n';
				break;
			case 'r':
				enc[0] = '\r';
				break;
			case 't':
				enc[0] = '\t';
				break;
			case 'u': {
				unsigned cp = scan_hex4(p);
				/* a high surrogate: json-c took the pair
				   (jsonstrict refused lone ones) */
				if (cp >= 0xd800 && cp < 0xdc00 &&
				    p->i + 1 < p->n && p->s[p->i] == '\\' &&
				    p->s[p->i + 1] == 'u') {
					unsigned lo;
					p->i += 2;
					lo = scan_hex4(p);
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				}
				k = put_utf8(enc, cp);
				break;
			}
			default: /* " \ / */
				enc[0] = c;
			}
		} else {
			enc[0] = c;
		}
		if (key && o + k <= SCAN_KEY_LEN)
			memcpy(key + o, enc, k);
		o += k;
	}
	p->i++; /* " */
	if (len)
		*len = o;
}

static int scan_value(struct scan *p, int depth, const char *where,
                      const struct errbuf *e);

static int scan_object(struct scan *p, int depth, const char *where,
                       const struct errbuf *e)
{
	char keys[SCAN_KEYS][SCAN_KEY_LEN];
	size_t lens[SCAN_KEYS], nkeys = 0;

	p->i++; /* { */
	for (;;) {
		char key[SCAN_KEY_LEN], buf[64], sub[96];
		size_t len;
		int r;

		scan_space(p);
		if (p->i >= p->n || p->s[p->i] == '}')
			break;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		scan_string(p, key, &len);
		/* json-c cuts a key at a \u0000, so "title\u0000x" would
		   pass for "title" */
		if (memchr(key, 0, len < SCAN_KEY_LEN ? len : SCAN_KEY_LEN))
			return fail(
			        e, -EBADMSG, "%s%sunknown key \"%s\"", where,
			        *where ? ": " : "",
			        shown(buf, key,
			              len < SCAN_KEY_LEN ? len : SCAN_KEY_LEN));
		for (size_t k = 0; k < nkeys; k++)
			if (lens[k] == len && len <= SCAN_KEY_LEN &&
			    memcmp(keys[k], key, len) == 0)
				return fail(e, -EBADMSG,
				            "%s%sduplicate key \"%s\"", where,
				            *where ? ": " : "",
				            shown(buf, key, len));
		if (nkeys < SCAN_KEYS && len <= SCAN_KEY_LEN) {
			memcpy(keys[nkeys], key, len);
			lens[nkeys++] = len;
		}
		scan_space(p);
		p->i++; /* : */
		scan_space(p);
		/* where the value is, for a message: tests[2] */
		snprintf(sub, sizeof(sub), "%s%s%.*s", where, *where ? "." : "",
		         (int)(len <= SCAN_KEY_LEN ? len : SCAN_KEY_LEN), key);
		r = scan_value(p, depth + 1, sub, e);
		if (r < 0)
			return r;
	}
	p->i++; /* } */
	return 0;
}

static int scan_value(struct scan *p, int depth, const char *where,
                      const struct errbuf *e)
{
	if (depth > TPL_DEPTH) /* json-c allowed no deeper */
		return fail(e, -EBADMSG, "%s: nested too deep", where);
	if (p->i >= p->n)
		return 0;
	switch (p->s[p->i]) {
	case '{':
		return scan_object(p, depth, where, e);
	case '[':
		p->i++;
		for (size_t idx = 0;; idx++) {
			char sub[128];
			int r;

			scan_space(p);
			if (p->i >= p->n || p->s[p->i] == ']')
				break;
			if (p->s[p->i] == ',') {
				p->i++;
				scan_space(p);
			}
			snprintf(sub, sizeof(sub), "%s[%zu]", where, idx);
			r = scan_value(p, depth + 1, sub, e);
			if (r < 0)
				return r;
		}
		p->i++; /* ] */
		return 0;
	case '"':
		scan_string(p, NULL, NULL);
		return 0;
	default: /* a number, true, false, null */
		while (p->i < p->n && !strchr(",]} \t\r\n", p->s[p->i]))
			p->i++;
		return 0;
	}
}

/* ---------------------------------------------------------- parsing */

static int parse(const char *json, size_t len, struct tpl *out,
                 const struct errbuf *e)
{
	static const char *const keys[] = {"title", "language", "code", "tests",
	                                   "notes"};
	json_object *root = NULL, *tests;
	char msg[ERRLEN], buf[64];
	struct scan sc;
	int r;

	if (len > TPL_MAX_FILE)
		return fail(e, -EBADMSG, "%zu bytes, at most %d (1 MiB)", len,
		            TPL_MAX_FILE);
	if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
		json += 3; /* a byte order mark some editors write */
		len -= 3;
	}
	switch (json_parse_object(json, len, TPL_DEPTH, "the file", &root, msg,
	                          sizeof(msg))) {
	case JSON_PARSE_OK:
		break;
	case JSON_PARSE_NOMEM:
		return fail(e, -ENOMEM, "out of memory");
	default:
		json_object_put(root);
		return fail(e, -EBADMSG, "%s", msg);
	}
	json_object_object_foreach(root, key, val)
	{
		size_t k;

		(void)val;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			r = fail(e, -EBADMSG, "unknown key \"%s\"",
			         shown(buf, key, strlen(key)));
			goto out_put;
		}
	}
	r = check_title(root, e);
	if (!r)
		r = check_language(root, e);
	if (!r)
		r = document_field(root, "code", TPL_MAX_CODE, &out->code, e);
	if (!r)
		r = check_tests(root, e);
	if (!r)
		r = document_field(root, "notes", TPL_MAX_NOTES, &out->notes,
		                   e);
	if (r < 0)
		goto out_put;
	sc = (struct scan){.s = json, .n = len, .i = 0};
	scan_space(&sc);
	r = scan_value(&sc, 1, "", e);
	if (r < 0)
		goto out_put;

	out->title = strdup(
	        json_object_get_string(json_object_object_get(root, "title")));
	out->language = strdup(json_object_get_string(
	        json_object_object_get(root, "language")));
	if (json_object_object_get_ex(root, "tests", &tests))
		out->tests = json_object_get(tests);
	else
		out->tests = json_object_new_array();
	if (!out->title || !out->language || !out->tests) {
		r = fail(e, -ENOMEM, "out of memory");
		goto out_put;
	}
	r = 0;
out_put:
	json_object_put(root);
	return r;
}

static void clear(struct tpl *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	if (name)
		memcpy(t->name, name, strlen(name) + 1);
}

static int bad_name(char *err, size_t errlen)
{
	if (errlen)
		snprintf(err, errlen,
		         "bad template name: 1 to %d of A-Z a-z 0-9 _ -",
		         TPL_MAX_NAME);
	return -EINVAL;
}

/* parse() into a cleared *out named name, cleared again on failure */
static int parse_named(const char *name, const char *json, size_t len,
                       struct tpl *out, const struct errbuf *e)
{
	int r;

	clear(out, name);
	r = parse(json, len, out, e);
	if (r < 0)
		tpl_fini(out);
	return r;
}

int tpl_parse(const char *name, const char *json, size_t len, struct tpl *out,
              char *err, size_t errlen)
{
	struct errbuf e = {.name = name, .buf = err, .len = errlen};

	clear(out, NULL);
	if (!tpl_name_valid(name))
		return bad_name(err, errlen);
	return parse_named(name, json, len, out, &e);
}

void tpl_fini(struct tpl *t)
{
	if (!t)
		return;
	free(t->title);
	free(t->language);
	free(t->code);
	free(t->notes);
	json_object_put(t->tests);
	clear(t, NULL);
}

/* ---------------------------------------------------------- files */

/* Read <name>.json of the directory dfd into *text (NUL-terminated, the
   caller frees). */
static int read_file(int dfd, const char *name, char **text, size_t *len,
                     const struct errbuf *e)
{
	char file[TPL_MAX_NAME + 8];
	struct stat st;
	size_t cap, got = 0;
	char *buf;
	int fd, r;

	*text = NULL;
	snprintf(file, sizeof(file), "%s.json", name);
	/* O_NONBLOCK: a FIFO named like a template must not hang the
	   daemon; it is refused below as not a regular file */
	fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return fail(e, r, "no such template");
		return fail(e, r, "cannot open: %s", strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = fail(e, -errno, "cannot stat: %s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = fail(e, -ENOENT, "not a regular file, so not a template");
		goto out_close;
	}
	if (st.st_size > TPL_MAX_FILE) {
		r = fail(e, -EBADMSG, "%lld bytes, at most %d (1 MiB)",
		         (long long)st.st_size, TPL_MAX_FILE);
		goto out_close;
	}
	/* one byte more than allowed, to see a file that grew meanwhile */
	cap = (size_t)st.st_size < TPL_MAX_FILE ? (size_t)st.st_size + 1
	                                        : TPL_MAX_FILE + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		r = fail(e, -ENOMEM, "out of memory");
		goto out_close;
	}
	for (;;) {
		ssize_t k;
		if (got == cap) {
			char *more;
			if (cap > TPL_MAX_FILE)
				break;
			cap = TPL_MAX_FILE + 1;
			more = realloc(buf, cap + 1);
			if (!more) {
				free(buf);
				r = fail(e, -ENOMEM, "out of memory");
				goto out_close;
			}
			buf = more;
		}
		k = read(fd, buf + got, cap - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = fail(e, -errno, "cannot read: %s", strerror(errno));
			free(buf);
			goto out_close;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got > TPL_MAX_FILE) {
		free(buf);
		r = fail(e, -EBADMSG,
		         "more than %d bytes (1 MiB), at most that",
		         TPL_MAX_FILE);
		goto out_close;
	}
	buf[got] = 0;
	*text = buf;
	*len = got;
	r = 0;
out_close:
	close(fd);
	return r;
}

/* <name>.json of the directory dfd into *out (name is valid). */
static int load_at(int dfd, const char *name, struct tpl *out, char *err,
                   size_t errlen)
{
	struct errbuf e = {.name = name, .buf = err, .len = errlen};
	char *text;
	size_t len = 0;
	int r;

	clear(out, NULL);
	r = read_file(dfd, name, &text, &len, &e);
	if (r < 0)
		return r;
	r = parse_named(name, text, len, out, &e);
	free(text);
	return r;
}

int tpl_load(const char *dir, const char *name, struct tpl *out, char *err,
             size_t errlen)
{
	struct errbuf e = {.name = name, .buf = err, .len = errlen};
	int dfd, r;

	clear(out, NULL);
	if (!tpl_name_valid(name))
		return bad_name(err, errlen);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return fail(&e, r, "no such template (no directory %s)",
			            dir);
		return fail(&e, r, "cannot open the directory %s: %s", dir,
		            strerror(-r));
	}
	r = load_at(dfd, name, out, err, errlen);
	close(dfd);
	return r;
}

/* ---------------------------------------------------------- listing */

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The stem of "<name>.json" into stem, when it is a template's name. */
static bool template_file(const char *file, char stem[TPL_MAX_NAME + 1])
{
	size_t n = strlen(file);

	if (n <= 5 || n - 5 > TPL_MAX_NAME || strcmp(file + n - 5, ".json"))
		return false;
	memcpy(stem, file, n - 5);
	stem[n - 5] = 0;
	return tpl_name_valid(stem);
}

/* Add val (new, maybe NULL) to o as key: it belongs to o then. */
static int add(json_object *o, const char *key, json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(o, key, val)) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static json_object *summary(const struct tpl *t)
{
	json_object *o = json_object_new_object();
	size_t n = json_object_array_length(t->tests);

	if (!o || add(o, "name", json_object_new_string(t->name)) ||
	    add(o, "title", json_object_new_string(t->title)) ||
	    add(o, "language", json_object_new_string(t->language)) ||
	    add(o, "tests", json_object_new_int((int)n))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int tpl_list(const char *dir, json_object **out, tpl_skip_fn *skip, void *arg,
             char *err, size_t errlen)
{
	char(*names)[TPL_MAX_NAME + 1] = NULL, msg[ERRLEN];
	size_t n = 0, cap = 0, listed = 0;
	json_object *list = NULL;
	struct dirent *de;
	DIR *d;
	int r = 0;

	*out = NULL;
	d = opendir(dir);
	if (!d) {
		r = -errno;
		if (r == -ENOENT) {
			/* no directory, no templates */
			*out = json_object_new_array();
			if (*out)
				return 0;
			r = -ENOMEM;
		}
		if (errlen)
			snprintf(err, errlen, "templates: cannot open %s: %s",
			         dir, strerror(-r));
		return r;
	}
	for (;;) {
		char stem[TPL_MAX_NAME + 1];

		errno = 0;
		de = readdir(d);
		if (!de) {
			r = -errno;
			break;
		}
		if (!template_file(de->d_name, stem))
			continue;
		if (n == cap) {
			size_t more = cap ? 2 * cap : 64;
			void *p = reallocarray(names, more, sizeof(*names));
			if (!p) {
				r = -ENOMEM;
				break;
			}
			names = p;
			cap = more;
		}
		memcpy(names[n++], stem, sizeof(stem));
	}
	if (r < 0) {
		if (errlen)
			snprintf(err, errlen, "templates: cannot read %s: %s",
			         dir, strerror(-r));
		goto out_free;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	list = json_object_new_array();
	if (!list)
		goto out_nomem;
	for (size_t i = 0; i < n; i++) {
		struct tpl t;
		json_object *o;

		if (listed == TPL_MAX_LIST) {
			if (skip) {
				snprintf(
				        msg, sizeof(msg),
				        "templates/%s.json: not listed, a list holds at most %d templates",
				        names[i], TPL_MAX_LIST);
				skip(arg, names[i], -E2BIG, msg);
			}
			continue;
		}
		r = load_at(dirfd(d), names[i], &t, msg, sizeof(msg));
		if (r == -ENOMEM)
			goto out_nomem;
		if (r == -ENOENT)
			continue; /* not a regular file, or gone meanwhile */
		if (r < 0) {
			if (skip)
				skip(arg, names[i], r, msg);
			continue;
		}
		o = summary(&t);
		tpl_fini(&t);
		if (!o)
			goto out_nomem;
		if (json_object_array_add(list, o)) { /* o belongs to list */
			json_object_put(o);
			goto out_nomem;
		}
		listed++;
	}
	*out = list;
	list = NULL;
	r = 0;
	goto out_free;
out_nomem:
	r = -ENOMEM;
	if (errlen)
		snprintf(err, errlen, "templates: out of memory");
out_free:
	json_object_put(list);
	free(names);
	closedir(d);
	return r;
}
