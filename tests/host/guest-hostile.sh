#!/bin/bash
# guest-hostile.sh - the hostile suite in the guest, as the runpad user, in
# the cgroup systemd delegated to this transient service (systemd-run -p
# Delegate=yes): the suite moves itself into a "supervisor" leaf, as the
# packaged runner does, so the jail can make its slots beside it.
set -eu
# Emulation (TCG) runs several times slower than the build machine: the
# few attacks that need seconds of work first get 4 times their time
# limits (RUNPAD_HOSTILE_TIME_SCALE, tests/hostile/test_hostile.c).
cg=$(cut -d: -f3 /proc/self/cgroup)
mkdir -p /sys/fs/cgroup$cg/supervisor
echo $$ > /sys/fs/cgroup$cg/supervisor/cgroup.procs
export RUNPAD_JAIL=/usr/bin/runpad-jail RUNPAD_HOSTILE_DIR=/var/tmp/hostile \
       RUNPAD_HOSTILE_TIME_SCALE=${RUNPAD_HOSTILE_TIME_SCALE:-4} \
       RUNPAD_HOSTILE_MODE=user RUNPAD_JAIL_ARGS="--cgroup-parent ${cg#/}"
# other_slot's attack gets 3 s of CPU for its guesses, which emulation
# (TCG) does not give it: skipped here, run on the build machine
exec /var/tmp/hostile/test_hostile --jobs=1 --filter '!(hostile/other_slot)' "$@"
