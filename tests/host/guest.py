#!/usr/bin/python3
"""make check-host: runpad's Debian packages on a real Debian 12 host.

The build machines have cgroup v1 and no systemd; the hosts admins install
on boot systemd as PID 1 with the unified cgroup v2 hierarchy.  This builds
such a host from Debian's archive (mmdebstrap: bookworm with systemd-sysv,
linux-image-amd64, nginx-light, the libraries runpad's packages need and
python3, gcc, a JDK and nodejs for the checks), boots it under qemu, and
runs tests/host/guest-check.sh in it, as root, from a systemd unit:

  * the guest has no network but a host-forwarded loopback port to its
    nginx (user networking with restrict=on: no route out);
  * the .debs, the check scripts, the hostile suite and the
    @codemirror/collab clients (tests/integration/collab, host.test.mjs)
    go in through a 9p share (this run's directory), which is also where
    the guest writes its results;
  * it boots twice: the second boot checks what must survive a reboot
    (a pad's text and version, an async submission).

The image is cached in $RUNPAD_HOST_CACHE (default
/var/cache/runpad-check-host), keyed by the package list and the image
recipe, so only the first run on a machine builds it.  KVM is used when a
guest boots with it (probed with a short timeout), TCG otherwise.

Prints one line per check and ends with
`check-host: N passed, M failed (cgroup ..., accel ...)`.
Exit 0 when all passed; 77 (skip) with the reason when qemu cannot start.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("RUNPAD_BUILD", os.path.join(REPO, "build"))
sys.path.insert(0, os.path.join(REPO, "tests"))
from stack import free_port  # noqa: E402
CACHE = os.environ.get("RUNPAD_HOST_CACHE", "/var/cache/runpad-check-host")
MIRROR = os.environ.get("RUNPAD_HOST_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
# Everything the guest needs, for the checks too: it has no network.
PACKAGES = sorted("""
systemd-sysv udev kmod initramfs-tools linux-image-amd64 iproute2 procps
util-linux adduser man-db nginx-light dbus
libseccomp2 libjson-c5 libfcgi0ldbl liblmdb0 libwebsockets17
python3 gcc g++ libc6-dev default-jdk-headless nodejs libcriterion3
""".split())
IMAGE_SIZE = "6G"
RECIPE = "3"  # bump when the image's files below change
TIMEOUT = int(os.environ.get("RUNPAD_HOST_TIMEOUT", "1500"))

FSTAB = "/dev/vda / ext4 defaults 0 1\nhost /mnt/host 9p " \
        "trans=virtio,version=9p2000.L,msize=1048576,nofail 0 0\n"
UNIT = """[Unit]
Description=runpad's checks on a real host (make check-host)
After=multi-user.target nginx.service
Wants=multi-user.target
RequiresMountsFor=/mnt/host
ConditionPathExists=/mnt/host/guest-check.sh

[Service]
Type=oneshot
ExecStart=/bin/bash /mnt/host/guest-check.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
"""


def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def image_key():
    h = hashlib.sha256()
    h.update(("%s %s %s %s %s" % (SUITE, RECIPE, IMAGE_SIZE, FSTAB, UNIT))
             .encode())
    h.update(" ".join(PACKAGES).encode())
    return h.hexdigest()[:16]


def build_image(dest):
    """mmdebstrap into a directory, add the guest's own files, make an
    ext4 image of it with mke2fs -d (no loop device, no mount)."""
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="runpad-host-build-", dir=CACHE)
    root = os.path.join(work, "root")
    try:
        log("check-host: building the Debian 12 image (cached in %s)" % CACHE)
        run(["mmdebstrap", "--variant=apt", "--quiet",
             "--include=" + ",".join(PACKAGES), SUITE, root, MIRROR],
            stdout=subprocess.DEVNULL)
        with open(os.path.join(root, "etc/fstab"), "w") as f:
            f.write(FSTAB)
        with open(os.path.join(root, "etc/hostname"), "w") as f:
            f.write("runpad-guest\n")
        os.makedirs(os.path.join(root, "mnt/host"), exist_ok=True)
        unit = os.path.join(root, "etc/systemd/system/runpad-check.service")
        with open(unit, "w") as f:
            f.write(UNIT)
        wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants")
        os.makedirs(wants, exist_ok=True)
        os.symlink("/etc/systemd/system/runpad-check.service",
                   os.path.join(wants, "runpad-check.service"))
        # the 9p modules in the initramfs' neighbourhood: loaded at boot
        with open(os.path.join(root, "etc/modules-load.d/9p.conf"), "w") as f:
            f.write("9p\n9pnet_virtio\n")
        # root without a password on the serial console, for debugging
        run(["chroot", root, "passwd", "-d", "root"],
            stdout=subprocess.DEVNULL)
        boot = os.path.join(root, "boot")
        kernel = sorted(x for x in os.listdir(boot) if x.startswith("vmlinuz-"))
        initrd = sorted(x for x in os.listdir(boot) if x.startswith("initrd.img-"))
        if not kernel or not initrd:
            raise RuntimeError("no kernel or initrd in the image's /boot")
        shutil.copy(os.path.join(boot, kernel[-1]), dest + ".vmlinuz")
        shutil.copy(os.path.join(boot, initrd[-1]), dest + ".initrd")
        run(["mke2fs", "-q", "-t", "ext4", "-d", root, "-L", "runpad-guest",
             dest + ".tmp", IMAGE_SIZE])
        os.rename(dest + ".tmp", dest + ".img")
        log("check-host: image built in %.0f s" % (time.time() - t0))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def qemu_cmd(base, share, overlay, accel, port, serial):
    return ["qemu-system-x86_64", "-machine", "q35,accel=" + accel,
            "-cpu", "max" if accel == "tcg" else "host", "-smp", "2",
            "-m", "3072", "-nographic", "-no-user-config", "-nodefaults",
            "-kernel", base + ".vmlinuz", "-initrd", base + ".initrd",
            # Debian's default command line but for the console and the
            # root device: no cgroup override, so cgroup v2 (unified)
            "-append", "root=/dev/vda ro console=ttyS0",
            "-drive", "file=%s,if=virtio,format=qcow2" % overlay,
            "-virtfs", "local,path=%s,mount_tag=host,security_model=none,"
                       "id=host" % share,
            "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%d-:80"
                       % port,
            "-device", "virtio-net-pci,netdev=n0",
            "-serial", "file:" + serial, "-monitor", "none"]


def kvm_boots(base, work):
    """Does a guest get as far as the kernel's first line with KVM?

    The firmware's banner is not enough: on some hosts SeaBIOS prints and
    the kernel then hangs before its first line."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    serial = os.path.join(work, "kvm-probe.log")
    overlay = os.path.join(work, "kvm-probe.qcow2")
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
         base + ".img", overlay])
    p = subprocess.Popen(qemu_cmd(base, work, overlay, "kvm", free_port(),
                                  serial),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = False
    for _ in range(150):
        time.sleep(0.1)
        if p.poll() is not None:
            break
        try:
            with open(serial, "rb") as f:
                if b"Linux version" in f.read():
                    ok = True
                    break
        except FileNotFoundError:
            pass
    p.kill()
    p.wait()
    os.unlink(overlay)
    return ok


def stage_share(share):
    """The 9p share: the packages, the checks, the hostile suite."""
    debs = [f for f in os.listdir(os.path.join(BUILD, "deb"))
            if f.endswith(".deb")]
    if not debs:
        raise RuntimeError("no .deb in %s/deb (make deb)" % BUILD)
    os.makedirs(os.path.join(share, "debs"))
    for f in debs:
        shutil.copy(os.path.join(BUILD, "deb", f), os.path.join(share, "debs"))
    for f in ("guest-check.sh", "guest_api.py", "guest-hostile.sh"):
        shutil.copy(os.path.join(HERE, f), share)
    shutil.copytree(os.path.join(BUILD, "hostile"),
                    os.path.join(share, "hostile"))
    shutil.copy(os.path.join(BUILD, "tests", "hostile"),
                os.path.join(share, "hostile", "test_hostile"))
    collab = os.path.join(REPO, "tests", "integration", "collab")
    if not os.path.isdir(os.path.join(collab, "node_modules", "@codemirror",
                                       "collab")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=collab,
                       check=True, capture_output=True, timeout=300)
    shutil.copytree(collab, os.path.join(share, "collab"))
    os.makedirs(os.path.join(share, "out"))


def host_http_check(port, share):
    """From the host, through the forwarded port: the guest's nginx serves
    runpad's app and API (the guest waits for this, see guest-check.sh)."""
    ok = False
    detail = ""
    try:
        with urllib.request.urlopen(
                "http://127.0.0.1:%d/runpad/api/runtimes" % port,
                timeout=30) as r:
            body = r.read().decode()
            ok = r.status == 200 and '"python"' in body
            detail = "HTTP %d, %d bytes" % (r.status, len(body))
    except Exception as e:  # any failure is the check's answer
        detail = str(e)
    with open(os.path.join(share, "out", "host-http"), "w") as f:
        f.write(("ok " if ok else "FAIL ") + detail + "\n")


def main():
    if os.geteuid() != 0:
        log("check-host: skipped: needs root (to build the image)")
        return 77
    for tool in ("qemu-system-x86_64", "qemu-img", "mmdebstrap", "mke2fs"):
        if not shutil.which(tool):
            log("check-host: skipped: %s is missing (make deps installs it)"
                % tool)
            return 77
    os.makedirs(CACHE, exist_ok=True)
    base = os.path.join(CACHE, "bookworm-" + image_key())
    t0 = time.time()
    if not os.path.exists(base + ".img"):
        build_image(base)
    else:
        log("check-host: image %s (cached)" % os.path.basename(base))
    work = tempfile.mkdtemp(prefix="runpad-check-host-")
    try:
        share = os.path.join(work, "share")
        os.makedirs(share)
        os.chmod(work, 0o755)
        stage_share(share)
        accel = "kvm" if kvm_boots(base, work) else "tcg"
        if accel == "tcg" and os.access("/dev/kvm", os.R_OK | os.W_OK):
            log("check-host: KVM: the kernel printed nothing within 15 s; "
                "using TCG")
        with open(os.path.join(share, "accel"), "w") as f:
            f.write(accel + "\n")
        overlay = os.path.join(work, "guest.qcow2")
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
             base + ".img", overlay])
        port = free_port()
        serial = os.path.join(work, "serial.log")
        log("check-host: booting the guest (accel %s, nginx on 127.0.0.1:%d)"
            % (accel, port))
        p = subprocess.Popen(qemu_cmd(base, share, overlay, accel, port,
                                      serial),
                             stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(work, "qemu.err"), "w"))
        printed = 0
        done_http = False
        deadline = time.time() + TIMEOUT
        results = os.path.join(share, "out", "results")
        while p.poll() is None and time.time() < deadline:
            time.sleep(1)
            if os.path.exists(results):
                with open(results) as f:
                    lines = f.read().splitlines()
                for line in lines[printed:]:
                    log(line)
                printed = len(lines)
            if not done_http and os.path.exists(
                    os.path.join(share, "out", "want-host-http")):
                host_http_check(port, share)
                done_http = True
        if p.poll() is None:
            p.kill()
            log("check-host: the guest did not power off within %d s" % TIMEOUT)
        p.wait()
        lines = open(results).read().splitlines() if os.path.exists(results) else []
        for line in lines[printed:]:
            log(line)
        passed = sum(1 for x in lines if x.startswith("ok "))
        failed = sum(1 for x in lines if x.startswith("FAIL "))
        finished = any(x.startswith("done") for x in lines)
        if not finished:
            failed += 1
            log("FAIL the checks did not finish; the guest's console:")
            with open(serial, errors="replace") as f:
                tail = f.read()[-6000:]
            log(tail)
        if failed:
            show_failure_logs(os.path.join(share, "out"))
        cg = "?"
        for x in lines:
            if x.startswith("ok cgroup "):
                cg = x.split()[2]
        log("check-host: %d passed, %d failed (cgroup %s, accel %s, %.0f s)"
            % (passed, failed, cg, accel, time.time() - t0))
        if failed and os.environ.get("RUNPAD_HOST_KEEP"):
            log("check-host: kept %s" % work)
            work = None
        return 0 if failed == 0 else 1
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)


def show_failure_logs(out):
    """A failed run's evidence on the console: the run directory is removed,
    and CI keeps only what was printed."""
    hostile = os.path.join(out, "hostile.log")
    if os.path.exists(hostile):
        with open(hostile, errors="replace") as f:
            bad = [x.rstrip() for x in f
                   if "[FAIL]" in x or "[----]" in x or "CRASH" in x]
        log("check-host: the hostile suite's failures:")
        for x in bad[-60:]:
            log("  " + x)
    stderr = os.path.join(out, "guest-stderr")
    if os.path.exists(stderr) and os.path.getsize(stderr):
        with open(stderr, errors="replace") as f:
            log("check-host: the guest's stderr (tail):\n" + f.read()[-3000:])


if __name__ == "__main__":
    sys.exit(main())
