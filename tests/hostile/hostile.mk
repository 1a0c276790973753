# tests/hostile/hostile.mk - the hostile suite, included by the top Makefile.
#
#   make check-hostile        run it as root (slots run as uid 61000+i, see
#                             HOSTILE_ROOT_JAIL_ARGS)
#   make check-hostile-user   run it as the unprivileged user runpad-test,
#                             with the jail in a user namespace and a
#                             delegated cgroup parent (prepared here, as root).
#                             cgroup v1: memory, pids and cpuacct/runpad-test
#                             owned by the user.  cgroup v2: runpad-test owned
#                             by the user, the suite itself in its leaf
#                             runpad-test/supervisor (moving the jail into a
#                             slot needs write access to the cgroup.procs of
#                             the common ancestor).
#
# Uses $(B), $(CC), $(ALL_CFLAGS), $(LDHARDEN) and $(B)/runpad-jail from the
# top Makefile.  HOSTILE_FLAGS passes options to Criterion (e.g.
# HOSTILE_FLAGS='--filter hostile/orphan --verbose').

HOSTILE_PROGS  := $(sort $(basename $(notdir $(wildcard tests/hostile/progs/*.c))))
HOSTILE_BINS   := $(HOSTILE_PROGS:%=$(B)/hostile/%)
HOSTILE_USER   ?= runpad-test
HOSTILE_CGROUP ?= runpad-test
HOSTILE_FLAGS  ?=
# Root mode: slot uids and a slot pool of our own.  Other tools on a
# developer machine run as 60000+ and use the default pool's slots at the
# same time; the orphan test looks for any process of the slot uid, and
# other_slot needs slots 0 and 1 promptly.
HOSTILE_ROOT_JAIL_ARGS ?= --first-uid 61000 --cgroup-parent runpad-hostile
HOSTILE_ENV     = RUNPAD_JAIL=$(abspath $(B)/runpad-jail) \
                  RUNPAD_HOSTILE_DIR=$(abspath $(B)/hostile)

# Attack programs: built on the host, copied into the box by --file.
$(B)/hostile/%: tests/hostile/progs/%.c tests/hostile/progs/report.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< -lpthread

# Static: its resident size stays below the jail's init's, so that a
# careless OOM killer would pick init (as it would in the threaded runner).
$(B)/hostile/tmpfs_oom: tests/hostile/progs/tmpfs_oom.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -static-pie -o $@ $<

$(B)/tests/hostile: tests/hostile/test_hostile.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) -o $@ $< -lcriterion -ljson-c

.PHONY: hostile check-hostile check-hostile-user
hostile: $(HOSTILE_BINS) $(B)/tests/hostile

check-hostile: $(B)/runpad-jail hostile
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "check-hostile: must run as root (check-hostile-user is the unprivileged run)" >&2; \
	  exit 1; fi
	@t0=$$(date +%s.%N); \
	env $(HOSTILE_ENV) RUNPAD_HOSTILE_MODE=root \
	  RUNPAD_JAIL_ARGS="$(HOSTILE_ROOT_JAIL_ARGS)" \
	  $(B)/tests/hostile $(HOSTILE_FLAGS); rc=$$?; \
	echo "check-hostile: $$(awk -v t0=$$t0 -v t1=$$(date +%s.%N) 'BEGIN { printf "%.1f", t1 - t0 }') s, exit $$rc"; \
	exit $$rc

check-hostile-user: $(B)/runpad-jail hostile
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "check-hostile-user: must start as root (to create $(HOSTILE_USER) and its cgroups)" >&2; \
	  exit 1; fi
	@id -u $(HOSTILE_USER) >/dev/null 2>&1 || \
	  useradd --system --no-create-home --shell /usr/sbin/nologin $(HOSTILE_USER)
	@set -e; cg=/sys/fs/cgroup; \
	if [ "$$(stat -fc %T $$cg)" = cgroup2fs ]; then \
	  mkdir -p $$cg/$(HOSTILE_CGROUP); \
	  for c in memory pids cpu; do \
	    echo +$$c > $$cg/cgroup.subtree_control 2>/dev/null || \
	      echo "check-hostile-user: cannot enable $$c in $$cg" >&2; \
	  done; \
	  mkdir -p $$cg/$(HOSTILE_CGROUP)/supervisor; \
	  chown $(HOSTILE_USER): $$cg/$(HOSTILE_CGROUP) $$cg/$(HOSTILE_CGROUP)/supervisor; \
	  for f in cgroup.procs cgroup.subtree_control cgroup.threads \
	           supervisor/cgroup.procs supervisor/cgroup.threads; do \
	    [ ! -e $$cg/$(HOSTILE_CGROUP)/$$f ] || chown $(HOSTILE_USER): $$cg/$(HOSTILE_CGROUP)/$$f; \
	  done; \
	else \
	  for c in memory pids cpuacct; do \
	    [ -d $$cg/$$c ] || continue; \
	    mkdir -p $$cg/$$c/$(HOSTILE_CGROUP); \
	    chown -R $(HOSTILE_USER): $$cg/$$c/$(HOSTILE_CGROUP); \
	  done; \
	fi
	@t0=$$(date +%s.%N); \
	if [ "$$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then \
	  echo $$$$ > /sys/fs/cgroup/$(HOSTILE_CGROUP)/supervisor/cgroup.procs; fi; \
	setpriv --reuid=$(HOSTILE_USER) --regid=$(HOSTILE_USER) --init-groups \
	  env $(HOSTILE_ENV) RUNPAD_HOSTILE_MODE=user \
	  RUNPAD_JAIL_ARGS="--cgroup-parent $(HOSTILE_CGROUP)" \
	  $(B)/tests/hostile $(HOSTILE_FLAGS); rc=$$?; \
	echo "check-hostile-user: $$(awk -v t0=$$t0 -v t1=$$(date +%s.%N) 'BEGIN { printf "%.1f", t1 - t0 }') s, exit $$rc"; \
	exit $$rc
