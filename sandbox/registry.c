/*
 * registry.c - the language registry: languages are data.
 *
 * The registry file says how to build and run each language; which of them
 * a host offers follows from which toolchains are installed.  The parser is
 * strict (unknown keys, duplicates and bad limits are errors naming the
 * line) because a typo in an admin's file should fail at start, not turn
 * into a language that silently runs with the wrong limits.
 *
 * Beside it: registry_host.c (the programs and versions this host has),
 * libraries.c (what dpkg says of the `library` lines) and variants.c
 * ([BASE/VARIANT] sections and `option` lines).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_int.h"
#include "sandbox.h"
#include "utf8.h"

#define MAX_REGISTRY_BYTES (1u << 20)
#define MAX_WORDS          256
#define MAX_LANGS          1024

void sbx_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/*
 * Split on blanks; '...' keeps everything literally, "..." allows \" and
 * \\ escapes, a backslash outside quotes escapes the next character.
 */
char **sbx_split_command(const char *s, char *err, size_t errlen)
{
	char *words[MAX_WORDS];
	char **v = NULL;
	size_t n = 0, len = strlen(s);
	char *word = malloc(len + 1);

	if (!word)
		goto out_nomem;
	for (const char *p = s;;) {
		size_t w = 0;
		bool have = false;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t') {
			have = true;
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');
				if (!q) {
					if (err)
						snprintf(
						        err, errlen,
						        "unterminated ' in command");
					goto out_fail;
				}
				memcpy(word + w, p + 1, (size_t)(q - p - 1));
				w += (size_t)(q - p - 1);
				p = q + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					word[w++] = *p++;
				}
				if (*p != '"') {
					if (err)
						snprintf(
						        err, errlen,
						        "unterminated \" in command");
					goto out_fail;
				}
				p++;
			} else if (*p == '\\' && p[1]) {
				word[w++] = p[1];
				p += 2;
			} else {
				word[w++] = *p++;
			}
		}
		if (!have)
			continue;
		if (n == MAX_WORDS) {
			if (err)
				snprintf(err, errlen,
				         "command has more than %d words",
				         MAX_WORDS);
			goto out_fail;
		}
		word[w] = '\0';
		words[n] = strdup(word);
		if (!words[n])
			goto out_nomem;
		n++;
	}
	/* the array is exactly as long as the command: a registry holds a few
	   hundred of them, and every run's fork copies what they touch */
	v = malloc((n + 1) * sizeof(char *));
	if (!v)
		goto out_nomem;
	memcpy(v, words, n * sizeof(char *));
	v[n] = NULL;
	free(word);
	return v;
out_nomem:
	if (err)
		snprintf(err, errlen, "out of memory");
out_fail:
	free(word);
	while (n)
		free(words[--n]);
	return NULL;
}

static void lang_fini(struct sbx_lang *l)
{
	free(l->id);
	free(l->name);
	sbx_argv_free(l->aliases);
	sbx_argv_free(l->version_cmd);
	free(l->source);
	sbx_argv_free(l->compile_cmd);
	sbx_argv_free(l->run_cmd);
	free(l->mode);
	sbx_argv_free(l->env);
	sbx_argv_free(l->limits);
	sbx_argv_free(l->compile_limits);
	sbx_argv_free(l->requires);
	sbx_argv_free(l->binds);
	free(l->version);
	free(l->starter);
	for (size_t i = 0; i < l->nlibs; i++) {
		free(l->libs[i].name);
		free(l->libs[i].package);
		sbx_argv_free(l->libs[i].words);
		free(l->libs[i].version);
	}
	free(l->libs);
	reg_options_free(l->options, l->noptions);
	free(l->variant);
	memset(l, 0, sizeof(*l));
}

void sbx_registry_fini(struct sbx_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++)
		lang_fini(&reg->langs[i]);
	free(reg->langs);
	free(reg->binds); /* its strings are the languages' */
	reg->langs = NULL;
	reg->binds = NULL;
	reg->n = 0;
}

const char *const *sbx_registry_binds(struct sbx_registry *reg)
{
	size_t n = 0, k = 0;

	if (reg->binds)
		return (const char *const *)reg->binds;
	for (size_t i = 0; i < reg->n; i++)
		for (char **b = reg->langs[i].binds; b && *b; b++)
			n++;
	reg->binds = calloc(n + 1, sizeof(char *));
	if (!reg->binds)
		return NULL;
	for (size_t i = 0; i < reg->n; i++)
		for (char **b = reg->langs[i].binds; b && *b; b++) {
			bool seen = false;
			for (size_t j = 0; j < k && !seen; j++)
				seen = strcmp(reg->binds[j], *b) == 0;
			if (!seen)
				reg->binds[k++] = *b;
		}
	return (const char *const *)reg->binds;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '+' && *s != '#' && *s != '.')
			return false;
	return true;
}

/*
 * The names (ids and aliases) a parse has seen, case-insensitively: an
 * open-addressed set of pointers to the languages' own strings, so every
 * new name is checked in one probe rather than against every language.
 */
struct nameset {
	const char **slot;
	size_t cap, n;
};

static size_t name_hash(const char *s)
{
	size_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

static bool name_taken(const struct nameset *ns, const char *name)
{
	if (!ns->cap)
		return false;
	for (size_t i = name_hash(name) & (ns->cap - 1);;
	     i = (i + 1) & (ns->cap - 1)) {
		if (!ns->slot[i])
			return false;
		if (strcasecmp(ns->slot[i], name) == 0)
			return true;
	}
}

static int name_add(struct nameset *ns, const char *name)
{
	if (2 * (ns->n + 1) > ns->cap) {
		struct nameset big = {
		        calloc(ns->cap ? 2 * ns->cap : 128, sizeof(char *)),
		        ns->cap ? 2 * ns->cap : 128, 0};
		if (!big.slot)
			return -ENOMEM;
		for (size_t i = 0; i < ns->cap; i++)
			if (ns->slot[i])
				name_add(&big, ns->slot[i]);
		free(ns->slot);
		*ns = big;
	}
	size_t i = name_hash(name) & (ns->cap - 1);
	while (ns->slot[i])
		i = (i + 1) & (ns->cap - 1);
	ns->slot[i] = name;
	ns->n++;
	return 0;
}

static int check_limits(char **pairs, char *err, size_t errlen)
{
	struct sbx_limits l;

	sbx_limits_default(&l);
	for (char **p = pairs; p && *p; p++)
		if (sbx_limits_set_pair(&l, *p, err, errlen) < 0)
			return -EINVAL;
	return 0;
}

static int finish_lang(struct sbx_registry *reg, unsigned line, char *err,
                       size_t errlen)
{
	struct sbx_lang *l;
	char sub[200];

	if (reg->n == 0)
		return 0;
	l = &reg->langs[reg->n - 1];
	if (l->is_variant && reg_inherit(l, &reg->langs[l->base]) < 0)
		return -ENOMEM;
	if (!l->source || !l->run_cmd || !l->run_cmd[0]) {
		if (err)
			snprintf(
			        err, errlen,
			        "line %u: language [%s] needs 'source' and 'run'",
			        line, l->id);
		return -EINVAL;
	}
	if (strchr(l->source, '/') || strcmp(l->source, "..") == 0 ||
	    strcmp(l->source, ".") == 0) {
		if (err)
			snprintf(
			        err, errlen,
			        "line %u: [%s] source must be a plain file name",
			        line, l->id);
		return -EINVAL;
	}
	if (!l->name)
		l->name = strdup(l->id);
	if (!l->mode)
		l->mode = strdup("plain");
	if (!l->aliases)
		l->aliases = calloc(1, sizeof(char *));
	if (!l->env)
		l->env = calloc(1, sizeof(char *));
	if (!l->limits)
		l->limits = calloc(1, sizeof(char *));
	if (!l->compile_limits)
		l->compile_limits = calloc(1, sizeof(char *));
	if (!l->name || !l->mode || !l->aliases || !l->env || !l->limits ||
	    !l->compile_limits)
		return -ENOMEM;
	if (check_limits(l->limits, sub, sizeof(sub)) < 0 ||
	    check_limits(l->compile_limits, sub, sizeof(sub)) < 0) {
		if (err)
			snprintf(err, errlen, "[%s]: %s", l->id, sub);
		return -EINVAL;
	}
	for (char **e = l->env; *e; e++) {
		if (!strchr(*e, '=') || **e == '=') {
			if (err)
				snprintf(err, errlen,
				         "[%s]: env entry '%s' is not K=V",
				         l->id, *e);
			return -EINVAL;
		}
	}
	if (reg_check_placeholders(l, sub, sizeof(sub)) < 0) {
		if (err)
			snprintf(err, errlen, "line %u: %s", line, sub);
		return -EINVAL;
	}
	return 0;
}

static int set_words(char ***dst, const char *val, unsigned line,
                     const char *key, char *err, size_t errlen)
{
	char sub[128];

	if (*dst) {
		if (err)
			snprintf(err, errlen, "line %u: '%s' given twice", line,
			         key);
		return -EINVAL;
	}
	*dst = sbx_split_command(val, sub, sizeof(sub));
	if (!*dst) {
		if (err)
			snprintf(err, errlen, "line %u: %s: %s", line, key,
			         sub);
		return -EINVAL;
	}
	return 0;
}

static int set_str(char **dst, const char *val, unsigned line, const char *key,
                   char *err, size_t errlen)
{
	if (*dst) {
		if (err)
			snprintf(err, errlen, "line %u: '%s' given twice", line,
			         key);
		return -EINVAL;
	}
	if (!*val) {
		if (err)
			snprintf(err, errlen, "line %u: '%s' is empty", line,
			         key);
		return -EINVAL;
	}
	*dst = strdup(val);
	return *dst ? 0 : -ENOMEM;
}

/* One parse: the registry being filled and where the error goes. */
struct parse {
	struct sbx_registry *reg;
	struct nameset names; /* every id and alias so far */
	size_t cap;           /* of reg->langs */
	unsigned lineno;
	char *err;
	size_t errlen;
	/* an open `starter = <<TAG` block of the last language: the lines up
	   to TAG are its text (block_len bytes so far) */
	unsigned block_line; /* where it was opened; 0: none is open */
	size_t block_len;
	char tag[33];
};

__attribute__((format(printf, 2, 3))) static int pfail(struct parse *ps,
                                                       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "line %u: ", ps->lineno);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "[id]": finish the language before it and start a new one. */
static int parse_section(struct parse *ps, char *s)
{
	struct sbx_registry *reg = ps->reg;
	char *close = strchr(s, ']');
	struct sbx_lang *l;
	size_t base = SIZE_MAX;
	char *slash;
	int r;

	if (!close || *trim(close + 1))
		return pfail(ps, "expected [id]");
	*close = '\0';
	s = trim(s + 1);
	slash = strchr(s, '/');
	if (slash) {
		/* [BASE/VARIANT]: another toolchain of an earlier language */
		*slash = '\0';
		if (!reg_valid_choice(slash + 1))
			return pfail(ps,
			             "bad variant id '%s' (1 to 32 letters, "
			             "digits, '+', '.', '_' or '-')",
			             slash + 1);
		for (size_t i = 0; i < reg->n; i++)
			if (!reg->langs[i].is_variant &&
			    strcmp(reg->langs[i].id, s) == 0)
				base = i;
		if (base == SIZE_MAX)
			return pfail(ps, "[%s/%s]: no language [%s] before it",
			             s, slash + 1, s);
		for (size_t i = 0; i < reg->n; i++)
			if ((i == base || (reg->langs[i].is_variant &&
			                   reg->langs[i].base == base)) &&
			    reg->langs[i].variant &&
			    strcasecmp(reg->langs[i].variant, slash + 1) == 0)
				return pfail(ps,
				             "[%s] has a variant '%s' already",
				             s, slash + 1);
	} else {
		if (!valid_id(s))
			return pfail(ps, "bad language id '%s'", s);
		if (name_taken(&ps->names, s))
			return pfail(ps, "'%s' is already a language or alias",
			             s);
	}
	r = finish_lang(reg, ps->lineno, ps->err, ps->errlen);
	if (r < 0)
		return r;
	if (reg->n == MAX_LANGS) {
		if (ps->err)
			snprintf(ps->err, ps->errlen, "more than %d languages",
			         MAX_LANGS);
		return -EINVAL;
	}
	if (reg->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 32;
		struct sbx_lang *nl = realloc(reg->langs, nc * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		reg->langs = nl;
		ps->cap = nc;
	}
	l = &reg->langs[reg->n++];
	memset(l, 0, sizeof(*l));
	l->id = strdup(s);
	if (!l->id)
		return -ENOMEM;
	if (slash) {
		/* not a name of its own: sbx_registry_find() skips it */
		l->is_variant = true;
		l->base = base;
		l->variant = strdup(slash + 1);
		return l->variant ? 0 : -ENOMEM;
	}
	if (name_add(&ps->names, l->id) < 0)
		return -ENOMEM;
	return 0;
}

/* aliases: each a valid name that no language or alias has yet. */
static int check_aliases(struct parse *ps, char **aliases)
{
	for (char **a = aliases; a && *a; a++) {
		/* its own id and earlier aliases are in the set */
		bool dup = name_taken(&ps->names, *a);
		if (dup || !valid_id(*a))
			return pfail(ps, "alias '%s' is %s", *a,
			             dup ? "taken" : "not a valid name");
		if (name_add(&ps->names, *a) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int check_absolute(struct parse *ps, const char *key, char **paths)
{
	for (char **q = paths; q && *q; q++)
		if (**q != '/')
			return pfail(ps, "%s: '%s' is not an absolute path",
			             key, *q);
	return 0;
}

/* The keys of a [language] section: a string or a word list each. */
static const struct reg_key {
	const char *key;
	size_t off; /* of the char * or char ** in struct sbx_lang */
	bool words;
	bool nonempty; /* a word list that must hold a word */
} reg_keys[] = {
        {"name", offsetof(struct sbx_lang, name), false, false},
        {"aliases", offsetof(struct sbx_lang, aliases), true, false},
        {"version", offsetof(struct sbx_lang, version_cmd), true, true},
        {"source", offsetof(struct sbx_lang, source), false, false},
        {"compile", offsetof(struct sbx_lang, compile_cmd), true, true},
        {"run", offsetof(struct sbx_lang, run_cmd), true, false},
        {"mode", offsetof(struct sbx_lang, mode), false, false},
        {"env", offsetof(struct sbx_lang, env), true, false},
        {"limits", offsetof(struct sbx_lang, limits), true, false},
        {"compile_limits", offsetof(struct sbx_lang, compile_limits), true,
         false},
        {"requires", offsetof(struct sbx_lang, requires), true, false},
        {"binds", offsetof(struct sbx_lang, binds), true, false},
};

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/*
 * "starter = <<TAG": the lines that follow, up to one holding only TAG,
 * are the language's starter (parse_block_line).  The text is gathered in
 * a buffer of the largest size allowed, made to fit when the block ends.
 */
static int open_block(struct parse *ps, struct sbx_lang *l, char *val)
{
	if (l->starter)
		return pfail(ps, "'starter' given twice");
	if (strncmp(val, "<<", 2) != 0)
		return pfail(ps,
		             "starter: expected <<TAG, the program's lines, "
		             "then a line TAG");
	val = trim(val + 2);
	if (!valid_tag(val))
		return pfail(ps,
		             "starter: bad tag '%s' (1 to 32 letters, digits "
		             "or '_')",
		             val);
	l->starter = malloc(SBX_STARTER_MAX + 1);
	if (!l->starter)
		return -ENOMEM;
	l->starter[0] = '\0';
	strcpy(ps->tag, val);
	ps->block_line = ps->lineno;
	ps->block_len = 0;
	return 0;
}

/* A line of an open block: its closing tag, or one more line of text. */
static int parse_block_line(struct parse *ps, const char *p, size_t n)
{
	struct sbx_lang *l = &ps->reg->langs[ps->reg->n - 1];
	size_t tn = strlen(ps->tag);
	const char *s = p, *e;

	if (memchr(p, '\0', n))
		return pfail(ps, "NUL byte");
	if (n && p[n - 1] == '\r')
		n--;
	e = p + n;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - s) == tn && memcmp(s, ps->tag, tn) == 0) {
		char *fit;
		ps->block_line = 0;
		if (ps->block_len == 0)
			return pfail(ps, "starter of [%s] is empty", l->id);
		if (!utf8_valid(l->starter, ps->block_len))
			return pfail(ps, "starter of [%s] is not valid UTF-8",
			             l->id);
		fit = realloc(l->starter, ps->block_len + 1);
		if (fit)
			l->starter = fit;
		return 0;
	}
	if (ps->block_len + n + 1 > SBX_STARTER_MAX)
		return pfail(ps,
		             "starter of [%s] is longer than %d bytes (the "
		             "block opened at line %u)",
		             l->id, SBX_STARTER_MAX, ps->block_line);
	memcpy(l->starter + ps->block_len, p, n);
	ps->block_len += n;
	l->starter[ps->block_len++] = '\n';
	l->starter[ps->block_len] = '\0';
	return 0;
}

static bool valid_package(const char *s)
{
	/* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+ */
	if (strlen(s) < 2 ||
	    !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && !strchr("+.-", *s))
			return false;
	return true;
}

static bool valid_lib_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+._-", *s))
			return false;
	return true;
}

/* "library = NAME PACKAGE [WORD...]" (struct sbx_lib). */
static int add_library(struct parse *ps, struct sbx_lang *l, const char *val)
{
	char sub[128], **w = sbx_split_command(val, sub, sizeof(sub));
	struct sbx_lib *grown, *lib;
	size_t n = 0;

	if (!w)
		return pfail(ps, "library: %s", sub);
	while (w[n])
		n++;
	if (n < 2) {
		sbx_argv_free(w);
		return pfail(ps, "library: expected NAME PACKAGE [WORD...]");
	}
	if (!valid_lib_name(w[0]) || !valid_package(w[1])) {
		int r = pfail(
		        ps,
		        !valid_lib_name(w[0])
		                ? "library: bad name '%s' (letters, digits, "
		                  "'+', '.', '_', '-')"
		                : "library: '%s' is not a Debian package name",
		        !valid_lib_name(w[0]) ? w[0] : w[1]);
		sbx_argv_free(w);
		return r;
	}
	for (size_t i = 0; i < l->nlibs; i++)
		if (strcmp(l->libs[i].name, w[0]) == 0) {
			int r = pfail(ps, "library '%s' given twice", w[0]);
			sbx_argv_free(w);
			return r;
		}
	if (l->nlibs == SBX_LIBS_MAX) {
		sbx_argv_free(w);
		return pfail(ps, "more than %d libraries in [%s]", SBX_LIBS_MAX,
		             l->id);
	}
	grown = realloc(l->libs, (l->nlibs + 1) * sizeof(*grown));
	if (!grown) {
		sbx_argv_free(w);
		return -ENOMEM;
	}
	l->libs = grown;
	lib = &l->libs[l->nlibs];
	memset(lib, 0, sizeof(*lib));
	lib->name = w[0];
	lib->package = w[1];
	/* the words after the two: shift them down over the vector */
	memmove(w, w + 2, (n - 1) * sizeof(*w));
	lib->words = w;
	l->nlibs++;
	return 0;
}

/* "option = NAME VALUE..." (struct sbx_option) */
static int add_option(struct parse *ps, struct sbx_lang *l, const char *val)
{
	char sub[200], **w = sbx_split_command(val, sub, sizeof(sub));
	int r;

	if (!w)
		return pfail(ps, "option: %s", sub);
	r = reg_add_option(l, w, sub, sizeof(sub));
	sbx_argv_free(w);
	if (r == -EINVAL)
		return pfail(ps, "%s", sub);
	return r;
}

/* "key = value" in the current language. */
static int parse_key(struct parse *ps, char *s)
{
	char *eq = strchr(s, '=');
	const struct reg_key *k = NULL;
	struct sbx_lang *l;
	char *key, *val;
	int r;

	if (!eq)
		return pfail(ps, "expected key = value");
	if (ps->reg->n == 0)
		return pfail(ps, "key outside a [language] section");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	l = &ps->reg->langs[ps->reg->n - 1];
	if (l->is_variant &&
	    (strcmp(key, "aliases") == 0 || strcmp(key, "source") == 0 ||
	     strcmp(key, "mode") == 0 || strcmp(key, "starter") == 0 ||
	     strcmp(key, "variant") == 0 || strcmp(key, "name") == 0))
		return pfail(ps, "'%s' belongs to [%s], not to a variant", key,
		             l->id);
	if (strcmp(key, "starter") == 0)
		return open_block(ps, l, val);
	if (strcmp(key, "library") == 0)
		return add_library(ps, l, val);
	if (strcmp(key, "option") == 0)
		return add_option(ps, l, val);
	if (strcmp(key, "variant") == 0) {
		if (l->variant)
			return pfail(ps, "'variant' given twice");
		if (!reg_valid_choice(val))
			return pfail(ps, "bad variant id '%s'", val);
		l->variant = strdup(val);
		return l->variant ? 0 : -ENOMEM;
	}
	if (strcmp(key, "libraries") == 0) {
		if (!l->is_variant || strcmp(val, "none") != 0)
			return pfail(ps,
			             "'libraries = none' is for a variant that "
			             "cannot use its language's libraries");
		l->no_libs = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(reg_keys) / sizeof(reg_keys[0]); i++)
		if (strcmp(key, reg_keys[i].key) == 0)
			k = &reg_keys[i];
	if (!k)
		return pfail(ps, "unknown key '%s'", key);
	if (!k->words)
		return set_str((char **)((char *)l + k->off), val, ps->lineno,
		               key, ps->err, ps->errlen);
	char ***dst = (char ***)((char *)l + k->off);
	r = set_words(dst, val, ps->lineno, key, ps->err, ps->errlen);
	if (r < 0)
		return r;
	if (k->nonempty && !(*dst)[0])
		return pfail(ps, "'%s' is empty", key);
	if (strcmp(key, "aliases") == 0)
		return check_aliases(ps, *dst);
	if (strcmp(key, "requires") == 0 || strcmp(key, "binds") == 0)
		return check_absolute(ps, key, *dst);
	return 0;
}

/* One line, without its newline: a comment, a section or a key. */
static int parse_line(struct parse *ps, const char *p, size_t n)
{
	char line[4096];
	char *s;

	if (n >= sizeof(line))
		return pfail(ps, "too long");
	if (memchr(p, '\0', n))
		return pfail(ps, "NUL byte");
	memcpy(line, p, n);
	line[n] = '\0';
	s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	return *s == '[' ? parse_section(ps, s) : parse_key(ps, s);
}

int sbx_registry_parse(const char *text, size_t len, struct sbx_registry *reg,
                       char *err, size_t errlen)
{
	struct parse ps = {.reg = reg, .err = err, .errlen = errlen};
	const char *p = text, *end = text + len;
	int r = 0;

	memset(reg, 0, sizeof(*reg));
	if (len > MAX_REGISTRY_BYTES) {
		if (err)
			snprintf(err, errlen, "registry larger than %u bytes",
			         MAX_REGISTRY_BYTES);
		return -EFBIG;
	}
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		ps.lineno++;
		r = ps.block_line ? parse_block_line(&ps, p, n)
		                  : parse_line(&ps, p, n);
		p = nl ? nl + 1 : end;
	}
	if (r == 0 && ps.block_line) {
		ps.lineno = ps.block_line;
		r = pfail(&ps,
		          "starter: no line '%s' closes the block opened here",
		          ps.tag);
	}
	if (r == 0)
		r = finish_lang(reg, ps.lineno, err, errlen);
	free(ps.names.slot);
	if (r < 0) {
		if (r == -ENOMEM && err)
			snprintf(err, errlen, "out of memory");
		sbx_registry_fini(reg);
	}
	return r;
}

int sbx_registry_load(const char *path, struct sbx_registry *reg, char *err,
                      size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	ssize_t n;
	int r;
	char sub[256];

	memset(reg, 0, sizeof(*reg));
	if (fd < 0) {
		r = -errno;
		if (err)
			snprintf(err, errlen, "cannot open registry %s: %s",
			         path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || st.st_size > MAX_REGISTRY_BYTES) {
		close(fd);
		if (err)
			snprintf(err, errlen, "registry %s is too large", path);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		if (err)
			snprintf(err, errlen, "cannot read registry %s", path);
		return -EIO;
	}
	r = sbx_registry_parse(buf, (size_t)n, reg, sub, sizeof(sub));
	free(buf);
	if (r < 0 && err)
		snprintf(err, errlen, "%s: %s", path, sub);
	return r;
}

const struct sbx_lang *sbx_registry_find(const struct sbx_registry *reg,
                                         const char *name)
{
	for (size_t i = 0; i < reg->n; i++) {
		const struct sbx_lang *l = &reg->langs[i];
		if (l->is_variant)
			continue;
		if (strcasecmp(l->id, name) == 0)
			return l;
		for (char **a = l->aliases; a && *a; a++)
			if (strcasecmp(*a, name) == 0)
				return l;
	}
	return NULL;
}

char **sbx_lang_argv(const char *const *cmd, const char *const *user_args)
{
	size_t nc = 0, na = 0, k = 0;
	bool placed = false;
	char **v;

	while (cmd && cmd[nc])
		nc++;
	while (user_args && user_args[na])
		na++;
	v = calloc(nc + na + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < nc; i++) {
		if (strcmp(cmd[i], "{args}") == 0) {
			for (size_t j = 0; j < na; j++)
				if (!(v[k++] = strdup(user_args[j])))
					goto out_nomem;
			placed = true;
			continue;
		}
		if (!(v[k++] = strdup(cmd[i])))
			goto out_nomem;
	}
	if (!placed)
		for (size_t j = 0; j < na; j++)
			if (!(v[k++] = strdup(user_args[j])))
				goto out_nomem;
	return v;
out_nomem:
	sbx_argv_free(v);
	return NULL;
}
