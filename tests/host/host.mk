# tests/host/host.mk - make check-host, included by the top Makefile.
#
#   make check-host   runpad's packages on a real Debian 12 host: a guest
#                     built from Debian's archive (cached in
#                     /var/cache/runpad-check-host), booted under qemu with
#                     systemd as PID 1 and cgroup v2; see tests/host/guest.py
#
# Uses the .debs of $(B)/deb (made by make deb when there are none) and the
# hostile suite of $(B).  RUNPAD_HOST_KEEP=1 keeps a failed run's directory.

.PHONY: check-host
check-host: hostile
	@ls $(B)/deb/runpad-runner_*.deb >/dev/null 2>&1 || $(MAKE) --no-print-directory deb
	RUNPAD_BUILD=$(abspath $(B)) $(PYTHON) tests/host/guest.py
