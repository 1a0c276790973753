#!/usr/bin/python3
"""bench/crates.py: what Debian's crates cost a Rust run.

Prints figures and asserts nothing about time.  Standard library only.

  make bench-crates              # or: /usr/bin/python3 bench/crates.py
  /usr/bin/python3 bench/crates.py -n 20 --json build/bench/crates.json

It starts its own stack (tests/stack.py: Debian's nginx, runpad-fcgi, cgroup
parent runpad-bench, slot uids from 64000) and times, interleaved (each
round runs every cell once, the first cell moving on by one per round):

  API hello        POST /api/run of a Rust hello world: a compile and a run
  API crates       the same with `use rand::Rng` and serde_json (a derived
                   Serialize, to_string), the crates taken from the cache
                   of rlibs (/var/lib/runpad/crates, make crates)
  ... debug        both again with "options": {"mode": "debug"}
  bare hello       /usr/bin/rustc with the registry's flags, then the
                   binary, on the host: no jail, no API
  bare crates      likewise with the --extern and -L the registry adds

Each API run is checked (HTTP 200, verdict accepted, the stdout expected).
The figure the target is about is "crates / hello" of the API rows: what
using the crates costs a user, as a ratio measured side by side.  Exit
status 0, 1 when a run failed (the reason is printed), 2 on bad usage.
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import stack  # noqa: E402

CRATES = "/var/lib/runpad/crates"
HELLO = ('fn main() {\n    println!("Hello, World!");\n}\n', "Hello, World!\n")
WITH_CRATES = (
    "use rand::Rng;\nuse serde::Serialize;\n\n#[derive(Serialize)]\n"
    "struct Point {\n    x: u32,\n    y: u32,\n}\n\nfn main() {\n"
    "    let mut rng = rand::thread_rng();\n"
    "    let p = Point { x: rng.gen_range(0..10), y: 7 };\n"
    "    println!(\"{}\", serde_json::to_string(&p).unwrap().len() > 10);\n}\n",
    "true\n")


def pct(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def registry_rust_compile():
    """[rust]'s compile command of sandbox/languages.conf and its
    libraries' words, as the registry places them (all present)."""
    cmd, words = None, []
    with open(os.path.join(stack.REPO, "sandbox", "languages.conf")) as f:
        sect = None
        for line in f:
            t = line.strip()
            if t.startswith("["):
                sect = t
            elif sect == "[rust]" and t.startswith("compile"):
                cmd = t.split("=", 1)[1].split()
            elif sect == "[rust]" and t.startswith("library"):
                words += t.split("=", 1)[1].split()[2:]
    return cmd, words


class Api:
    def __init__(self, url):
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def run(self, code, want, mode="release"):
        body = json.dumps({"language": "rust", "code": code,
                           "options": {"mode": mode},
                           "compile_limits": {"cpu_time": "20s"}})
        t0 = time.monotonic()
        self.conn.request("POST", "/api/run", body=body,
                          headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        ms = (time.monotonic() - t0) * 1000
        res = json.loads(data)
        if r.status != 200 or res.get("verdict") != "accepted" or \
                res["run"]["stdout"] != want:
            raise RuntimeError("API run failed: %d %s" % (r.status, data[:600]))
        return ms


def bare(cmd, words, code, want, box, with_crates):
    with open(os.path.join(box, "main.rs"), "w") as f:
        f.write(code)
    # the registry's defaults: edition 2021, release (-O)
    argv = [w.replace("/box/", box + "/").replace("{edition}", "2021")
            .replace("{mode}", "-O") for w in cmd if w != "{libs}"]
    argv[0] = "/usr/bin/rustc"
    if with_crates:
        argv += words
    t0 = time.monotonic()
    subprocess.run(argv, cwd=box, check=True, env={"PATH": "/usr/bin:/bin"})
    out = subprocess.run([box + "/main"], capture_output=True, text=True,
                         check=True).stdout
    ms = (time.monotonic() - t0) * 1000
    if out != want:
        raise RuntimeError("bare run printed %r" % out)
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=15, help="rounds (default 15)")
    ap.add_argument("-w", type=int, default=2, help="untimed warm-up rounds")
    ap.add_argument("--json", help="write every figure and sample here")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(CRATES, "librand.rlib")):
        print("bench/crates.py: no crate cache in %s (make crates)" % CRATES,
              file=sys.stderr)
        return 1
    cmd, words = registry_rust_compile()
    root = tempfile.mkdtemp(prefix="runpad-bench-crates-")
    box = tempfile.mkdtemp(prefix="runpad-bench-crates-box-")
    own = stack.Stack(root, ws=False, fcgi_settings={
        "cgroup_parent": "runpad-bench", "first_uid": "64000", "slots": "2"})
    try:
        own.start()
        api = Api(own.url)
        cells = [
            ("API hello", lambda: api.run(*HELLO)),
            ("API crates", lambda: api.run(*WITH_CRATES)),
            ("API hello debug", lambda: api.run(*HELLO, mode="debug")),
            ("API crates debug", lambda: api.run(*WITH_CRATES, mode="debug")),
            ("bare hello", lambda: bare(cmd, words, *HELLO, box, False)),
            ("bare crates", lambda: bare(cmd, words, *WITH_CRATES, box, True)),
        ]
        samples = {name: [] for name, _ in cells}
        for rnd in range(a.w + a.n):
            for k in range(len(cells)):
                name, fn = cells[(rnd + k) % len(cells)]
                ms = fn()
                if rnd >= a.w:
                    samples[name].append(ms)
        print("Rust, compile + run, %d rounds (ms)" % a.n)
        print("%-17s %8s %8s %8s" % ("", "p50", "p90", "min"))
        for name, _ in cells:
            xs = samples[name]
            print("%-17s %8.0f %8.0f %8.0f" % (name, pct(xs, 50), pct(xs, 90), min(xs)))
        ratio = pct(samples["API crates"], 50) / pct(samples["API hello"], 50)
        dratio = pct(samples["API crates debug"], 50) / pct(samples["API hello debug"], 50)
        bratio = pct(samples["bare crates"], 50) / pct(samples["bare hello"], 50)
        print("crates / hello, p50: API release %.2fx, API debug %.2fx, "
              "bare rustc (release) %.2fx" % (ratio, dratio, bratio))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"samples": samples, "ratio_api": ratio,
                           "ratio_api_debug": dratio,
                           "ratio_bare": bratio}, f)
        return 0
    except (RuntimeError, OSError, subprocess.CalledProcessError,
            http.client.HTTPException) as e:
        print("bench/crates.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        own.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(box, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
