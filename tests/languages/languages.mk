# tests/languages/languages.mk - included by the top-level Makefile.
#
#   make check-languages              every installed language of the registry
#   make check-languages LANGS="c go" only these ids
#
# Runs three programs per language through $(B)/runpad-jail (hello world,
# stdin echo, a compile/syntax error); languages whose toolchain is not
# installed are skipped.  Packages: sandbox/languages.packages.
# RUNPAD_REGISTRY, JAIL_ARGS and TIMEOUT pass through (see check.sh).

LANGS ?=

.PHONY: check-languages
check-languages: $(B)/runpad-jail
	RUNPAD_JAIL=$(abspath $(B)/runpad-jail) bash tests/languages/check.sh $(LANGS)
