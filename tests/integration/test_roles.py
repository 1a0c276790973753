#!/usr/bin/python3
"""Pad creation behind nginx, exactly as docs/ops.md ("Behind nginx:
auth_basic or auth_request") writes it: the location block is taken from
the page, given a password file and the stack's socket, and put in front
of the whole stack (Debian's nginx, runpad-ws with ws.create secret,
runpad-fcgi); collab/nginx-create.test.mjs then talks to it as a browser
would.

Run: /usr/bin/python3 -m unittest tests/integration/test_roles.py
Needs node and npm (skipped without them), build/runpad-ws and a host where
runpad-fcgi's jail can start (as tests/integration/test_ws.py).
"""
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import stack  # noqa: E402
from test_ws import CLIENT_DIR, jail_usable, node_ready, node_test, ws_built  # noqa: E402

OPS = os.path.join(stack.REPO, "docs", "ops.md")
SECRET = "9c1f0d8e6b7a4c3d2e1f0a9b8c7d6e5f"
USER, PASSWORD = "alice", "correct horse"


def guarded_location(htpasswd, ws_sock):
    """The ```nginx block of ops.md's "Behind nginx" section, pointed at
    this stack."""
    with open(OPS) as f:
        text = f.read()
    section = text[text.index("#### Behind nginx"):]
    m = re.search(r"```nginx\n(.*?)```", section, re.S)
    if not m:
        raise AssertionError("docs/ops.md has no nginx block under "
                             "'Behind nginx'")
    block = m.group(1)
    for want in ("location ^~ /ws/new/", "auth_basic_user_file",
                 "proxy_set_header X-Runpad-Create-Secret \"%s\"" % SECRET):
        if want not in block:
            raise AssertionError("docs/ops.md's block lacks %r" % want)
    return block.replace("/etc/nginx/runpad.htpasswd", htpasswd)


class CreateBehindNginx(unittest.TestCase):
    def test_guarded_creation(self):
        node, why = node_ready()
        if not node:
            self.skipTest(why)
        ok, why = ws_built()
        if not ok:
            self.skipTest(why)
        ok, why = jail_usable()
        if not ok:
            self.skipTest("the jail cannot start here:\n" + why)
        tmp = tempfile.mkdtemp(prefix="runpad-itest-roles-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        htpasswd = os.path.join(tmp, "runpad.htpasswd")
        os.makedirs(tmp, exist_ok=True)
        with open(htpasswd, "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        os.chmod(htpasswd, 0o644)
        st = stack.Stack(tmp, ws=True, server_extra=guarded_location(
            htpasswd, None), fcgi_settings={
                "slots": "1",
                "first_uid": "62700",
                "cgroup_parent": "runpad-itest-roles",
                "ws.create": "secret",
                "ws.create_secret": SECRET,
                "ws.templates": os.path.join(stack.REPO, "packaging",
                                             "templates"),
            })
        self.addCleanup(st.stop)
        st.start()
        env = dict(os.environ, RUNPAD_STACK_URL=st.url + "/",
                   RUNPAD_CREATE_USER=USER, RUNPAD_CREATE_PASSWORD=PASSWORD)
        r = node_test(node, ["nginx-create.test.mjs"], env, 120)
        self.assertEqual(r.returncode, 0, "node --test nginx-create.test.mjs "
                         "failed (the output above says why)")


if __name__ == "__main__":
    unittest.main()
