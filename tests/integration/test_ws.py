#!/usr/bin/python3
"""runpad-ws driven by the real @codemirror/collab and @codemirror/state in
node (tests/integration/collab/, node's built-in test runner).

- CollabDaemon: every collab/*.test.mjs but the shared runs, each test with
  its own runpad-ws on 127.0.0.1 (RUNPAD_BUILD tells them where it is).
- SharedRuns: collab/runs.test.mjs against the whole stack (Debian's nginx
  with the shipped snippets, runpad-ws, runpad-fcgi, the jail), with
  RUNPAD_STACK_WS set to the stack's websocket base.

Run: /usr/bin/python3 -m unittest tests/integration/test_ws.py
Needs node and npm (skipped without them), the npm registry the first time
(`npm ci` from the committed package-lock.json when node_modules is
missing), build/runpad-ws, and for SharedRuns root or a host where the jail
can start (runpad-jail --check).  RUNPAD_SEED=<n> replays the random tests.
"""
import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import stack  # noqa: E402

CLIENT_DIR = os.path.join(HERE, "collab")
RUNS_FILE = "runs.test.mjs"
# the installed packages only (tests/packaging/test_deb.py)
DEB_FILE = "deb-smoke.test.mjs"
# two daemons behind nginx (tests/integration/test_scale.py)
SCALE_FILE = "scale.test.mjs"
# creation guarded by nginx (tests/integration/test_roles.py)
NGINX_CREATE_FILE = "nginx-create.test.mjs"


def node_ready():
    """(node, None) or (None, why not)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, ("node and npm are needed to run @codemirror/collab "
                      "(apt-get install nodejs npm); found node=%s npm=%s" %
                      (node, npm))
    if not os.path.isdir(os.path.join(CLIENT_DIR, "node_modules",
                                      "@codemirror", "collab")):
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"],
                           cwd=CLIENT_DIR, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise RuntimeError("npm ci in %s failed (%d):\n%s%s" % (
                CLIENT_DIR, r.returncode, r.stdout, r.stderr))
    return node, None


def node_test(node, files, env, timeout):
    r = subprocess.run([node, "--test", "--test-reporter=spec"] + files,
                       cwd=CLIENT_DIR, env=env, capture_output=True,
                       text=True, timeout=timeout)
    print("\n" + r.stdout + r.stderr, end="", file=sys.stderr)
    return r


def ws_built():
    ws = os.path.join(stack.BUILD, "runpad-ws")
    if not os.access(ws, os.X_OK):
        return False, "%s is not built (make build/runpad-ws)" % ws
    return True, ""


class CollabDaemon(unittest.TestCase):
    def test_collab_node(self):
        node, why = node_ready()
        if not node:
            self.skipTest(why)
        ok, why = ws_built()
        if not ok:
            self.skipTest(why)
        files = sorted(os.path.basename(f) for f in
                       glob.glob(os.path.join(CLIENT_DIR, "*.test.mjs")))
        files.remove(RUNS_FILE)
        files.remove(DEB_FILE)
        files.remove(SCALE_FILE)
        files.remove(NGINX_CREATE_FILE)
        env = dict(os.environ, RUNPAD_BUILD=stack.BUILD)
        env.pop("RUNPAD_STACK_WS", None)
        r = node_test(node, files, env, 240)
        self.assertEqual(r.returncode, 0, "node --test %s failed (the "
                         "output above has each failure and the daemon's "
                         "log tail)" % " ".join(files))


def jail_usable():
    jail = os.path.join(stack.BUILD, "runpad-jail")
    if not os.access(jail, os.X_OK):
        return False, "%s is not built (make all)" % jail
    r = subprocess.run([jail, "--check"], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


class SharedRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node, why = node_ready()
        if not cls.node:
            raise unittest.SkipTest(why)
        ok, why = ws_built()
        if not ok:
            raise unittest.SkipTest(why)
        ok, why = jail_usable()
        if not ok:
            raise unittest.SkipTest("the jail cannot start here:\n" + why)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-itest-ws-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.stack = stack.Stack(cls.tmp, ws=True, fcgi_settings={
            "slots": "2",
            "first_uid": "62600",
            "cgroup_parent": "runpad-itest-ws",
        })
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start()

    def test_healthz(self):
        """The pad daemon's /healthz: alive, with its load, the map's fill
        and the store's format."""
        path = self.stack.ws_sock

        class UnixHTTP(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(10)
                self.sock.connect(path)

        c = UnixHTTP("localhost")
        c.request("GET", "/healthz")
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        self.assertEqual(r.status, 200, body)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        self.assertEqual(body["status"], "ok")
        for k in ("pads_in_memory", "pads_stored", "connections", "runs"):
            self.assertIsInstance(body[k], int, k)
            self.assertGreaterEqual(body[k], 0, k)
        self.assertEqual(body["map_size"], 1 << 30)  # ws.map_size's default
        self.assertGreater(body["map_used"], 0)
        self.assertLessEqual(body["map_used"], body["map_size"])
        self.assertEqual(body["format"], 2)  # the pad store's (docs/ops.md)
        # anything else is not a page
        c = UnixHTTP("localhost")
        c.request("GET", "/nothing")
        r = c.getresponse()
        self.assertEqual(r.status, 404)
        self.assertEqual(json.loads(r.read())["error"]["code"], "not_found")
        c.close()

    def test_shared_runs(self):
        env = dict(os.environ, RUNPAD_BUILD=stack.BUILD,
                   RUNPAD_STACK_WS=self.stack.ws_url)
        r = node_test(self.node, [RUNS_FILE], env, 180)
        self.assertEqual(r.returncode, 0, "%s failed; runpad-ws log: %s, "
                         "runpad-fcgi log: %s" % (RUNS_FILE,
                                                  self.stack.ws_log,
                                                  self.stack.fcgi_log))
        self.assertNotIn("# skipped 1", r.stdout)


if __name__ == "__main__":
    unittest.main()
