/*
 * registry_int.h - what registry.c and variants.c share; not public.
 */
#ifndef RUNPAD_REGISTRY_INT_H
#define RUNPAD_REGISTRY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

/* 1 to 32 of [A-Za-z0-9+._-]: option names and values, variant ids */
bool reg_valid_choice(const char *s);

/* `option = ...` split into words (borrowed); err says what is wrong */
int reg_add_option(struct sbx_lang *l, char **words, char *err, size_t errlen);
void reg_options_free(struct sbx_option *v, size_t n);

/* What variant v does not give, taken from its base b (copies). */
int reg_inherit(struct sbx_lang *v, const struct sbx_lang *b);

/* Every {NAME} in l's commands is known and every option is used. */
int reg_check_placeholders(const struct sbx_lang *l, char *err, size_t errlen);

#endif
