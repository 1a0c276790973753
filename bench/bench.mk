# bench/bench.mk - benchmarks; included from the top Makefile.
#
#   make bench                          build runpad-jail and bench/jail, run it
#   make bench BENCH_ARGS='-n 50'       fewer runs
#   make bench BENCH_ARGS='--csv build/bench/jail.csv -- --slot 0'
#
# BENCH_ARGS go to bench/jail; after `--` they are passed on to runpad-jail
# (before its --exec).  The benchmark prints figures and asserts nothing about
# time; it fails only when a launcher could not run at all.  See
# bench/README.md.

BENCH_ARGS ?=

$(B)/bench/jail: bench/jail.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $<

.PHONY: bench
bench: $(B)/bench/jail $(B)/runpad-jail
	$(B)/bench/jail --jail $(B)/runpad-jail $(BENCH_ARGS)

# The per-run cost inside a long-lived supervisor (what the runner pays).
$(B)/bench/jail_lib: bench/jail_lib.c $(B)/libsandbox.a $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< $(B)/libsandbox.a $(B)/libcommon.a $(LDLIBS_JSON) -lpthread

.PHONY: bench-lib
bench: bench-lib
bench-lib: $(B)/bench/jail_lib
	$(B)/bench/jail_lib $(BENCH_LIB_ARGS)

# The run API end to end (its own nginx + runpad-fcgi stack): latency
# against bare execution, and throughput with concurrent clients.  Not part
# of `make bench`: it starts nginx and takes about 75 s.  bench/README.md.
BENCH_API_ARGS ?=
.PHONY: bench-api
bench-api: $(B)/runpad-fcgi $(B)/runpad-jail
	$(PYTHON) bench/api.py $(BENCH_API_ARGS)

# Collaborative editing: N clients typing into one pad and into many pads,
# runpad-ws against ShareDB (npm sharedb + ot-text-unicode over ws) and Yjs
# (npm yjs + y-websocket and its server) on the same workload in the same
# run.  npm ci on first use and again when the lock changes, as for web/, so
# a tree installed from an older lock does not lack a peer.
# bench/collab/README.md.
BENCH_COLLAB_ARGS ?=
bench/collab/node_modules/.package-lock.json: bench/collab/package-lock.json
	cd bench/collab && npm ci --no-audit --no-fund

.PHONY: bench-collab
bench-collab: $(B)/runpad-ws bench/collab/node_modules/.package-lock.json
	cd bench/collab && RUNPAD_BUILD=$(CURDIR)/$(B) node bench.mjs $(BENCH_COLLAB_ARGS)

# Playback: a 20,000-version pad made through runpad-ws, its history read
# over the websocket as the browser reads it, the timeline model of
# web/src/playback/model.ts built (bundled for node with the rolldown vite
# brings) and 2000 seeks, with checkpoints every K versions against
# replaying from version 0.  bench/README.md, "bench/playback".
BENCH_PLAYBACK_ARGS ?=
bench/playback/node_modules/.package-lock.json: bench/playback/package-lock.json
	cd bench/playback && npm ci --no-audit --no-fund

.PHONY: bench-playback
bench-playback: $(B)/runpad-ws web/node_modules/.package-lock.json bench/playback/node_modules/.package-lock.json
	cd bench/playback && RUNPAD_BUILD=$(CURDIR)/$(B) node --expose-gc bench.mjs $(BENCH_PLAYBACK_ARGS)

# Rust with Debian's crates (rand, serde_json) from the crate cache against
# a plain hello world, through the run API and with bare rustc, side by
# side.  Needs the cache (make crates).  bench/README.md, "bench/crates.py".
BENCH_CRATES_ARGS ?=
.PHONY: bench-crates
bench-crates: $(B)/runpad-fcgi $(B)/runpad-jail crates
	$(PYTHON) bench/crates.py $(BENCH_CRATES_ARGS)
