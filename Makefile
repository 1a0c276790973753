# runpad - non-recursive build.  `make help` lists the targets.
#
#   make run     install what is missing, build, start what exists
#   make check   install what is missing, build with -Werror, run every test

.DEFAULT_GOAL := all
SHELL := /bin/bash

B        ?= build
CC       ?= cc
CLANG    ?= clang
WERROR   ?=
PREFIX   ?= /usr/local
PYTHON   := /usr/bin/python3
# where the programs look for the default language registry (the packages:
# /usr/share/runpad; /etc/runpad/languages.conf wins when it exists)
DATADIR  ?= $(CURDIR)/sandbox

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
HARDEN   := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS   ?= -O2 -g
BASE_CFLAGS = -std=gnu17 -D_GNU_SOURCE $(CFLAGS) $(WARN) $(WERROR) $(HARDEN) \
            -DRUNPAD_DATADIR='"$(DATADIR)"'
# The layers: common/ stands on nothing of ours; the jail (sandbox/) on
# common/; the runner (fcgi/) on both; the pad daemon (ws/) on common/
# alone.  Each part sees only the headers of the layers under it, so an
# include that crosses the layering fails to compile (check-layers says
# so more plainly).
INC_common  := -Icommon
INC_sandbox := -Isandbox -Icommon
INC_fcgi    := -Ifcgi -Isandbox -Icommon
INC_ws      := -Iws -Icommon
# tools and tests of the jail (bench/, tests/hostile)
ALL_CFLAGS = $(BASE_CFLAGS) $(INC_sandbox)
LDHARDEN := -pie -Wl,-z,relro,-z,now
LDFLAGS  ?=
LDLIBS_SECCOMP := -lseccomp
LDLIBS_JSON := -ljson-c
LDLIBS_FCGI := -lfcgi -llmdb -ljson-c -lpthread
LDLIBS_WS := -lwebsockets -llmdb -ljson-c -lpthread

# ------------------------------------------------------------------ packages
# Every Debian package the build, the tests and the default languages need.
# npm (for the piston-client test) comes with NodeSource's nodejs where that
# is installed instead of Debian's, so it is asked for only when missing.
DEPS_BUILD := build-essential pkg-config clang clang-format libclang-rt-14-dev \
              libfcgi-dev libjson-c-dev libseccomp-dev libwebsockets-dev \
              liblmdb-dev lmdb-utils libcriterion-dev
DEPS_TEST  := bubblewrap nginx-light util-linux procps chromium
DEPS_DEB   := debhelper dpkg-dev fakeroot lintian systemd man-db
DEPS_HOST  := qemu-system-x86 qemu-utils mmdebstrap e2fsprogs
DEPS_LANG  := gcc g++ python3 nodejs node-typescript bash golang-go rustc \
              default-jdk-headless
# the other toolchains of C, C++ and Python ([c/clang-15] ... in the registry)
DEPS_VARIANTS := clang-14 clang-15 clang-16 pypy3
# the libraries of the default languages (the `library` lines of
# sandbox/languages.conf); cargo builds the crate cache (make crates)
DEPS_LIBS  := python3-numpy python3-pandas python3-scipy python3-sympy \
              python3-matplotlib libboost-dev nlohmann-json3-dev libfmt-dev \
              libeigen3-dev node-lodash libguava-java junit5 cargo \
              librust-rand-dev librust-serde+serde-derive-dev \
              librust-serde-json-dev librust-regex+default-dev \
              librust-itertools-dev
DEPS       := $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_DEB) $(DEPS_HOST) $(DEPS_LANG) \
              $(DEPS_VARIANTS) $(DEPS_LIBS)

.PHONY: deps
deps:
	@missing=$$(for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done; \
	  command -v npm >/dev/null || echo npm); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "deps: need root to install: $$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all $(words $(DEPS)) packages present"; fi
	@# TypeScript type-checks against @types/node.  Debian's nodejs ships it
	@# in /usr/share/nodejs/@types; another Node.js build (NodeSource) does
	@# not, so it comes from the npm registry, matched to node's major.
	@for d in /usr/share/nodejs/@types /usr/lib/node_modules/@types \
	          /usr/local/lib/node_modules/@types; do \
	  [ -f $$d/node/package.json ] && exit 0; done; \
	major=$$(node -p 'process.versions.node.split(".")[0]'); \
	if [ "$$(id -u)" != 0 ]; then echo "deps: need root to install @types/node@$$major" >&2; exit 1; fi; \
	echo "deps: installing @types/node@$$major (npm, for TypeScript)"; \
	npm install -g --no-fund --no-audit --loglevel=error "@types/node@$$major"

# Debian's Rust crates compiled once into rlibs, where the registry's [rust]
# section looks for them (sandbox/crates/build-crates: rebuilt only when
# rustc or a crate changed).  Needs root, as deps does.
CRATES_DIR := /var/lib/runpad/crates
.PHONY: crates
crates:
	@if [ "$$(id -u)" = 0 ] || [ -w "$(CRATES_DIR)" ]; then \
	  sandbox/crates/build-crates $(CRATES_DIR); \
	else echo "crates: need root to build $(CRATES_DIR): Rust pads get no crates"; fi

# ------------------------------------------------------------------ sources
COMMON_SRC  := $(wildcard common/*.c)
SBX_SRC     := $(filter-out sandbox/main.c,$(wildcard sandbox/*.c))
JAIL_SRC    := sandbox/main.c

API_SRC     := $(filter-out fcgi/main.c,$(wildcard fcgi/*.c))
WS_SRC      := $(filter-out ws/main.c,$(wildcard ws/*.c))

COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/obj/%.o)
SBX_OBJ     := $(SBX_SRC:%.c=$(B)/obj/%.o)
API_OBJ     := $(API_SRC:%.c=$(B)/obj/%.o)
WS_OBJ      := $(WS_SRC:%.c=$(B)/obj/%.o)

$(B)/obj/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_common) -MMD -MP -c $< -o $@
$(B)/obj/sandbox/%.o: sandbox/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_sandbox) $(GEN_INC) -MMD -MP -c $< -o $@
$(B)/obj/fcgi/%.o: fcgi/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_fcgi) -MMD -MP -c $< -o $@
$(B)/obj/ws/%.o: ws/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_ws) -MMD -MP -c $< -o $@

# The seccomp filters, compiled from seccomp.c's table at build time.
$(B)/gen/filter_gen: sandbox/gen/filter_gen.c $(B)/obj/sandbox/seccomp.o
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_sandbox) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(LDLIBS_SECCOMP)
$(B)/gen/filter_bpf.h: $(B)/gen/filter_gen
	$< > $@.tmp && mv $@.tmp $@
$(B)/obj/sandbox/filter.o: $(B)/gen/filter_bpf.h
$(B)/obj/sandbox/filter.o: GEN_INC = -I$(B)/gen

$(B)/libcommon.a: $(COMMON_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libsandbox.a: $(SBX_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/libapi.a: $(API_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/libws.a: $(WS_OBJ)
	@rm -f $@; ar rcs $@ $^

# The programs do not link libseccomp: their filters are compiled in.
# runpad-jail is started once per run: linked as a static PIE it skips the
# dynamic loader's mapping and symbol binding, about 0.25 ms of a 2.8 ms
# start (bench/README.md).  Sanitizer builds cannot link statically.
JAIL_LINK ?= $(if $(findstring -fsanitize,$(LDHARDEN)),,-static-pie)
$(B)/runpad-jail: $(B)/obj/sandbox/main.o $(B)/libsandbox.a $(B)/libcommon.a
	$(CC) $(LDHARDEN) $(JAIL_LINK) $(LDFLAGS) -o $@ $^ $(LDLIBS_JSON)

$(B)/runpad-fcgi: $(B)/obj/fcgi/main.o $(B)/libapi.a $(B)/libsandbox.a $(B)/libcommon.a
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(LDLIBS_FCGI)

# The pad daemon has no jail (check-layers).
$(B)/runpad-ws: $(B)/obj/ws/main.o $(B)/libws.a $(B)/libcommon.a
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(LDLIBS_WS)

# ------------------------------------------------------------------ programs
PROGRAMS := $(B)/runpad-jail $(B)/runpad-fcgi $(B)/runpad-ws

.PHONY: all
all: $(PROGRAMS)

# ------------------------------------------------------------------ unit tests
# One Criterion binary per module, grouped by part (tests/unit/PART/), each
# with the include path of its part and linked against that part's
# libraries only.
UNIT_PARTS := common sandbox fcgi ws
unit_names = $(patsubst tests/unit/$(1)/test_%.c,%,$(wildcard tests/unit/$(1)/test_*.c))
unit_of = $(addprefix $(B)/tests/test_,$(1))
UNIT_BIN  := $(foreach p,$(UNIT_PARTS),$(call unit_of,$(call unit_names,$(p))))
ifneq ($(wildcard tests/unit/*.c),)
$(error tests/unit: a test belongs in the directory of its part: $(UNIT_PARTS))
endif
# Every part's tests make $(B)/tests/test_NAME, so no two parts may share
# a NAME (the jail's test_template and the pad daemon's test_tpl).
UNIT_NAMES := $(foreach p,$(UNIT_PARTS),$(call unit_names,$(p)))
UNIT_DUPS := $(strip $(foreach n,$(sort $(UNIT_NAMES)),$(if $(word 2,$(filter $(n),$(UNIT_NAMES))),$(n))))
ifneq ($(UNIT_DUPS),)
$(error tests/unit: test_$(firstword $(UNIT_DUPS)).c is in more than one part; both would make $(B)/tests/test_$(firstword $(UNIT_DUPS)))
endif
LIBS_common  := $(B)/libcommon.a
LIBS_sandbox := $(B)/libsandbox.a $(B)/libcommon.a
LIBS_fcgi    := $(B)/libapi.a $(B)/libsandbox.a $(B)/libcommon.a
LIBS_ws      := $(B)/libws.a $(B)/libcommon.a

$(call unit_of,$(call unit_names,common)): $(B)/tests/test_%: tests/unit/common/test_%.c $(LIBS_common)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_common) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(LIBS_common) -lcriterion -llmdb -ljson-c
$(call unit_of,$(call unit_names,sandbox)): $(B)/tests/test_%: tests/unit/sandbox/test_%.c $(LIBS_sandbox)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_sandbox) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(LIBS_sandbox) -lcriterion $(LDLIBS_JSON) $(if $(filter %test_seccomp,$@),$(LDLIBS_SECCOMP))
$(call unit_of,$(call unit_names,fcgi)): $(B)/tests/test_%: tests/unit/fcgi/test_%.c $(LIBS_fcgi)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_fcgi) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(LIBS_fcgi) -lcriterion $(LDLIBS_FCGI)
$(call unit_of,$(call unit_names,ws)): $(B)/tests/test_%: tests/unit/ws/test_%.c $(LIBS_ws)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(INC_ws) $(TEST_CFLAGS) $(LDHARDEN) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $< $(TEST_SRC) $(LIBS_ws) -lcriterion $(LDLIBS_WS)
# test_hub makes the hub's message allocation fail on demand
$(B)/tests/test_hub: TEST_LDFLAGS = -Wl,--wrap=wsmsg_alloc
# These check messages against docs/protocol.json (tests/unit/ws/protodesc.h).
PROTODESC_TESTS := $(B)/tests/test_hub $(B)/tests/test_protodesc
$(PROTODESC_TESTS): tests/unit/ws/protodesc.c tests/unit/ws/protodesc.h docs/protocol.json
$(PROTODESC_TESTS): TEST_SRC = tests/unit/ws/protodesc.c
$(PROTODESC_TESTS): TEST_CFLAGS = -DPROTODESC_FILE='"$(CURDIR)/docs/protocol.json"'

.PHONY: tests test-unit
tests: $(UNIT_BIN)
# Criterion prints "Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N"
test-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs=2 || fail=1; done; exit $$fail

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
.PHONY: test-asan
test-asan:
	$(MAKE) --no-print-directory B=$(B)/asan CFLAGS="$(SAN_FLAGS)" LDHARDEN="-fsanitize=address,undefined" WERROR=$(WERROR) test-unit

# ------------------------------------------------------------------ fuzzing
# A libFuzzer target for every parser of untrusted input.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu17 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Icommon -Isandbox -Ifcgi -Iws \
               -DRUNPAD_DATADIR='"$(CURDIR)/sandbox"'

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(COMMON_SRC) $(SBX_SRC) $(API_SRC) $(WS_SRC) $(B)/gen/filter_bpf.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -I$(B)/gen -o $@ $< $(COMMON_SRC) $(SBX_SRC) $(API_SRC) $(WS_SRC) $(LDLIBS_SECCOMP) $(LDLIBS_FCGI) -lwebsockets

.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(B)/fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done
# In `check`: replay the seeds, then a short run of each target.
fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# ------------------------------------------------------------------ integration
# The run API through Debian's nginx and the shipped snippet, on loopback.
.PHONY: check-api
check-api: all
	$(PYTHON) -m unittest -v tests/integration/test_api.py

# The Piston v2 API driven by the unmodified npm piston-client (npm ci on
# first use).
.PHONY: check-piston
check-piston: all
	$(PYTHON) -m unittest -v tests/integration/test_piston.py

# The run API under AddressSanitizer and UndefinedBehaviorSanitizer: the
# same integration tests against a sanitized runpad-fcgi.
.PHONY: check-api-asan
check-api-asan:
	$(MAKE) --no-print-directory B=$(B)/asan CFLAGS="$(SAN_FLAGS)" LDHARDEN="-fsanitize=address,undefined" WERROR=$(WERROR) $(B)/asan/runpad-fcgi $(B)/asan/runpad-jail
	RUNPAD_BUILD=$(CURDIR)/$(B)/asan $(PYTHON) -m unittest tests/integration/test_api.py

# The pad daemon: real runpad-ws processes driven by clients that use the
# real @codemirror/collab and @codemirror/state in node (npm ci on first
# use), shared runs through the whole stack (nginx, both daemons), and
# pad creation behind nginx's auth_basic (docs/ops.md).
.PHONY: check-ws check-ws-asan
check-ws: all
	$(PYTHON) -m unittest -v tests/integration/test_ws.py tests/integration/test_roles.py

# The same against runpad-ws built with AddressSanitizer and UBSan.
check-ws-asan:
	$(MAKE) --no-print-directory B=$(B)/asan CFLAGS="$(SAN_FLAGS)" LDHARDEN="-fsanitize=address,undefined" WERROR=$(WERROR) $(B)/asan/runpad-ws $(B)/asan/runpad-fcgi $(B)/asan/runpad-jail
	RUNPAD_BUILD=$(CURDIR)/$(B)/asan RUNPAD_SANITIZED=1 $(PYTHON) -m unittest tests/integration/test_ws.py tests/integration/test_roles.py

# Scale-out: two runners and two pad daemons behind one nginx with the
# shipped files (pads pinned to one daemon each, runs on both runners, ids
# routed to the runner that holds them).
.PHONY: check-scale
check-scale: all
	$(PYTHON) -m unittest -v tests/integration/test_scale.py

# ------------------------------------------------------------------ web app
# React + CodeMirror 6, built by Vite into web/dist (served by nginx).
# npm ci from the committed package-lock.json, on first use and again when
# the lock changes (npm writes node_modules/.package-lock.json last), so a
# tree installed from an older lock is not built or linted with old tools.
WEB_SRC := $(shell find web/src web/index.html web/package.json web/vite.config.ts web/tsconfig.json 2>/dev/null)
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: $(WEB_SRC) web/node_modules/.package-lock.json
	cd web && npm run build

.PHONY: web test-web check-web
web: web/dist/index.html

# Vitest units of the client's protocol and state code.
test-web: web/dist/index.html
	cd web && npx vitest run

# The app in Debian's Chromium (playwright-core) against the whole stack.
check-web: all web/dist/index.html
	$(PYTHON) -m unittest -v tests/integration/test_web.py

# ------------------------------------------------------------------ fragments
include tests/hostile/hostile.mk
include tests/languages/languages.mk
include bench/bench.mk
include packaging/packaging.mk
include tests/host/host.mk

# ------------------------------------------------------------------ check, run
.PHONY: check check-build check-layers lint format
check-build:
	$(MAKE) --no-print-directory WERROR=-Werror all tests

# The layering the build makes (tests/layers/check-layers.sh): common/
# includes nothing above it, the pad daemon holds no jail, and no program
# links libseccomp.
check-layers: all
	tests/layers/check-layers.sh $(B)

check: deps crates
	$(MAKE) --no-print-directory check-build
	$(MAKE) --no-print-directory check-layers
	$(MAKE) --no-print-directory WERROR=-Werror lint
	$(MAKE) --no-print-directory WERROR=-Werror test-unit
	$(MAKE) --no-print-directory WERROR=-Werror test-asan
	$(MAKE) --no-print-directory WERROR=-Werror fuzz-smoke
	$(MAKE) --no-print-directory WERROR=-Werror check-hostile
	$(MAKE) --no-print-directory WERROR=-Werror check-hostile-user
	$(MAKE) --no-print-directory WERROR=-Werror check-languages
	$(MAKE) --no-print-directory WERROR=-Werror check-api
	$(MAKE) --no-print-directory WERROR=-Werror check-piston
	$(MAKE) --no-print-directory WERROR=-Werror check-api-asan
	$(MAKE) --no-print-directory WERROR=-Werror check-ws
	$(MAKE) --no-print-directory WERROR=-Werror check-ws-asan
	$(MAKE) --no-print-directory WERROR=-Werror check-scale
	$(MAKE) --no-print-directory lint-web
	$(MAKE) --no-print-directory test-web
	$(MAKE) --no-print-directory check-web
	$(MAKE) --no-print-directory WERROR=-Werror check-deb
	$(MAKE) --no-print-directory WERROR=-Werror check-host
	@echo "make check: all passed"

# Our C, not the language samples (which hold deliberate errors).
C_DIRS  := sandbox sandbox/gen common fcgi ws tests/unit/common tests/unit/sandbox tests/unit/fcgi tests/unit/ws tests/fuzz tests/hostile tests/hostile/progs bench
C_FILES  = $(shell git ls-files $(addsuffix /*.[ch],$(C_DIRS)) 2>/dev/null || \
             find $(C_DIRS) -name '*.[ch]')
lint:
	clang-format --dry-run -Werror $(C_FILES)

# The web app's TypeScript, TSX and CSS in prettier's style (web/.prettierrc.json),
# and eslint with type information (web/eslint.config.js), no warnings allowed.
.PHONY: lint-web format-web
lint-web: web/dist/index.html
	cd web && npx prettier --check . && npx eslint --max-warnings 0 .

format-web: web/dist/index.html
	cd web && npx prettier --write .

format:
	clang-format -i $(C_FILES)

# `make run`: the whole stack on http://127.0.0.1:8080 with state under
# ./var/: Debian's nginx (unprivileged, its own prefix) with the shipped
# snippet, runpad-fcgi and the page at /.  Ctrl-C stops everything.
RUN_PORT ?= 8080
.PHONY: run
run: deps crates all web/dist/index.html
	$(PYTHON) tests/stack.py run --root $(CURDIR)/var --port $(RUN_PORT)

.PHONY: clean
clean:
	rm -rf $(B) web/dist

.PHONY: help
help:
	@echo "targets: all check run deps fuzz bench format lint clean"
	@echo "         test-unit test-asan check-hostile check-hostile-user check-languages check-starters"
	@echo "         check-api check-piston check-api-asan check-ws check-ws-asan check-scale"
	@echo "         web lint-web format-web test-web check-web bench-api bench-collab bench-playback deb check-deb check-host"

-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d)
