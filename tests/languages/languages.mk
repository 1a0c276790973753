# tests/languages/languages.mk - included by the top Makefile.
#
#   make check-languages     hello world, stdin echo and an error program in
#                            every installed language of the registry
#   make check-languages LANGS='c python'   only these

LANGS ?=

.PHONY: check-languages
check-languages: $(B)/runpad-jail
	RUNPAD_JAIL=$(abspath $(B)/runpad-jail) tests/languages/check.sh $(LANGS)
