#!/usr/bin/python3
"""Scale-out: two runners and two pad daemons behind one nginx.

The shipped nginx/runpad-http.conf with its upstreams listing two servers
each (the way docs/ops.md, "Scale-out", says to), the shipped snippet
unchanged, and fcgi.ring / ws.ring naming the same servers:

- pads are pinned: every pad opened through nginx is welcomed, and of the
  two daemons exactly one serves it when asked directly; the other refuses
  with `wrong_daemon` and close code 4421, so a pad is never split;
- runs spread: concurrent runs reach both runners (their own metrics,
  read from each runner directly), and the calls that need the runner
  holding a run or a submission (stdin, kill, polls) reach it through
  nginx, for ids made on either runner; asked directly, the other runner
  answers 421 `wrong_runner`;
- shared runs of pads on both daemons, with stdin from a participant.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_scale.py
Needs root or a host where the jail can start, node for the pad part.
"""
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import json
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import stack  # noqa: E402
import test_api  # noqa: E402
import test_ws  # noqa: E402

N = 2


class ScaleStack(stack.Stack):
    """stack.Stack with N runners and N pad daemons."""

    def sock(self, kind, i):
        return os.path.join(self.root, "run", "%s-%d.sock" % (kind, i))

    def direct_port(self, i):
        if not hasattr(self, "direct_ports"):
            self.direct_ports = [stack.free_port() for _ in range(N)]
        return self.direct_ports[i]

    def _render(self):
        http = self.shipped_http()
        fcgi = ["unix:" + self.sock("fcgi", i) for i in range(N)]
        ws = ["unix:" + self.sock("ws", i) for i in range(N)]
        # every upstream of the shipped file lists all the servers
        for one, many in (("unix:/run/runpad-fcgi.sock", fcgi),
                          ("unix:/run/runpad/ws.sock", ws)):
            pat = re.compile(r"(?m)^(\s*)server %s( [^;]*)?;$" % re.escape(one))
            http, n = pat.subn(lambda m: "\n".join(
                "%sserver %s%s;" % (m.group(1), s, m.group(2) or "")
                for s in many), http)
            if not n:
                raise RuntimeError("no `server %s` in runpad-http.conf" % one)
        # each runner on a port of its own, for the test to ask it directly
        for i in range(N):
            http += """
server {
    listen 127.0.0.1:%d;
    location /api/ {
        include %s/conf/fastcgi_params;
        fastcgi_pass unix:%s;
    }
}
""" % (self.direct_port(i), self.root, self.sock("fcgi", i))
        self._render_nginx(http)
        conf = os.path.join(self.root, "conf")
        self.confs = []
        for i in range(N):
            s = {
                "fcgi.listen": self.sock("fcgi", i),
                "fcgi.socket_mode": "0666",
                "fcgi.state_dir": os.path.join(self.root, "state", "r%d" % i),
                "fcgi.ring": ", ".join(fcgi),
                "fcgi.ring_self": fcgi[i],
                # each runner its own slots: uids and cgroups
                "first_uid": str(62000 + 100 * i),
                "cgroup_parent": "runpad-scale-%d" % i,
                "slots": "2",
                "ws.listen": ws[i],
                "ws.state_dir": os.path.join(self.root, "state", "w%d" % i),
                "ws.runner": "unix:%s:/api/" % os.path.join(
                    self.root, "tmp", "nginx.sock"),
                "ws.ring": ", ".join(ws),
                "ws.ring_self": ws[i],
            }
            if os.geteuid() != 0:
                del s["first_uid"]
            path = os.path.join(conf, "runpad-%d.conf" % i)
            with open(path, "w") as f:
                for k, v in s.items():
                    f.write("%s = %s\n" % (k, v))
            self.confs.append(path)

    def start(self):
        self._dirs()
        self._render()
        self.procs = []
        try:
            for i in range(N):
                for name, kind in (("runpad-fcgi", "fcgi"),
                                   ("runpad-ws", "ws")):
                    self.fcgi_conf = self.confs[i]
                    log = os.path.join(self.root, "logs",
                                       "%s-%d.log" % (name, i))
                    p, lf = self._spawn(name, self.sock(kind, i), log)
                    self.procs.append((p, lf, log))
            self.start_nginx()
            self.wait_ready()
        except Exception:
            self.stop()
            raise

    def stop(self):
        self.stop_nginx()
        for p, lf, _ in getattr(self, "procs", []):
            self._end(p, lf, signal.SIGTERM)

    def logs(self):
        out = ""
        for _, _, log in self.procs:
            with open(log, errors="replace") as f:
                out += "--- %s\n%s" % (log, f.read()[-3000:])
        return out


def runs_total(client):
    st, text, _ = client.request("GET", "/api/metrics")
    if isinstance(text, bytes):
        text = text.decode()
    return sum(float(m) for m in re.findall(
        r"(?m)^runpad_runs_total\{[^}]*\} (\S+)$", text))


class ScaleOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ok, why = test_api.jail_usable()
        if not ok:
            raise unittest.SkipTest("the jail cannot start here: " + why)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-scale-")
        cls.s = ScaleStack(cls.tmp)
        cls.s.start()
        cls.c = test_api.Client(cls.s.url)
        cls.direct = [test_api.Client("http://127.0.0.1:%d" %
                                      cls.s.direct_port(i)) for i in range(N)]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_pads_pinned_and_shared_runs(self):
        node, why = test_ws.node_ready()
        if not node:
            self.skipTest(why)
        env = dict(os.environ,
                   RUNPAD_SCALE_WS=self.s.ws_url,
                   RUNPAD_SCALE_DAEMONS=",".join(
                       self.s.sock("ws", i) for i in range(N)))
        r = test_ws.node_test(node, ["scale.test.mjs"], env, 300)
        self.assertEqual(r.returncode, 0, "scale.test.mjs failed\n" +
                         self.s.logs())
        self.assertNotIn("# skipped 1", r.stdout)

    def test_runs_spread_over_both_runners(self):
        before = [runs_total(d) for d in self.direct]
        code = "import time\ntime.sleep(0.4)\nprint('ok')\n"
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            res = list(ex.map(lambda _: self.c.run(language="python",
                                                   code=code), range(16)))
        for st, body, _ in res:
            self.assertEqual(st, 200, body)
            self.assertEqual(body["verdict"], "accepted", body)
        after = [runs_total(d) for d in self.direct]
        got = [a - b for a, b in zip(after, before)]
        print("\nruns per runner: %s" % got, file=sys.stderr)
        self.assertEqual(sum(got), 16, got)
        for i, n in enumerate(got):
            self.assertGreater(n, 0, "runner %d got no run: %s" % (i, got))

    def interactive(self, name):
        code = "name = input()\nprint('hello', name)\n"
        conn, resp = self.c.stream({"language": "python", "code": code,
                                    "interactive": True})
        it = test_api.events(resp)
        _, start = next(it)
        return conn, it, start["id"], name

    def test_stdin_and_polls_reach_the_runner_holding_the_id(self):
        # runs open at once: least_conn puts them on both runners
        runs = [self.interactive("p%d" % i) for i in range(6)]
        owners = set()
        for conn, it, rid, name in runs:
            st, body, _ = self.c.request("POST", "/api/runs/%s/stdin" % rid,
                                         {"data": name + "\n", "eof": True})
            self.assertEqual(st, 200, body)
            # exactly one runner holds it; the other says so
            codes = []
            for d in self.direct:
                st, body, _ = d.request("POST", "/api/runs/%s/stdin" % rid,
                                        {"data": ""})
                codes.append((st, body["error"]["code"] if st >= 400 else ""))
            self.assertIn((421, "wrong_runner"), codes, codes)
            owners.add(codes.index(next(c for c in codes if c[0] != 421)))
        for conn, it, rid, name in runs:
            rest = list(it)
            conn.close()
            result = rest[-1][1]["result"]
            self.assertEqual(result["run"]["stdout"], "hello %s\n" % name)
        self.assertEqual(owners, set(range(N)),
                         "the interactive runs did not reach both runners")

        ids = []
        for i in range(6):
            st, body, _ = self.c.request("POST", "/api/submissions", {
                "language": "bash", "code": "echo sub%d" % i})
            self.assertEqual(st, 202, body)
            ids.append((body["id"], "sub%d\n" % i))
        for sid, want in ids:
            end = time.time() + 60
            while True:
                st, body, _ = self.c.request("GET", "/api/submissions/" + sid)
                self.assertEqual(st, 200, body)
                if body["status"] == "done":
                    break
                self.assertLess(time.time(), end, body)
                time.sleep(0.1)
            self.assertEqual(body["result"]["run"]["stdout"], want)


class RingStack(stack.Stack):
    """nginx and up to three pad daemons (no runner): the ring can change
    while the daemons run."""

    def __init__(self, root):
        super().__init__(root)
        self.members = []  # indexes of the daemons in ws.ring
        self.peers = {}    # index -> extra ws.peers of that daemon
        self.daemons = {}  # index -> (process, log file, log path)

    def sock(self, i):
        return os.path.join(self.root, "run", "ws-%d.sock" % i)

    def entry(self, i):
        return "unix:" + self.sock(i)

    def conf_path(self, i):
        return os.path.join(self.root, "conf", "ws-%d.conf" % i)

    def write_conf(self, i):
        s = {
            "ws.listen": self.entry(i),
            "ws.state_dir": os.path.join(self.root, "state", "w%d" % i),
            "ws.ring": ", ".join(self.entry(k) for k in self.members),
            "ws.ring_self": self.entry(i),
            "ws.peers": ", ".join(self.entry(k)
                                  for k in self.peers.get(i, [])),
        }
        with open(self.conf_path(i), "w") as f:
            for k, v in s.items():
                f.write("%s = %s\n" % (k, v))

    def render_nginx(self):
        http = self.shipped_http().replace(
            "unix:/run/runpad-fcgi.sock",
            "unix:" + os.path.join(self.root, "run", "no-runner.sock"))
        pat = re.compile(r"(?m)^(\s*)server unix:/run/runpad/ws.sock( [^;]*)?;$")
        http, n = pat.subn(lambda m: "\n".join(
            "%sserver %s%s;" % (m.group(1), self.entry(k), m.group(2) or "")
            for k in self.members), http)
        if not n:
            raise RuntimeError("no ws server in runpad-http.conf")
        self._render_nginx(http)

    def start_daemon(self, i):
        self.write_conf(i)
        self.fcgi_conf = self.conf_path(i)
        log = os.path.join(self.root, "logs", "runpad-ws-%d.log" % i)
        p, lf = self._spawn("runpad-ws", self.sock(i), log)
        self.daemons[i] = (p, lf, log)

    def ring(self, members, peers=None):
        """Make ws.ring `members` (and ws.peers) everywhere: the daemons
        reload first, then nginx."""
        self.members = list(members)
        self.peers = dict(peers or {})
        for i in self.members:
            if i in self.daemons:
                self.write_conf(i)
                self.daemons[i][0].send_signal(signal.SIGHUP)
            else:
                self.start_daemon(i)
        time.sleep(0.3)
        self.render_nginx()
        if self.nginx:
            self.nginx.send_signal(signal.SIGHUP)
            time.sleep(0.5)

    def start(self):
        self._dirs()
        self.ring([0])
        self.start_nginx()
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def get(self, i, path, headers=None):
        """(status, JSON body) of GET path on daemon i's own socket."""
        import http.client
        import socket as sk

        class UnixConn(http.client.HTTPConnection):
            def connect(conn):
                conn.sock = sk.socket(sk.AF_UNIX, sk.SOCK_STREAM)
                conn.sock.connect(self.sock(i))
        c = UnixConn("localhost")
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        return r.status, body

    def stored(self, i):
        """pads_stored of daemon i's /healthz."""
        return self.get(i, "/healthz")[1]["pads_stored"]

    def stop(self):
        self.stop_nginx()
        for p, lf, _ in self.daemons.values():
            self._end(p, lf, signal.SIGTERM)

    def logs(self):
        out = ""
        for _, _, log in self.daemons.values():
            with open(log, errors="replace") as f:
                out += "--- %s\n%s" % (log, f.read()[-4000:])
        return out


class RingChange(unittest.TestCase):
    """Pads move with the ring: one pad daemon holds 24 pads, a second and
    a third join the ring, then the second leaves it (listed in the
    others' ws.peers); every pad keeps its text, language and whole
    history, and collab clients typing through nginx all along reconnect
    and lose no edit."""

    def test_pads_move_with_the_ring(self):
        node, why = test_ws.node_ready()
        if not node:
            self.skipTest(why)
        tmp = tempfile.mkdtemp(prefix="runpad-ring-")
        s = RingStack(tmp)
        try:
            s.start()
            env = dict(os.environ, RUNPAD_RING_WS=s.ws_url)
            pads = os.path.join(tmp, "pads.json")

            def phase(mode):
                r = subprocess.run([node, "ring.mjs", mode, pads],
                                   cwd=test_ws.CLIENT_DIR, env=env,
                                   capture_output=True, text=True,
                                   timeout=120)
                self.assertEqual(r.returncode, 0, "ring.mjs %s failed:\n%s\n%s\n%s"
                                 % (mode, r.stdout, r.stderr, s.logs()))
                print(r.stdout, file=sys.stderr)

            phase("write")
            self.assertEqual(s.stored(0), 24)
            with open(pads) as f:
                one = sorted(json.load(f))[0]
            # the hand-over is for the daemons, never through nginx
            st, body = s.get(0, "/handoff/" + one,
                             {"X-Forwarded-For": "192.0.2.1"})
            self.assertEqual((st, body["error"]["code"]), (403, "forbidden"))
            for path in ("/ws/../handoff/", "/ws/%2e%2e/handoff/"):
                try:
                    with urllib.request.urlopen(s.url + path + one,
                                                timeout=5) as r:
                        text = r.read()
                except urllib.error.HTTPError as e:
                    text = e.read()
                self.assertNotIn(b'"updates"', text, path)
            self.assertEqual(s.stored(0), 24, "a probe moved a pad")
            live = subprocess.Popen([node, "ring.mjs", "live", pads],
                                    cwd=test_ws.CLIENT_DIR, env=env,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            s.ring([0, 1])
            time.sleep(1.5)
            s.ring([0, 1, 2])
            time.sleep(1.5)
            phase("check")
            moved = [s.stored(i) for i in range(3)]
            print("pads stored per daemon after 0 -> 0,1 -> 0,1,2: %s"
                  % moved, file=sys.stderr)
            for i in range(3):
                self.assertGreater(moved[i], 0, moved)
            # 1 leaves: the others ask it for its pads until they have them
            s.ring([0, 2], peers={0: [1], 2: [1]})
            time.sleep(1.5)
            phase("check")
            with open(pads + ".stop", "w"):
                pass
            out, err = live.communicate(timeout=90)
            self.assertEqual(live.returncode, 0, "ring.mjs live failed:\n%s\n%s\n%s"
                             % (out, err, s.logs()))
            print(out, file=sys.stderr)
            deadline = time.time() + 20
            while s.stored(1) and time.time() < deadline:
                time.sleep(0.2)
            after = [s.stored(i) for i in range(3)]
            print("after 1 left: %s" % after, file=sys.stderr)
            self.assertEqual(after[1], 0, "the daemon that left kept pads")
            # the 24 and the live clients' 8
            self.assertEqual(after[0] + after[2], 32, after)
        finally:
            s.stop()
            if not os.environ.get("RUNPAD_KEEP"):
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
