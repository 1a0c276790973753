#!/usr/bin/python3
"""runpad's Piston v2 API driven by an unmodified Piston client: the npm
package piston-client 1.0.2 (tests/integration/piston/), against the whole
stack (Debian's nginx with the shipped snippet, runpad-fcgi, the jail).

Run: /usr/bin/python3 -m unittest tests/integration/test_piston.py
Needs node and npm (skipped without them), the npm registry the first time
(`npm ci` from the committed package-lock.json when node_modules is
missing), and root or a host where the jail can start (runpad-jail --check).
The checks themselves are in piston/test.mjs, one output line each.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import stack  # noqa: E402

CLIENT_DIR = os.path.join(HERE, "piston")


def jail_usable():
    jail = os.path.join(stack.BUILD, "runpad-jail")
    if not os.access(jail, os.X_OK):
        return False, "%s is not built (make all)" % jail
    r = subprocess.run([jail, "--check"], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


class PistonClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node, npm = shutil.which("node"), shutil.which("npm")
        if not cls.node or not npm:
            raise unittest.SkipTest(
                "node and npm are needed to run the npm piston-client "
                "(apt-get install nodejs npm); found node=%s npm=%s" %
                (cls.node, npm))
        if not os.path.isdir(os.path.join(CLIENT_DIR, "node_modules",
                                          "piston-client")):
            r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"],
                               cwd=CLIENT_DIR, capture_output=True,
                               text=True, timeout=300)
            if r.returncode != 0:
                raise RuntimeError("npm ci in %s failed (%d):\n%s%s" % (
                    CLIENT_DIR, r.returncode, r.stdout, r.stderr))
        ok, why = jail_usable()
        if not ok:
            raise unittest.SkipTest("the jail cannot start here:\n" + why)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-itest-piston-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.stack = stack.Stack(cls.tmp, ws=False, fcgi_settings={
            "slots": "2",
            "first_uid": "62500",
            "cgroup_parent": "runpad-itest-piston",
        })
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start()

    def test_piston_client(self):
        # piston-client appends /api/v2/... to its server: give the base
        r = subprocess.run([self.node, "test.mjs", self.stack.url],
                           cwd=CLIENT_DIR, capture_output=True, text=True,
                           timeout=300)
        print("\n" + r.stdout + r.stderr, end="", file=sys.stderr)
        self.assertEqual(r.returncode, 0, "test.mjs failed:\n%s%s\n"
                         "runpad-fcgi log: %s" % (r.stdout, r.stderr,
                                                  self.stack.fcgi_log))


if __name__ == "__main__":
    unittest.main()
