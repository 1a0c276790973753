#!/usr/bin/python3
"""The run API checks of make check-host, run inside the Debian 12 guest
(tests/host/guest-check.sh) through the stock nginx site with runpad's
snippet, against the units systemd started.  Prints one line per check:
"ok NAME detail" or "FAIL NAME detail".

  guest_api.py runs STATE          every verdict, an interactive run, a run
                                   killed mid-way, a submission kept for boot 2
  guest_api.py mid-reload STATE    a run across systemctl reload of both
                                   daemons, and one after it
  guest_api.py after-reboot STATE  the submission made before the reboot
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

API = "/runpad/api/"
MiB = 1 << 20


def request(method, path, body=None, headers=None, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", 80, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, API + path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, data


def result(name, ok, detail):
    detail = " ".join(str(detail).split())[:300]
    print("%s %s %s" % ("ok" if ok else "FAIL", name, detail), flush=True)
    return ok


def run(language, code, limits=None, stdin=None, compile_limits=None):
    body = {"language": language, "code": code}
    if limits:
        body["limits"] = limits
    if compile_limits:
        body["compile_limits"] = compile_limits
    if stdin is not None:
        body["stdin"] = stdin
    status, data = request("POST", "run", body)
    if status != 200:
        raise AssertionError("HTTP %d: %s" % (status, data[:300]))
    return json.loads(data)


def figures(res):
    r = res.get("run")
    if r is None:
        # no run stage: what stopped it (the compile stage, or the jail)
        c = res.get("compile") or {}
        return "%s, no run; compile %s, %s ms CPU, %s ms wall: %s" % (
            res.get("verdict"), c.get("verdict"), c.get("cpu_ms"),
            c.get("wall_ms"), (c.get("stderr") or c.get("stdout") or
                               res.get("message") or "")[:200])
    return "%s, %s ms CPU, %s ms wall, %.1f MiB" % (
        r.get("verdict"), r.get("cpu_ms"), r.get("wall_ms"),
        (r.get("memory_bytes") or 0) / MiB)


def expect(name, res, verdict, extra=None):
    r = res.get("run") or {}
    ok = res.get("verdict") == verdict and r.get("verdict") == verdict
    why = ""
    if ok and extra:
        why = extra(r) or ""
        ok = not why
    return result(name, ok, figures(res) + ((" - " + why) if why else ""))


def check(name, fn):
    try:
        fn()
    except Exception as e:  # a crash of one check is its failure
        result(name, False, "%s: %s" % (type(e).__name__, e))


def cg_leftovers():
    """Processes in the runner's cgroup besides runpad-fcgi itself."""
    out = subprocess.run(["systemd-cgls", "--no-pager", "-u",
                          "runpad-fcgi.service"], capture_output=True,
                         text=True).stdout
    procs = [l for l in out.splitlines() if any(c.isdigit() for c in l.split("─")[-1][:8])
             and "runpad-fcgi" not in l]
    return procs


def runs(state):
    status, data = request("GET", "runtimes")
    langs = [x.get("language") for x in json.loads(data)] if status == 200 else []
    result("GET runtimes", status == 200 and "python" in langs,
           "HTTP %d, %d languages" % (status, len(langs)))

    check("python accepted", lambda: expect(
        "python accepted", run("python", "print('hello')"), "accepted",
        lambda r: None if r["stdout"] == "hello\n" and
        MiB <= r["memory_bytes"] <= 32 * MiB
        else "stdout %r, memory %d" % (r["stdout"], r["memory_bytes"])))
    check("python runtime_error", lambda: expect(
        "python runtime_error", run("python", "raise SystemExit(3)"),
        "runtime_error", lambda r: None if r["exit_code"] == 3 else
        "exit %r" % r["exit_code"]))
    check("time_limit cpu", lambda: expect(
        "time_limit cpu", run("python", "while True: pass",
                              {"cpu_time": "1s", "wall_time": "20s"}),
        "time_limit", lambda r: None if r["time_limit"] == "cpu" and
        1000 <= r["cpu_ms"] <= 3000 else "%s at %d ms" % (r["time_limit"],
                                                          r["cpu_ms"])))
    check("time_limit wall", lambda: expect(
        "time_limit wall", run("python", "import time; time.sleep(30)",
                               {"wall_time": "3s"}),
        "time_limit", lambda r: None if r["time_limit"] == "wall" and
        3000 <= r["wall_ms"] <= 8000 else "%s at %d ms" % (r["time_limit"],
                                                           r["wall_ms"])))
    check("memory_limit (memory.peak)", lambda: expect(
        "memory_limit (memory.peak)",
        run("python", "b = bytearray(300 << 20)", {"memory": "64M"}),
        "memory_limit", lambda r: None if 56 * MiB <= r["memory_bytes"] <= 64 * MiB
        else "memory_bytes %d" % r["memory_bytes"]))
    check("memory_limit (tmpfs)", lambda: expect(
        "memory_limit (tmpfs)",
        run("python", "open('/tmp/f', 'wb').write(b'x' * (100 << 20))",
            {"memory": "48M", "file_size": "64M", "tmp_size": "128M"}),
        "memory_limit", lambda r: None if 40 * MiB <= r["memory_bytes"] <= 48 * MiB
        else "memory_bytes %d" % r["memory_bytes"]))
    check("output_limit", lambda: expect(
        "output_limit", run("python", "while True: print('x' * 1000)",
                            {"stdout": "64K"}),
        "output_limit", lambda r: None if r["stdout_truncated"] else
        "not truncated"))
    check("process_limit", lambda: expect(
        "process_limit", run("python",
                             "import os, time\nwhile True:\n    os.fork()\n",
                             {"processes": 8, "wall_time": "10s"}),
        "process_limit"))
    check("C accepted", lambda: expect(
        "C accepted", run("c", "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n"),
        "accepted", lambda r: None if r["stdout"] == "hi\n" else repr(r["stdout"])))
    check("Java accepted", lambda: expect(
        "Java accepted", run("java", "public class Main { public static void main(String[] a) "
                             "{ System.out.println(\"hi\"); } }\n",
                             {"cpu_time": "10s", "wall_time": "20s"},
                             # javac under emulation, on a busy host
                             compile_limits={"cpu_time": "60s",
                                             "wall_time": "90s"}),
        "accepted", lambda r: None if r["stdout"] == "hi\n" else repr(r["stdout"])))
    check("interactive run", interactive)
    check("a run killed mid-way leaves nothing", killed_midway)
    check("submission stored", lambda: submission(state))


def interactive():
    c = http.client.HTTPConnection("127.0.0.1", 80, timeout=60)
    c.request("POST", API + "run", json.dumps({
        "language": "python", "interactive": True,
        "code": "name = input()\nprint('hello,', name)\n",
        "limits": {"wall_time": "20s"}}),
        {"Content-Type": "application/json", "Accept": "application/x-ndjson"})
    r = c.getresponse()
    start = json.loads(r.readline())
    status, data = request("POST", "runs/%s/stdin" % start["id"], {"data": "Ada\n"})
    out, verdict = "", None
    for line in iter(r.readline, b""):
        ev = json.loads(line)
        if ev.get("event") == "stdout":
            out += ev["data"]
        if ev.get("event") == "result":
            verdict = ev["result"]["verdict"]
    c.close()
    result("interactive run", verdict == "accepted" and out == "hello, Ada\n",
           "stdin HTTP %d, %s, stdout %r" % (status, verdict, out))


def killed_midway():
    c = http.client.HTTPConnection("127.0.0.1", 80, timeout=60)
    c.request("POST", API + "run", json.dumps({
        "language": "python",
        "code": "import os, time\nfor i in range(4):\n    os.fork()\n"
                "print('forked', flush=True)\ntime.sleep(60)\n",
        "limits": {"wall_time": "20s"}}),
        {"Content-Type": "application/json", "Accept": "application/x-ndjson"})
    r = c.getresponse()
    seen = False
    for line in iter(r.readline, b""):
        ev = json.loads(line)
        if ev.get("event") == "stdout":
            seen = True
            break
    during = len(cg_leftovers())
    c.close()  # the client leaves: the run must stop, all of it
    left = during
    for _ in range(30):
        time.sleep(0.5)
        left = len(cg_leftovers())
        if left == 0:
            break
    ps = subprocess.run(["ps", "-u", "runpad", "-o", "comm="],
                        capture_output=True, text=True).stdout.split()
    stray = [p for p in ps if p not in ("runpad-fcgi", "runpad-ws")]
    result("a run killed mid-way leaves nothing",
           seen and during >= 16 and left == 0 and not stray,
           "%d processes while running, %d after the client left, stray %s"
           % (during, left, stray))


def submission(state):
    status, data = request("POST", "submissions", {
        "language": "python", "code": "print('kept across a reboot')"})
    sid = json.loads(data).get("id") if status in (200, 201, 202) else None
    done = None
    for _ in range(60):
        st, d = request("GET", "submissions/%s" % sid)
        done = json.loads(d)
        if done.get("status") == "done":
            break
        time.sleep(0.5)
    with open(os.path.join(state, "submission"), "w") as f:
        f.write(sid or "")
    result("submission stored", done and done.get("status") == "done",
           "HTTP %d, id %s, state %s" % (status, sid, done and done.get("status")))


def mid_reload(state):
    """systemctl reload of both daemons while a run is under way: the run
    ends as it would have, and the daemons stay up and serve the next."""
    got = {}

    def slow():
        try:
            got["res"] = run("python", "import time\nprint('before', flush=True)\n"
                             "time.sleep(4)\nprint('after')\n",
                             {"wall_time": "20s"})
        except Exception as e:  # the thread's failure is the check's
            got["err"] = e

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(1.5)
    r = subprocess.run(["systemctl", "reload", "runpad-fcgi", "runpad-ws"],
                       capture_output=True, text=True, timeout=60)
    t.join(60)
    active = [u for u in ("runpad-fcgi", "runpad-ws") if subprocess.run(
        ["systemctl", "is-active", "--quiet", u]).returncode == 0]
    res = got.get("res") or {}
    out = (res.get("run") or {}).get("stdout")
    result("a run across systemctl reload of both daemons",
           r.returncode == 0 and len(active) == 2 and
           res.get("verdict") == "accepted" and out == "before\nafter\n",
           "reload rc %d %s, active %s, %s, stdout %r %s" % (
               r.returncode, r.stderr.strip(), active,
               figures(res) if res else "no result", out, got.get("err") or ""))
    check("a run after reload", lambda: expect(
        "a run after reload", run("python", "print(2 + 2)"), "accepted",
        lambda r: None if r["stdout"] == "4\n" else repr(r["stdout"])))


def after_reboot(state):
    sid = open(os.path.join(state, "submission")).read().strip()
    st, d = request("GET", "submissions/%s" % sid)
    sub = json.loads(d) if st == 200 else {}
    res = sub.get("result") or {}
    out = ((res.get("run") or {}).get("stdout"))
    if out != "kept across a reboot\n":
        print("submission %s after the reboot: HTTP %d %s" % (sid, st, d[:300]))
        sys.exit(1)
    print("submission %s still done" % sid)


if __name__ == "__main__":
    what, state = sys.argv[1], sys.argv[2]
    {"runs": runs, "mid-reload": mid_reload,
     "after-reboot": after_reboot}[what](state)
