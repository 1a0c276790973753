#!/usr/bin/python3
"""The web app end to end: Debian's Chromium driven by playwright-core
(tests/e2e/, node's built-in test runner) against the whole stack (Debian's
nginx serving web/dist, runpad-fcgi, runpad-ws, the jail).

- WebApp.test_pages: every tests/e2e/*.test.mjs but the restart, with
  RUNPAD_URL (the site) and RUNPAD_WS (the daemon's websocket base).
- WebApp.test_daemon_restart: tests/e2e/restart.test.mjs; when it writes
  $RUNPAD_CONTROL/ready-to-restart, runpad-ws is stopped (SIGTERM) and
  started again, and $RUNPAD_CONTROL/restarted is written.

Run: /usr/bin/python3 -m unittest tests/integration/test_web.py
Needs /usr/bin/chromium (apt-get install chromium), a built web app
(web/dist/index.html: cd web && npm ci && npm run build; `make check` builds
it first), node and npm, the npm registry the first time (`npm ci` in
tests/e2e from the committed package-lock.json when node_modules is
missing), build/runpad-ws and build/runpad-fcgi, and root or a host where
the jail can start.  Screenshots go to RUNPAD_SHOTS (default
/tmp/runpad-e2e-shots); RUNPAD_SEED=<n> replays the random typing.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import stack  # noqa: E402

E2E_DIR = os.path.join(os.path.dirname(HERE), "e2e")
CHROMIUM = "/usr/bin/chromium"
DIST_INDEX = os.path.join(stack.REPO, "web", "dist", "index.html")
RESTART_FILE = "restart.test.mjs"


def why_not():
    """None when the e2e tests can run, else the reason they cannot."""
    if not os.access(CHROMIUM, os.X_OK):
        return "%s is missing (apt-get install chromium)" % CHROMIUM
    if not os.path.exists(DIST_INDEX):
        return ("%s is missing: the web app is not built (cd web && npm ci "
                "&& npm run build; make check does it)" % DIST_INDEX)
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node and npm are needed (found node=%s npm=%s)" % (node, npm)
    for b in ("runpad-ws", "runpad-fcgi", "runpad-jail"):
        if not os.access(os.path.join(stack.BUILD, b), os.X_OK):
            return "%s is not built (make all)" % os.path.join(stack.BUILD, b)
    r = subprocess.run([os.path.join(stack.BUILD, "runpad-jail"), "--check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "the jail cannot start here:\n" + r.stdout + r.stderr
    return None


def npm_ci():
    if os.path.isdir(os.path.join(E2E_DIR, "node_modules", "playwright-core")):
        return
    r = subprocess.run([shutil.which("npm"), "ci", "--no-audit", "--no-fund"],
                       cwd=E2E_DIR, capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        raise RuntimeError("npm ci in %s failed (%d):\n%s%s" % (
            E2E_DIR, r.returncode, r.stdout, r.stderr))


def skipped(output):
    """The count in the test runner's summary line `skipped N`."""
    counts = re.findall(r"^\S*\s*skipped (\d+)\s*$", output, re.M)
    return int(counts[-1]) if counts else -1


class WebApp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = why_not()
        if why:
            raise unittest.SkipTest(why)
        npm_ci()
        cls.node = shutil.which("node")
        cls.tmp = tempfile.mkdtemp(prefix="runpad-itest-web-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.stack = stack.Stack(cls.tmp, ws=True, fcgi_settings={
            "slots": "2",
            "first_uid": "62200",
            "cgroup_parent": "runpad-itest",
        })
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start()
        if cls.stack.webroot() != os.path.dirname(DIST_INDEX):
            raise RuntimeError("the stack serves %s, not web/dist" %
                               cls.stack.webroot())

    def env(self, **more):
        env = dict(os.environ, RUNPAD_URL=self.stack.url,
                   RUNPAD_WS=self.stack.ws_url, **more)
        env.setdefault("RUNPAD_SHOTS", "/tmp/runpad-e2e-shots")
        return env

    def logs(self):
        return "runpad-ws log: %s, runpad-fcgi log: %s, nginx: %s" % (
            self.stack.ws_log, self.stack.fcgi_log,
            os.path.join(self.stack.root, "logs"))

    def test_pages(self):
        files = sorted(os.path.basename(f) for f in
                       glob.glob(os.path.join(E2E_DIR, "*.test.mjs")))
        files.remove(RESTART_FILE)
        # one file at a time: the editor-ready time is not measured under
        # the load of other browsers
        r = subprocess.run([self.node, "--test", "--test-reporter=spec",
                            "--test-concurrency=1"] + files,
                           cwd=E2E_DIR, env=self.env(), capture_output=True,
                           text=True, timeout=300)
        print("\n" + r.stdout + r.stderr, end="", file=sys.stderr)
        self.assertEqual(r.returncode, 0, "node --test %s failed (the "
                         "output above has each failure); %s" % (
                             " ".join(files), self.logs()))
        self.assertEqual(skipped(r.stdout), 0, "a test was skipped")

    def test_daemon_restart(self):
        control = tempfile.mkdtemp(prefix="control-", dir=self.tmp)
        out = open(os.path.join(control, "node.log"), "w+")
        proc = subprocess.Popen(
            [self.node, "--test", "--test-reporter=spec", RESTART_FILE],
            cwd=E2E_DIR, env=self.env(RUNPAD_CONTROL=control),
            stdout=out, stderr=subprocess.STDOUT)
        try:
            ready = os.path.join(control, "ready-to-restart")
            deadline = time.time() + 90
            while not os.path.exists(ready):
                if proc.poll() is not None or time.time() > deadline:
                    break
                time.sleep(0.05)
            if os.path.exists(ready):
                self.stack.stop_ws()
                self.stack.start_ws()
                with open(os.path.join(control, "restarted"), "w") as f:
                    f.write("restarted\n")
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.seek(0)
            text = out.read()
            out.close()
            print("\n" + text, end="", file=sys.stderr)
        self.assertTrue(os.path.exists(ready), "%s never asked for the "
                        "restart" % RESTART_FILE)
        self.assertEqual(proc.returncode, 0, "%s failed (the output above "
                         "has the failure); %s" % (RESTART_FILE, self.logs()))
        self.assertEqual(skipped(text), 0, "the restart test was skipped")


if __name__ == "__main__":
    unittest.main()
