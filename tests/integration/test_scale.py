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
import sys
import tempfile
import time
import unittest

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


if __name__ == "__main__":
    unittest.main()
