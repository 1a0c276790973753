#!/usr/bin/python3
"""bench/api.py: what a run costs end to end through the run API.

Prints figures and asserts nothing about time.  Standard library only.

  make bench-api                 # or: /usr/bin/python3 bench/api.py
  /usr/bin/python3 bench/api.py -n 50 -t 3 -c 1,4 --json build/bench/api.json
  /usr/bin/python3 bench/api.py --url http://127.0.0.1:8080   # a running site

Without --url it starts its own stack (tests/stack.py: Debian's nginx with
the shipped snippet, runpad-fcgi with --slots slots, cgroup parent
runpad-bench, slot uids from 64000) in a temp dir and stops it at the end.

Latency: "Hello, World!" in Python and in C, -n sequential runs per cell
after -w untimed warm-ups, interleaved (each round runs every cell once, the
starting cell moving on by one per round, so noise lands on all alike):
  API              POST /api/run {"language", "code"} on one keep-alive
                   connection, from sending the request to having read the
                   whole response; for C a compile and a run
  bare exec        the same program on the host, no jail, by subprocess from
                   here: python3 main.py, or the binary gcc built once
  bare gcc + exec  C: gcc with the registry's flags, then the binary: what
                   the API does for every C run, minus the jail
  jail CLI         build/runpad-jail --lang L --source F: the jail alone, a
                   fresh process per run (cgroup runpad-bench-cli, uids from
                   64100); --no-jail leaves it out
Every run is checked (HTTP 200, verdict accepted, stdout "Hello, World!").
"API-this p50" is the API's p50 minus the row's: what the API (nginx,
FastCGI, queue, jail) adds to a run of that kind.

Throughput: for each count in -c, that many threads, each on its own
keep-alive connection, POST the Python hello world in a loop for -t seconds.
runs/s is completed runs over the time until the last client's last
response; p50/p99 are of the completed runs; a 503 (queue full) makes the
client wait 50 ms, not the Retry-After, to keep the pressure on; errors are
any other failure (the first is printed).  With S slots runs/s levels off at
about S clients and latency grows instead.

Percentiles interpolate linearly between the closest ranks.  --json FILE
writes every figure and sample.  Exit status 0, 1 when a latency run failed
(the reason is printed), 2 on bad usage.
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tests"))
import stack  # noqa: E402

HELLO = "Hello, World!\n"
CODE = {"python": 'print("Hello, World!")\n',
        "c": '#include <stdio.h>\n\nint main(void)\n{\n'
             '\tputs("Hello, World!");\n\treturn 0;\n}\n'}
GCC = ["gcc", "-std=gnu17", "-O2", "-pipe", "-Wall", "-o", "main", "main.c",
       "-lm"]  # as [c] in sandbox/languages.conf
PYTHON = "/usr/bin/python3"


class BenchError(Exception):
    pass


def pct(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Api:
    """POST /api/run on one keep-alive connection (http.client reopens it
    after a Connection: close); run() returns (ms, status, body)."""

    def __init__(self, url, token=None):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                               timeout=120)
        self.path = u.path.rstrip("/") + "/api/run"
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = "Bearer " + token

    def run(self, lang):
        body = json.dumps({"language": lang, "code": CODE[lang]})
        for retry in (False, True):
            t0 = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body, self.headers)
                r = self.conn.getresponse()
                data = r.read()
                return (time.perf_counter() - t0) * 1000, r.status, data
            except ConnectionError:  # the server closed an idle connection
                self.conn.close()
                if retry:
                    raise


def api_ok(status, data):
    """None if the response is a correct hello world run, else why not."""
    if status != 200:
        return "HTTP %d: %s" % (status, data[:300].decode(errors="replace"))
    res = json.loads(data)
    run = res.get("run") or {}
    if res.get("verdict") == "accepted" and run.get("stdout") == HELLO:
        return None
    return "verdict %s: %s, stdout %r" % (
        res.get("verdict"), ", ".join("%s %s" % (k, run[k]) for k in (
            "time_limit", "signal_name", "cpu_ms", "wall_ms", "memory_bytes",
            "message") if run.get(k) not in (None, "")),
        run.get("stdout"))


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
    """[(language, what, function timing one run in ms)], in print order."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work,
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    for lang, src in (("python", "main.py"), ("c", "main.c")):
        with open(os.path.join(work, src), "w") as f:
            f.write(CODE[lang])
    exec_ms(GCC, work, env, hello=False)
    os.rename(os.path.join(work, "main"), os.path.join(work, "hello"))

    def via_api(lang):
        ms, status, data = api.run(lang)
        why = api_ok(status, data)
        if why:
            raise BenchError("POST /api/run (%s): %s" % (lang, why))
        return ms

    def via_jail(lang, src):
        return exec_ms([jail, "--cgroup-parent", "runpad-bench-cli",
                        "--first-uid", "64100", "--slots", "2", "--lang",
                        lang, "--source", src], work, env)

    out = [("python", "API", lambda: via_api("python")),
           ("python", "bare exec",
            lambda: exec_ms([PYTHON, "main.py"], work, env))]
    if jail:
        out.append(("python", "jail CLI", lambda: via_jail("python",
                                                           "main.py")))
    out += [("c", "API (compile + run)", lambda: via_api("c")),
            ("c", "bare exec", lambda: exec_ms(["./hello"], work, env)),
            ("c", "bare gcc + exec", lambda: exec_ms(GCC, work, env, False)
             + exec_ms(["./main"], work, env))]
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
    rows = [{"language": lang, "what": what, "n": n, "p50": pct(xs, 50),
             "p90": pct(xs, 90), "p99": pct(xs, 99), "mean": sum(xs) / n,
             "samples": xs} for (lang, what, _), xs in zip(cs, samples)]
    for r in rows:
        api = next(a for a in rows if a["language"] == r["language"])
        r["api_minus_this_p50"] = None if r is api else api["p50"] - r["p50"]
    return rows


def throughput(url, token, clients, seconds):
    got = [{"ms": [], "503": 0, "errors": 0, "error": None}
           for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = None  # set just before the barrier lets the clients go

    def client(res):
        api = Api(url, token)
        start.wait()
        while time.monotonic() < deadline:
            try:
                ms, status, data = api.run("python")
                why = None if status == 503 else api_ok(status, data)
            except (OSError, http.client.HTTPException) as e:
                status, why = 0, "%s: %s" % (type(e).__name__, e)
            if status == 503:
                res["503"] += 1
                time.sleep(0.05)
            elif why:
                res["errors"] += 1
                res["error"] = res["error"] or why
            else:
                res["ms"].append(ms)

    threads = [threading.Thread(target=client, args=(g,)) for g in got]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    deadline = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    ms = [x for g in got for x in g["ms"]]
    return {"clients": clients, "seconds": elapsed, "runs": len(ms),
            "runs_per_s": len(ms) / elapsed, "p50": pct(ms, 50),
            "p99": pct(ms, 99), "503": sum(g["503"] for g in got),
            "errors": sum(g["errors"] for g in got),
            "first_error": next((g["error"] for g in got if g["error"]),
                                None)}


def machine():
    def first_line(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr or "?\n").splitlines()[0]
    with open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f
                      if ln.startswith("model name")), "?")
    u = os.uname()
    return {"kernel": "%s %s %s" % (u.sysname, u.release, u.machine),
            "cpus": "%d usable of %d online, %s" % (
                len(os.sched_getaffinity(0)), os.cpu_count(), model),
            "load": loadavg(),
            "python": PYTHON + ", " + first_line([PYTHON, "--version"]),
            "gcc": first_line(["gcc", "--version"])}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def fmt(x):
    return "%9s" % "-" if x is None else "%9.2f" % x


def report(a, url, own, health):
    m = machine()
    print("bench/api.py: %d runs per cell (after %d warm-up), interleaved; "
          "throughput %g s per client count" % (a.n, a.w, a.t))
    for k in ("kernel", "cpus", "load", "python", "gcc"):
        print("%-8s %s" % (k + ":", m[k]))
    print("server:  %s (%s), runpad-fcgi %s, %s slots, cgroup %s%s\n" % (
        url, "own stack" if own else "--url", health.get("version"),
        health.get("slots"), health.get("cgroup"),
        ", rootless" if health.get("rootless") else ""), flush=True)
    jail = None if a.no_jail or not os.access(a.jail, os.X_OK) else a.jail
    work = tempfile.mkdtemp(prefix="runpad-bench-api-")
    try:
        rows = latency(cells(Api(url, a.token), work, jail), a.n, a.w)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("latency, ms                         p50      p90      p99"
          "     mean  API-this p50")
    for r in rows:
        print("%-7s %-24s%s%s%s%s %s" % (
            r["language"], r["what"], fmt(r["p50"]), fmt(r["p90"]),
            fmt(r["p99"]), fmt(r["mean"]), fmt(r["api_minus_this_p50"])))
    print("\nthroughput: python hello world, each client in a loop for %g s"
          "\nclients   runs   runs/s    p50 ms    p99 ms   503s  errors"
          % a.t, flush=True)
    tput = []
    for c in a.clients:
        t = throughput(url, a.token, c, a.t)
        tput.append(t)
        print("%7d %6d %8.1f %s %s %6d %7d" % (
            c, t["runs"], t["runs_per_s"], fmt(t["p50"]), fmt(t["p99"]),
            t["503"], t["errors"]), flush=True)
        if t["first_error"]:
            print("        first error: %s" % t["first_error"][:300])
    print("\nload at the end: %s" % loadavg())
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": m, "server": health, "url": url,
                       "own_stack": own, "runs": a.n, "warmup": a.w,
                       "latency": rows, "throughput": tput}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(
        description="Latency and throughput of the run API against bare "
        "execution; see the top of bench/api.py.")
    ap.add_argument("-n", type=int, default=100, help="timed runs per cell")
    ap.add_argument("-w", type=int, default=5, help="warm-up runs per cell")
    ap.add_argument("-c", default="1,2,4,8", help="client counts (1,2,4,8)")
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
        a.clients = [int(x) for x in a.c.split(",")]
    except ValueError:
        ap.error("-c: expected counts like 1,2,4,8")
    if a.n < 1 or a.w < 0 or a.t <= 0 or min(a.clients) < 1 or a.slots < 1:
        ap.error("-n, -c and --slots must be at least 1, -t above 0")

    own = root = None
    try:
        if a.url:
            url = a.url.rstrip("/")
            with urllib.request.urlopen(url + "/api/healthz") as r:
                health = json.load(r)
        else:
            root = tempfile.mkdtemp(prefix="runpad-bench-stack-")
            own = stack.Stack(root, fcgi_settings={
                "cgroup_parent": "runpad-bench", "first_uid": "64000",
                "slots": str(a.slots)})
            health = own.start()
            url = own.url
        report(a, url, own is not None, health)
        return 0
    except (BenchError, RuntimeError, OSError,
            http.client.HTTPException) as e:
        print("bench/api.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        if own:
            own.stop()
        if root:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
