#!/usr/bin/python3
"""bench/api.py: what a run costs end to end through the run API.

Prints figures and asserts nothing about time; what is fast enough is up to
you.  Python 3 standard library only; see bench/README.md for a sample.

  make bench-api                          # or: /usr/bin/python3 bench/api.py
  /usr/bin/python3 bench/api.py -n 50 -t 3 -c 1,4 --json build/bench/api.json
  /usr/bin/python3 bench/api.py --url http://127.0.0.1:8080   # a running site

Without --url it starts its own stack (tests/stack.py: Debian's nginx with
the shipped snippet, runpad-fcgi with --slots jail slots, cgroup parent
runpad-bench, slot uids from 64000) in a temp dir, and stops it at the end.

Latency.  "Hello, World!" in Python and in C, N sequential runs (-n) of each
cell after a few untimed warm-ups (-w), interleaved: each round runs every
cell once and the starting cell moves on by one every round, so a burst of
noise lands on all cells alike.  Cells:
  API          POST /api/run {"language", "code"} on one keep-alive HTTP
               connection, timed from sending the request to having read
               the whole response; for C that is a compile and a run
  bare exec    the same program on the host, no jail: python3 main.py, or
               the binary gcc built once before the rounds, started with
               subprocess from this script (stdout captured)
  bare gcc + exec   C only: gcc with the registry's flags, then the binary:
               what the API does for every C run, minus the jail
  jail CLI     build/runpad-jail --lang ... --source ... (the jail alone, in
               cgroup parent runpad-bench-cli, uids from 64100): no HTTP, but
               a fresh jail process per run (--no-jail leaves it out)
Every run is checked (status 200, verdict accepted, stdout "Hello, World!").
The last column, "API-this p50", is the API's p50 minus this row's p50: what
the API (HTTP, nginx, FastCGI, queue, jail) adds to a run of that kind.

Throughput.  For each client count in -c (1,2,4,8), that many threads, each
on its own keep-alive connection, POST the Python hello world in a loop for
-t seconds (5).  Printed: completed runs, runs/s (completed runs / time from
the start until the last client's last response), p50 and p99 latency of
the completed runs, 503s (queue full; the client then waits 50 ms, not the
Retry-After, to keep the pressure on) and other errors.  With S slots the
runs/s stop growing at about S clients; beyond that latency grows instead.

Percentiles interpolate linearly between the closest ranks.  --json FILE
writes every figure and sample.  Exit status: 0 all figures, 1 a run failed
(the reason is printed), 2 bad usage.
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
import stack  # noqa: E402

HELLO = "Hello, World!\n"
CODE = {"python": 'print("Hello, World!")\n',
        "c": '#include <stdio.h>\n\nint main(void)\n{\n'
             '\tputs("Hello, World!");\n\treturn 0;\n}\n'}
GCC = ["gcc", "-std=gnu17", "-O2", "-pipe", "-Wall", "-o", "main", "main.c",
       "-lm"]  # as sandbox/languages.conf [c]
PYTHON = "/usr/bin/python3"


class BenchError(Exception):
    pass


def pct(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stats(xs):
    return {"n": len(xs), "p50": pct(xs, 50), "p90": pct(xs, 90),
            "p99": pct(xs, 99), "mean": sum(xs) / len(xs)}


class Api:
    """POST /api/run on one keep-alive connection; run() returns (ms,
    status, body), reconnecting once if the server closed the connection."""

    def __init__(self, url, token=None):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.path = u.path.rstrip("/") + "/api/run"
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = "Bearer " + token
        self.conn = None

    def run(self, lang, code):
        body = json.dumps({"language": lang, "code": code}).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=120)
            t0 = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body, self.headers)
                r = self.conn.getresponse()
                data = r.read()
            except ConnectionError:  # a keep-alive connection closed
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            ms = (time.perf_counter() - t0) * 1000
            if r.will_close:
                self.conn.close()
                self.conn = None
            return ms, r.status, data


def api_ok(status, data):
    """None if the run was a correct hello world, else why not."""
    if status != 200:
        return "HTTP %d: %s" % (status, data[:300].decode(errors="replace"))
    res = json.loads(data)
    run = res.get("run") or {}
    if res.get("verdict") != "accepted" or run.get("stdout") != HELLO:
        return "verdict %s, stdout %r: %s" % (res.get("verdict"),
                                              run.get("stdout"), data[:300])
    return None


def exec_ms(cmd, cwd, env, hello=True):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ms = (time.perf_counter() - t0) * 1000
    if r.returncode != 0 or (hello and r.stdout != HELLO.encode()):
        raise BenchError("%s: exit %d, stdout %r, stderr %r" % (
            " ".join(cmd), r.returncode, r.stdout[:200], r.stderr[-300:]))
    return ms


def cells(api, work, jail):
    """(language, what, function returning ms) in the order printed."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work,
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    for lang, src in (("python", "main.py"), ("c", "main.c")):
        with open(os.path.join(work, src), "w") as f:
            f.write(CODE[lang])
    exec_ms(GCC, work, env, hello=False)
    shutil.copy(os.path.join(work, "main"), os.path.join(work, "hello"))

    def via_api(lang):
        ms, status, data = api.run(lang, CODE[lang])
        why = api_ok(status, data)
        if why:
            raise BenchError("POST /api/run (%s): %s" % (lang, why))
        return ms

    def via_jail(lang, src):
        cmd = [jail, "--cgroup-parent", "runpad-bench-cli", "--first-uid",
               "64100", "--slots", "2", "--lang", lang, "--source", src]
        return exec_ms(cmd, work, env)

    out = [("python", "API", lambda: via_api("python")),
           ("python", "bare exec", lambda: exec_ms(
               [PYTHON, "main.py"], work, env))]
    if jail:
        out.append(("python", "jail CLI", lambda: via_jail("python",
                                                           "main.py")))
    out += [("c", "API (compile + run)", lambda: via_api("c")),
            ("c", "bare exec", lambda: exec_ms(["./hello"], work, env)),
            ("c", "bare gcc + exec", lambda: exec_ms(GCC, work, env, False) +
             exec_ms(["./main"], work, env))]
    if jail:
        out.append(("c", "jail CLI (compile + run)",
                    lambda: via_jail("c", "main.c")))
    return out


def latency(cs, n, warmup):
    for _, _, fn in cs:
        for _ in range(warmup):
            fn()
    samples = [[] for _ in cs]
    for rnd in range(n):
        for k in range(len(cs)):
            i = (rnd + k) % len(cs)
            samples[i].append(cs[i][2]())
    rows = []
    for (lang, what, _), xs in zip(cs, samples):
        rows.append(dict(stats(xs), language=lang, what=what, samples=xs))
    for r in rows:
        api = next(a for a in rows if a["language"] == r["language"])
        r["api_minus_this_p50"] = (None if r is api
                                   else api["p50"] - r["p50"])
    return rows


def throughput(url, token, clients, seconds):
    results = [{"ms": [], "503": 0, "errors": 0, "error": None}
               for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = []

    def client(res):
        api = Api(url, token)
        start.wait()
        while time.monotonic() < deadline[0]:
            try:
                ms, status, data = api.run("python", CODE["python"])
                why = None if status == 503 else api_ok(status, data)
            except (OSError, http.client.HTTPException) as e:
                status, why = 0, str(e)
            if status == 503:
                res["503"] += 1
                time.sleep(0.05)
            elif why:
                res["errors"] += 1
                res["error"] = res["error"] or why
            else:
                res["ms"].append(ms)

    threads = [threading.Thread(target=client, args=(r,)) for r in results]
    for t in threads:
        t.start()
    deadline.append(time.monotonic() + seconds)
    t0 = time.monotonic()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    ms = [x for r in results for x in r["ms"]]
    out = {"clients": clients, "seconds": elapsed, "runs": len(ms),
           "runs_per_s": len(ms) / elapsed,
           "p50": pct(ms, 50) if ms else None,
           "p99": pct(ms, 99) if ms else None,
           "503": sum(r["503"] for r in results),
           "errors": sum(r["errors"] for r in results),
           "first_error": next((r["error"] for r in results if r["error"]),
                               None)}
    return out


def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def machine():
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    u = os.uname()
    return {"kernel": "%s %s %s" % (u.sysname, u.release, u.machine),
            "cpus": "%d usable of %d online, %s" % (
                len(os.sched_getaffinity(0)), os.cpu_count(), model),
            "load": load, "python": "%s, %s" % (
                PYTHON, first_line([PYTHON, "--version"])),
            "gcc": first_line(["gcc", "--version"])}


def fmt(x):
    return "%8s" % "-" if x is None else "%8.2f" % x


def main():
    ap = argparse.ArgumentParser(
        description="Latency and throughput of the run API against bare "
        "execution (see the top of this file).")
    ap.add_argument("-n", type=int, default=100, help="timed runs per cell")
    ap.add_argument("-w", type=int, default=5, help="warm-up runs per cell")
    ap.add_argument("-c", default="1,2,4,8", help="client counts")
    ap.add_argument("-t", type=float, default=5, help="seconds per count")
    ap.add_argument("--slots", type=int, default=2, help="own stack's slots")
    ap.add_argument("--url", help="a running site instead of our own stack")
    ap.add_argument("--token", help="bearer token for --url")
    ap.add_argument("--jail", default=os.path.join(stack.BUILD,
                                                   "runpad-jail"))
    ap.add_argument("--no-jail", action="store_true", help="no jail rows")
    ap.add_argument("--json", metavar="FILE", help="write figures as JSON")
    a = ap.parse_args()
    try:
        counts = [int(x) for x in a.c.split(",")]
    except ValueError:
        ap.error("-c: expected counts like 1,2,4,8")
    if a.n < 1 or a.w < 0 or a.t <= 0 or min(counts) < 1 or a.slots < 1:
        ap.error("-n, -c, --slots must be at least 1, -t above 0")
    jail = None if a.no_jail or not os.access(a.jail, os.X_OK) else a.jail

    own = work = None
    try:
        work = tempfile.mkdtemp(prefix="runpad-bench-api-")
        if a.url:
            url = a.url.rstrip("/")
            with urllib.request.urlopen(url + "/api/healthz") as r:
                health = json.load(r)
        else:
            own = stack.Stack(os.path.join(work, "stack"), fcgi_settings={
                "cgroup_parent": "runpad-bench", "first_uid": "64000",
                "slots": str(a.slots)})
            health = own.start()
            url = own.url
        m = machine()
        print("bench/api.py: %d runs per cell (after %d warm-up), "
              "interleaved; throughput %g s per client count" % (
                  a.n, a.w, a.t))
        for k in ("kernel", "cpus", "load", "python", "gcc"):
            print("%-8s %s" % (k + ":", m[k]))
        print("server:  %s (%s), runpad-fcgi %s, %s slots, cgroup %s%s" % (
            url, "own stack" if own else "--url", health.get("version"),
            health.get("slots"), health.get("cgroup"),
            ", rootless" if health.get("rootless") else ""))
        print(flush=True)

        rows = latency(cells(Api(url, a.token), work, jail), a.n, a.w)
        print("latency, ms                        p50      p90      p99"
              "     mean  API-this p50")
        for r in rows:
            print("%-6s  %-24s%s%s%s%s  %s" % (
                r["language"], r["what"], fmt(r["p50"]), fmt(r["p90"]),
                fmt(r["p99"]), fmt(r["mean"]), fmt(r["api_minus_this_p50"])))
        print("\nthroughput: python hello world, each client in a loop "
              "for %g s\nclients   runs   runs/s   p50 ms   p99 ms   "
              "503s  errors" % a.t, flush=True)
        tput = []
        for c in counts:
            t = throughput(url, a.token, c, a.t)
            tput.append(t)
            print("%7d %6d %8.1f %s %s %6d %7d" % (
                c, t["runs"], t["runs_per_s"], fmt(t["p50"]), fmt(t["p99"]),
                t["503"], t["errors"]), flush=True)
            if t["first_error"]:
                print("        first error: %s" % t["first_error"][:300])
        with open("/proc/loadavg") as f:
            print("\nload at the end: %s" % " ".join(f.read().split()[:3]))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"machine": m, "server": health, "url": url,
                           "own_stack": own is not None,
                           "runs": a.n, "warmup": a.w, "latency": rows,
                           "throughput": tput}, f, indent=1)
        return 0
    except (BenchError, RuntimeError, OSError) as e:
        print("bench/api.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        if own:
            own.stop()
        if work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
