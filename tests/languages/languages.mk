# tests/languages/languages.mk - included by the top-level Makefile.
#
#   make check-languages              every installed language of the registry
#   make check-languages LANGS="c go" only these ids
#   make check-starters               the registry's starter programs alone
#
# Runs three programs per language through $(B)/runpad-jail (hello world,
# stdin echo, a compile/syntax error) and the registry's starter, with
# empty stdin and with "Ada\n"; languages whose toolchain is not installed
# are skipped.  Packages: sandbox/languages.packages.  RUNPAD_REGISTRY,
# JAIL_ARGS, TIMEOUT and KINDS pass through (see check.sh).

LANGS ?=

.PHONY: check-languages check-starters
check-languages: $(B)/runpad-jail
	RUNPAD_JAIL=$(abspath $(B)/runpad-jail) bash tests/languages/check.sh $(LANGS)

check-starters: $(B)/runpad-jail
	RUNPAD_JAIL=$(abspath $(B)/runpad-jail) KINDS="starter starter-ada" \
	  bash tests/languages/check.sh $(LANGS)
