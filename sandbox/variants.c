/*
 * variants.c - a language's toolchains ([BASE/VARIANT] sections) and its
 * allow-listed options (`option =` lines), for registry.c; sandbox.h says
 * what they mean.
 *
 * A variant is a whole sbx_lang, filled from its base where it says
 * nothing, so that everything done to languages (resolving programs,
 * detecting versions, placing libraries, binding paths) is done to it
 * alike.  Options are substituted when a stage's argv is made, because the
 * choice is the run's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_int.h"
#include "sandbox.h"

bool reg_valid_choice(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+._-", *s))
			return false;
	return true;
}

static void option_fini(struct sbx_option *o)
{
	for (size_t i = 0; i < o->nvalues; i++) {
		free(o->values[i].value);
		sbx_argv_free(o->values[i].words);
	}
	free(o->values);
	free(o->name);
}

void reg_options_free(struct sbx_option *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		option_fini(&v[i]);
	free(v);
}

/* "release=-O" -> {"release", ["-O"]}; "debug=" -> {"debug", []};
   "-O2" -> {"-O2", ["-O2"]} */
static int option_value(struct sbx_option_value *ov, const char *w, char *err,
                        size_t errlen)
{
	const char *eq = strchr(w, '=');
	size_t n = eq ? (size_t)(eq - w) : strlen(w), k = 0;
	char *rest;

	ov->value = strndup(w, n);
	if (!ov->value)
		return -ENOMEM;
	if (!reg_valid_choice(ov->value)) {
		snprintf(err, errlen,
		         "option value '%s' is not 1 to 32 letters, digits, "
		         "'+', '.', '_' or '-'",
		         ov->value);
		return -EINVAL;
	}
	rest = strdup(eq ? eq + 1 : w);
	ov->words = calloc(strlen(w) / 2 + 2, sizeof(char *));
	if (!rest || !ov->words) {
		free(rest);
		return -ENOMEM;
	}
	for (char *save = NULL, *t = strtok_r(rest, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		if (!(ov->words[k++] = strdup(t))) {
			free(rest);
			return -ENOMEM;
		}
	free(rest);
	return 0;
}

int reg_add_option(struct sbx_lang *l, char **w, char *err, size_t errlen)
{
	struct sbx_option o = {0}, *grown;
	size_t n = 0;
	int r = 0;

	while (w[n])
		n++;
	if (n < 2) {
		snprintf(err, errlen,
		         "option: expected NAME VALUE[=WORDS] VALUE...");
		return -EINVAL;
	}
	if (!reg_valid_choice(w[0]) || strcmp(w[0], "args") == 0 ||
	    strcmp(w[0], "libs") == 0) {
		snprintf(err, errlen, "option: bad name '%s'", w[0]);
		return -EINVAL;
	}
	for (size_t i = 0; i < l->noptions; i++)
		if (strcmp(l->options[i].name, w[0]) == 0) {
			snprintf(err, errlen, "option '%s' given twice", w[0]);
			return -EINVAL;
		}
	if (l->noptions == SBX_OPTIONS_MAX || n - 1 > SBX_OPTION_VALUES_MAX) {
		snprintf(err, errlen, "option: at most %d options of %d values",
		         SBX_OPTIONS_MAX, SBX_OPTION_VALUES_MAX);
		return -EINVAL;
	}
	o.name = strdup(w[0]);
	o.values = calloc(n - 1, sizeof(*o.values));
	if (!o.name || !o.values) {
		option_fini(&o);
		return -ENOMEM;
	}
	for (size_t i = 1; i < n && r == 0; i++) {
		r = option_value(&o.values[o.nvalues++], w[i], err, errlen);
		for (size_t k = 0; r == 0 && k + 1 < o.nvalues; k++)
			if (strcmp(o.values[k].value,
			           o.values[o.nvalues - 1].value) == 0) {
				snprintf(err, errlen,
				         "option %s: value '%s' given twice",
				         o.name, o.values[k].value);
				r = -EINVAL;
			}
	}
	if (r == 0) {
		grown = realloc(l->options, (l->noptions + 1) * sizeof(*grown));
		if (!grown)
			r = -ENOMEM;
		else {
			l->options = grown;
			l->options[l->noptions++] = o;
			return 0;
		}
	}
	option_fini(&o);
	return r;
}

/* ------------------------------------------------------------ inheritance */

static char **dup_argv(char *const *v)
{
	size_t n = 0;
	char **d;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	d = calloc(n + 1, sizeof(*d));
	for (size_t i = 0; d && i < n; i++)
		if (!(d[i] = strdup(v[i]))) {
			sbx_argv_free(d);
			return NULL;
		}
	return d;
}

/* *dst = a copy of src unless *dst is set; false on ENOMEM */
static bool take_argv(char ***dst, char *const *src)
{
	if (*dst || !src)
		return true;
	*dst = dup_argv(src);
	return *dst != NULL;
}

static bool take_str(char **dst, const char *src)
{
	if (*dst || !src)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

static int copy_options(struct sbx_lang *v, const struct sbx_lang *b)
{
	if (v->options || !b->noptions)
		return 0;
	v->options = calloc(b->noptions, sizeof(*v->options));
	if (!v->options)
		return -ENOMEM;
	for (size_t i = 0; i < b->noptions; i++) {
		const struct sbx_option *o = &b->options[i];
		struct sbx_option *c = &v->options[v->noptions++];
		c->name = strdup(o->name);
		c->values = calloc(o->nvalues, sizeof(*c->values));
		if (!c->name || !c->values)
			return -ENOMEM;
		for (size_t k = 0; k < o->nvalues; k++) {
			c->values[c->nvalues].value =
			        strdup(o->values[k].value);
			c->values[c->nvalues].words =
			        dup_argv(o->values[k].words);
			c->nvalues++;
			if (!c->values[k].value || !c->values[k].words)
				return -ENOMEM;
		}
	}
	return 0;
}

static int copy_libs(struct sbx_lang *v, const struct sbx_lang *b)
{
	if (v->nlibs || v->no_libs || !b->nlibs)
		return 0;
	v->libs = calloc(b->nlibs, sizeof(*v->libs));
	if (!v->libs)
		return -ENOMEM;
	for (size_t i = 0; i < b->nlibs; i++) {
		struct sbx_lib *c = &v->libs[v->nlibs++];
		c->name = strdup(b->libs[i].name);
		c->package = strdup(b->libs[i].package);
		c->words = dup_argv(b->libs[i].words);
		if (!c->name || !c->package || !c->words)
			return -ENOMEM;
	}
	return 0;
}

int reg_inherit(struct sbx_lang *v, const struct sbx_lang *b)
{
	/* a variant that gives neither command keeps its base's compile */
	if (!take_str(&v->name, b->name) || !take_str(&v->source, b->source) ||
	    !take_str(&v->mode, b->mode) ||
	    !take_argv(&v->version_cmd, b->version_cmd) ||
	    !take_argv(&v->compile_cmd, b->compile_cmd) ||
	    !take_argv(&v->run_cmd, b->run_cmd) ||
	    !take_argv(&v->env, b->env) || !take_argv(&v->limits, b->limits) ||
	    !take_argv(&v->compile_limits, b->compile_limits) ||
	    !take_argv(&v->requires, b->requires) ||
	    !take_argv(&v->binds, b->binds))
		return -ENOMEM;
	if (copy_options(v, b) < 0 || copy_libs(v, b) < 0)
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------ placeholders */

static const struct sbx_option *
option_named(const struct sbx_lang *l, const char *name, size_t n, size_t *idx)
{
	for (size_t i = 0; i < l->noptions; i++)
		if (strlen(l->options[i].name) == n &&
		    strncmp(l->options[i].name, name, n) == 0) {
			if (idx)
				*idx = i;
			return &l->options[i];
		}
	return NULL;
}

/* Every {NAME} in the commands is {args}, {libs}, {libs:} or an option,
   and every option is used by some command. */
int reg_check_placeholders(const struct sbx_lang *l, char *err, size_t errlen)
{
	char *const *cmds[] = {l->compile_cmd, l->run_cmd};
	bool used[SBX_OPTIONS_MAX] = {false};

	for (size_t c = 0; c < 2; c++)
		for (char *const *w = cmds[c]; w && *w; w++)
			for (const char *p = strchr(*w, '{'), *e; p;
			     p = strchr(e, '{')) {
				size_t i;
				e = strchr(p, '}');
				if (!e)
					break;
				if ((e - p == 5 &&
				     strncmp(p, "{args", 5) == 0) ||
				    (e - p == 5 &&
				     strncmp(p, "{libs", 5) == 0) ||
				    (e - p == 6 &&
				     strncmp(p, "{libs:", 6) == 0))
					continue;
				if (option_named(l, p + 1, (size_t)(e - p - 1),
				                 &i)) {
					used[i] = true;
					continue;
				}
				snprintf(
				        err, errlen,
				        "[%s%s%s]: a command has %.*s}, which is "
				        "not one of its options",
				        l->id,
				        l->variant && l->is_variant ? "/" : "",
				        l->variant && l->is_variant ? l->variant
				                                    : "",
				        (int)(e - p), p);
				return -EINVAL;
			}
	for (size_t i = 0; i < l->noptions; i++)
		if (!used[i]) {
			snprintf(err, errlen,
			         "[%s]: option '%s' is in no command as {%s}",
			         l->id, l->options[i].name, l->options[i].name);
			return -EINVAL;
		}
	return 0;
}

/* w with each {NAME} of an option replaced by its value's first word */
static char *inline_options(const struct sbx_lang *l, const char *w,
                            const size_t *choice)
{
	size_t cap = strlen(w) + 1, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (const char *p = w; *p;) {
		const char *e = *p == '{' ? strchr(p, '}') : NULL;
		size_t i;
		const struct sbx_option *o =
		        e ? option_named(l, p + 1, (size_t)(e - p - 1), &i)
		          : NULL;
		const char *rep;
		size_t rl;
		if (!o) {
			out[n++] = *p++;
			continue;
		}
		rep = o->values[choice ? choice[i] : 0].words[0];
		rep = rep ? rep : "";
		rl = strlen(rep);
		if (n + rl + strlen(e + 1) + 1 > cap) {
			char *g;
			cap = n + rl + strlen(e + 1) + 1;
			g = realloc(out, cap);
			if (!g) {
				free(out);
				return NULL;
			}
			out = g;
		}
		memcpy(out + n, rep, rl);
		n += rl;
		p = e + 1;
	}
	out[n] = '\0';
	return out;
}

char **sbx_lang_command(const struct sbx_lang *l, const char *const *cmd,
                        const size_t *choice, const char *const *user_args)
{
	size_t nc = 0, k = 0, extra = 0;
	char **v, **argv;

	if (!cmd)
		return NULL;
	while (cmd[nc])
		nc++;
	for (size_t i = 0; i < l->noptions; i++)
		for (size_t j = 0; j < l->options[i].nvalues; j++) {
			size_t m = 0;
			while (l->options[i].values[j].words[m])
				m++;
			extra += m;
		}
	v = calloc(nc * (extra + 1) + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < nc; i++) {
		size_t oi;
		const struct sbx_option *o =
		        cmd[i][0] == '{' && cmd[i][strlen(cmd[i]) - 1] == '}'
		                ? option_named(l, cmd[i] + 1,
		                               strlen(cmd[i]) - 2, &oi)
		                : NULL;
		if (o) {
			char *const *w =
			        o->values[choice ? choice[oi] : 0].words;
			for (; *w; w++)
				if (!(v[k++] = strdup(*w)))
					goto nomem;
		} else if (!(v[k++] = inline_options(l, cmd[i], choice))) {
			goto nomem;
		}
	}
	argv = sbx_lang_argv((const char *const *)v, user_args);
	sbx_argv_free(v);
	return argv;
nomem:
	sbx_argv_free(v);
	return NULL;
}

size_t sbx_registry_variants(const struct sbx_registry *reg,
                             const struct sbx_lang *l,
                             const struct sbx_lang **out, size_t max)
{
	size_t n = 0, self = (size_t)(l - reg->langs);

	if (n < max)
		out[n] = l;
	n++;
	for (size_t i = self + 1; i < reg->n; i++)
		if (reg->langs[i].is_variant && reg->langs[i].base == self) {
			if (n < max)
				out[n] = &reg->langs[i];
			n++;
		}
	return n;
}

size_t sbx_registry_count(const struct sbx_registry *reg, size_t *available)
{
	size_t n = 0, a = 0;

	for (size_t i = 0; i < reg->n; i++)
		if (!reg->langs[i].is_variant) {
			n++;
			a += reg->langs[i].available;
		}
	if (available)
		*available = a;
	return n;
}
