#!/usr/bin/python3
"""Integration tests of the run API: Debian's nginx with the shipped
snippet, the real runpad-fcgi and jail, driven over HTTP on loopback.

Run: make check-api (or /usr/bin/python3 -m unittest tests/integration/test_api.py)
Needs root or a host where the jail can start (runpad-jail --check).
"""
import concurrent.futures
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stack  # noqa: E402

SLOTS = 4
QUEUE = 8
TOKEN = "a-test-token-0123456789"


def jail_usable():
    jail = os.path.join(stack.BUILD, "runpad-jail")
    r = subprocess.run([jail, "--check"], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


class Client:
    def __init__(self, url, token=None):
        self.host, self.port = url.split("//")[1].split(":")
        self.port = int(self.port)
        self.token = token

    def conn(self, timeout=60):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, raw=None,
                timeout=60):
        h = dict(headers or {})
        if self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c = self.conn(timeout)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        c.close()
        ctype = r.getheader("Content-Type", "")
        parsed = json.loads(text) if ctype.startswith("application/json") else text
        return r.status, parsed, r

    def run(self, **body):
        return self.request("POST", "/api/run", body)

    def stream(self, body, timeout=60):
        """Open a streaming run; returns (connection, response)."""
        c = self.conn(timeout)
        h = {"Content-Type": "application/json",
             "Accept": "application/x-ndjson"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        c.request("POST", "/api/run", body=json.dumps(body), headers=h)
        return c, c.getresponse()


def shipped_libraries():
    """{(language, library): package} of sandbox/languages.conf."""
    out, lang = {}, None
    path = os.path.join(stack.REPO, "sandbox", "languages.conf")
    in_block = None
    with open(path) as f:
        lines = f.readlines()
    for line in lines:
        t = line.strip()
        if in_block:
            if t == in_block:
                in_block = None
            continue
        if t.startswith("starter") and "<<" in t:
            in_block = t.split("<<", 1)[1].strip()
        elif t.startswith("["):
            lang = t[1:-1]
        elif t.startswith("library"):
            name, pkg = t.split("=", 1)[1].split()[:2]
            out[(lang, name)] = pkg
    return out


def dpkg_upstream_version(pkg):
    """The upstream version of an installed package as runpad reports it
    (no epoch, no revision or repack suffix, three numbers at most), or
    None when it is not installed."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", pkg],
                       capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.startswith("install ok installed"):
        return None
    v = r.stdout.split("\t", 1)[1].split(":", 1)[-1]
    import re
    return re.match(r"\d+(?:\.\d+){0,2}", v).group(0)


OPTIMIZED_C = ("#include <stdio.h>\nint main(void)\n{\n#ifdef __OPTIMIZE__\n\tputs(\"1\");\n"
               "#else\n\tputs(\"0\");\n#endif\n}\n")

# A program per toolchain kind that says which it is (MAJOR: its version's
# first number).
VARIANT_PROGRAMS = {
    ("c", "gcc"): ("#include <stdio.h>\nint main(void)\n{\n#ifdef __clang__\n\tputs(\"clang\");\n"
                   "#else\n\tprintf(\"gcc %d\\n\", __GNUC__);\n#endif\n}\n", "gcc MAJOR\n"),
    ("c", "clang"): ("#include <stdio.h>\nint main(void)\n{\n#ifdef __clang__\n"
                     "\tprintf(\"clang %d\\n\", __clang_major__);\n#else\n\tputs(\"gcc\");\n#endif\n}\n",
                     "clang MAJOR\n"),
    ("cpp", "gcc"): ("#include <cstdio>\nint main()\n{\n#ifdef __clang__\n\tstd::puts(\"clang\");\n"
                     "#else\n\tstd::printf(\"g++ %d\\n\", __GNUC__);\n#endif\n}\n", "g++ MAJOR\n"),
    ("cpp", "clang"): ("#include <cstdio>\nint main()\n{\n#ifdef __clang__\n"
                       "\tstd::printf(\"clang++ %d\\n\", __clang_major__);\n#else\n\tstd::puts(\"g++\");\n#endif\n}\n",
                       "clang++ MAJOR\n"),
    ("python", "cpython"): ("import sys\nprint(sys.implementation.name, sys.version_info[0])\n",
                            "cpython MAJOR\n"),
    ("python", "pypy"): ("import sys\nprint(sys.implementation.name, sys.version_info[0])\n",
                         "pypy MAJOR\n"),
}

# A program for each library of the shipped registry and what it prints.
LIBRARY_PROGRAMS = {
    ("python", "numpy"): ("import numpy as np\nprint(np.arange(4).sum())\n", "6\n"),
    ("python", "pandas"): ("import pandas as pd\nprint(pd.Series([1, 2, 3]).mean())\n", "2.0\n"),
    ("python", "scipy"): ("from scipy.special import comb\nprint(int(comb(5, 2)))\n", "10\n"),
    ("python", "sympy"): ("import sympy\nx = sympy.Symbol('x')\nprint(sympy.expand((x + 1)**2))\n",
                          "x**2 + 2*x + 1\n"),
    ("python", "matplotlib"): (
        "import os\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\n"
        "plt.savefig('plot.png')\nprint(os.path.getsize('plot.png') > 1000)\n", "True\n"),
    ("cpp", "boost"): (
        "#include <boost/algorithm/string.hpp>\n#include <iostream>\n"
        "int main() { std::string s = \"hi\"; boost::to_upper(s); std::cout << s << \"\\n\"; }\n",
        "HI\n"),
    ("cpp", "nlohmann-json"): (
        "#include <nlohmann/json.hpp>\n#include <iostream>\n"
        "int main() { nlohmann::json j = {{\"a\", 1}}; std::cout << j.dump() << \"\\n\"; }\n",
        "{\"a\":1}\n"),
    ("cpp", "fmt"): (
        "#include <fmt/core.h>\nint main() { fmt::print(\"{}+{}={}\\n\", 1, 2, 3); }\n",
        "1+2=3\n"),
    ("cpp", "eigen"): (
        "#include <Eigen/Dense>\n#include <iostream>\n"
        "int main() { Eigen::Matrix2d m; m << 1, 2, 3, 4; std::cout << m.determinant() << \"\\n\"; }\n",
        "-2\n"),
    ("javascript", "lodash"): (
        "const _ = require('lodash');\nconsole.log(JSON.stringify(_.chunk([1, 2, 3], 2)));\n",
        "[[1,2],[3]]\n"),
    ("java", "guava"): (
        "import com.google.common.collect.ImmutableList;\n"
        "public class Main { public static void main(String[] a) "
        "{ System.out.println(ImmutableList.of(1, 2, 3)); } }\n", "[1, 2, 3]\n"),
    ("java", "junit5"): (
        "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
        "public class Main { public static void main(String[] a) "
        "{ assertEquals(2, 1 + 1); System.out.println(\"ok\"); } }\n", "ok\n"),
    ("rust", "rand"): (
        "use rand::{Rng, SeedableRng};\nfn main() {\n"
        "    let mut r = rand::rngs::StdRng::seed_from_u64(1);\n"
        "    let x: u32 = r.gen_range(0..10);\n    println!(\"{}\", x < 10);\n}\n", "true\n"),
    ("rust", "serde"): (
        "use serde::Serialize;\n#[derive(Serialize)]\nstruct P { x: u8 }\n"
        "fn is_ser<T: Serialize>(_: &T) -> bool { true }\n"
        "fn main() { println!(\"{}\", is_ser(&P { x: 1 })); }\n", "true\n"),
    ("rust", "serde_json"): (
        "fn main() {\n    let v: serde_json::Value = serde_json::from_str(\"[1, 2]\").unwrap();\n"
        "    println!(\"{}\", v[1]);\n}\n", "2\n"),
    ("rust", "regex"): (
        "fn main() {\n    let re = regex::Regex::new(r\"\\d+\").unwrap();\n"
        "    println!(\"{}\", re.find(\"ab12c\").unwrap().as_str());\n}\n", "12\n"),
    ("rust", "itertools"): (
        "use itertools::Itertools;\nfn main() { println!(\"{}\", (1..4).join(\",\")); }\n",
        "1,2,3\n"),
}


def events(resp):
    while True:
        line = resp.readline()
        if not line:
            return
        yield time.monotonic(), json.loads(line)


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ok, why = jail_usable()
        if not ok:
            raise unittest.SkipTest("the jail cannot start here:\n" + why)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-itest-")
        cls.stack = stack.Stack(cls.tmp, ws=False, fcgi_settings={
            "slots": str(SLOTS),
            "fcgi.queue": str(QUEUE),
            "first_uid": "62000",
            "cgroup_parent": "runpad-itest",
            "fcgi.submission_ttl": "1h",
        })
        cls.health = cls.stack.start()
        cls.c = Client(cls.stack.url)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def fcgi_log(self):
        with open(self.stack.fcgi_log, errors="replace") as f:
            return f.read()

    def wait_idle(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            _, h, _ = self.c.request("GET", "/api/healthz")
            if h["slots_busy"] == 0 and h["queue_depth"] == 0:
                return h
            time.sleep(0.1)
        self.fail("slots still busy: %r" % h)

    # ------------------------------------------------------ discovery
    def test_healthz(self):
        st, h, _ = self.c.request("GET", "/api/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(h["status"], "ok")
        self.assertEqual(h["slots"], SLOTS)
        self.assertGreaterEqual(h["languages"], 8)

    def test_runtimes(self):
        st, langs, _ = self.c.request("GET", "/api/runtimes")
        self.assertEqual(st, 200)
        py = [l for l in langs if l["language"] == "python"][0]
        self.assertIn("py", py["aliases"])
        self.assertRegex(py["version"], r"^3\.\d+")
        self.assertEqual(py["mode"], "python")
        self.assertFalse(py["compiled"])
        c = [l for l in langs if l["language"] == "c"][0]
        self.assertTrue(c["compiled"])
        # every language says what a new pad holds, and it greets
        for l in langs:
            self.assertIsInstance(l["starter"], str, l["language"])
            self.assertTrue(l["starter"].endswith("\n"), l["language"])
        for l in (py, c):
            st, res, _ = self.c.run(language=l["language"], code=l["starter"], stdin="Ada\n")
            self.assertEqual(st, 200, res)
            self.assertEqual(res["verdict"], "accepted", res)
            self.assertEqual(res["run"]["stdout"], "Hello, Ada!\n")

    # ------------------------------------------------------ libraries
    def test_every_declared_library_is_listed_and_works(self):
        """Each `library` of the shipped registry: listed by /api/runtimes
        with its package's own version exactly when the package (and the
        crate cache, for Rust) is installed, and then imported or linked
        by a small program through /api/run."""
        declared = shipped_libraries()
        self.assertGreaterEqual(len(declared), 17)
        missing = [k for k in declared if k not in LIBRARY_PROGRAMS]
        self.assertEqual(missing, [], "libraries without a program here")
        st, langs, _ = self.c.request("GET", "/api/runtimes")
        self.assertEqual(st, 200)
        listed = {(l["language"], x["name"]): x
                  for l in langs for x in l["libraries"]}
        ran = 0
        for (lang, name), pkg in sorted(declared.items()):
            with self.subTest(language=lang, library=name):
                want = dpkg_upstream_version(pkg)
                if lang == "rust" and not os.path.exists(
                        "/var/lib/runpad/crates/lib%s.rlib" % name):
                    want = None  # no crate cache (make crates)
                if want is None:
                    self.assertNotIn((lang, name), listed)
                    continue
                self.assertEqual(listed.get((lang, name)),
                                 {"name": name, "version": want, "package": pkg})
                code, out = LIBRARY_PROGRAMS[(lang, name)]
                st, res, _ = self.c.run(language=lang, code=code,
                                        limits={"memory": "512M",
                                                "cpu_time": "10s",
                                                "wall_time": "20s"})
                self.assertEqual(st, 200, res)
                self.assertEqual(res["verdict"], "accepted", res)
                self.assertEqual(res["run"]["stdout"], out, res)
                ran += 1
        print("\nlibraries run through /api/run: %d of %d declared"
              % (ran, len(declared)), file=sys.stderr)
        if os.geteuid() == 0:
            # make check installs them all (make deps, make crates)
            self.assertEqual(ran, len(declared))

    # ------------------------------------------------------ variants
    def test_every_variant_runs_and_reports_itself(self):
        """Each toolchain /api/runtimes lists compiles and runs through
        `version`, says so in the result, and a compile error comes back
        with the same diagnostics from gcc and from clang."""
        st, langs, _ = self.c.request("GET", "/api/runtimes")
        self.assertEqual(st, 200)
        by = {l["language"]: l for l in langs}
        want_variants = {"c": ["gcc-12", "clang-14", "clang-15", "clang-16"],
                         "cpp": ["gcc-12", "clang-14", "clang-15", "clang-16"],
                         "python": ["cpython", "pypy"]}
        ran = 0
        for lang, ids in want_variants.items():
            listed = [v["id"] for v in by[lang]["variants"]]
            if os.geteuid() == 0:  # make deps installs them all
                self.assertEqual(listed, ids, lang)
            self.assertEqual([v["default"] for v in by[lang]["variants"]],
                             [i == 0 for i in range(len(listed))])
            for v in by[lang]["variants"]:
                with self.subTest(language=lang, variant=v["id"]):
                    code, out = VARIANT_PROGRAMS[(lang, v["id"].split("-")[0])]
                    st, res, _ = self.c.run(language=lang, version=v["id"], code=code)
                    self.assertEqual(st, 200, res)
                    self.assertEqual(res["verdict"], "accepted", res)
                    major = v["version"].split(".")[0]
                    self.assertEqual(res["run"]["stdout"], out.replace("MAJOR", major), res)
                    self.assertEqual(res["variant"], v["id"])
                    self.assertEqual(res["version"], v["version"])
                    ran += 1
        print("\nvariants run through /api/run: %d" % ran, file=sys.stderr)
        # the default is the language's own toolchain
        st, res, _ = self.c.run(language="c", code=VARIANT_PROGRAMS[("c", "gcc")][0])
        self.assertEqual(res["variant"], "gcc-12")
        self.assertEqual(res["options"], {"std": "gnu17", "opt": "-O2"})
        # an unknown one is refused with what there is
        st, res, _ = self.c.run(language="c", version="tcc", code="int main(void){}")
        self.assertEqual(st, 400)
        self.assertEqual(res["error"]["code"], "unknown_version")
        self.assertIn("this server has gcc-12 %s" % by["c"]["version"],
                      res["error"]["message"])
        # the same diagnostics whichever compiler
        bad = "int main(void)\n{\n\treturn x;\n}\n"
        for v in by["c"]["variants"]:
            with self.subTest(diagnostics=v["id"]):
                st, res, _ = self.c.run(language="c", version=v["id"], code=bad)
                self.assertEqual(res["verdict"], "compile_error", res)
                d = [x for x in res["compile"]["diagnostics"] if x["severity"] == "error"]
                self.assertTrue(d, res["compile"])
                self.assertEqual((d[0]["file"], d[0]["line"], d[0]["column"]),
                                 ("main.c", 3, 9), d[0])
                self.assertIn("x", d[0]["message"])

    def test_options_choose_from_the_allow_list(self):
        st, langs, _ = self.c.request("GET", "/api/runtimes")
        by = {l["language"]: l for l in langs}
        self.assertEqual(by["c"]["options"], [
            {"name": "std", "values": ["gnu17", "c17", "c11", "c99", "gnu11", "c2x"],
             "default": "gnu17"},
            {"name": "opt", "values": ["-O2", "-O0"], "default": "-O2"}])
        self.assertEqual([o["name"] for o in by["rust"]["options"]], ["mode", "edition"])
        self.assertEqual(by["python"]["options"], [])
        cases = [
            ("c", {"std": "c99"}, "#include <stdio.h>\nint main(void){printf(\"%ld\\n\", __STDC_VERSION__);}\n", "199901\n"),
            ("c", {"std": "c11"}, "#include <stdio.h>\nint main(void){printf(\"%ld\\n\", __STDC_VERSION__);}\n", "201112\n"),
            ("cpp", {"std": "c++17"}, "#include <cstdio>\nint main(){std::printf(\"%ld\\n\", __cplusplus);}\n", "201703\n"),
            ("cpp", {"std": "c++14"}, "#include <cstdio>\nint main(){std::printf(\"%ld\\n\", __cplusplus);}\n", "201402\n"),
            ("c", {"opt": "-O0"}, OPTIMIZED_C, "0\n"),
            ("c", {"opt": "-O2"}, OPTIMIZED_C, "1\n"),
            ("rust", {"mode": "debug"}, "fn main() { println!(\"{}\", cfg!(debug_assertions)); }\n", "true\n"),
            ("rust", {"mode": "release"}, "fn main() { println!(\"{}\", cfg!(debug_assertions)); }\n", "false\n"),
            # `async` is a keyword from 2018 on
            ("rust", {"edition": "2015"}, "fn main() { let async = 1; println!(\"{}\", async); }\n", "1\n"),
        ]
        for lang, opts, code, out in cases:
            with self.subTest(language=lang, options=opts):
                st, res, _ = self.c.run(language=lang, code=code, options=opts)
                self.assertEqual(st, 200, res)
                self.assertEqual(res["verdict"], "accepted", res)
                self.assertEqual(res["run"]["stdout"], out)
                for k, v in opts.items():
                    self.assertEqual(res["options"][k], v)
        # the same option with clang
        st, res, _ = self.c.run(language="cpp", version="clang-15", options={"std": "c++17"},
                                code=cases[2][2])
        if st == 200:
            self.assertEqual(res["run"]["stdout"], "201703\n", res)
        st, res, _ = self.c.run(language="rust", options={"edition": "2018"},
                                code="fn main() { let async = 1; }\n")
        self.assertEqual(res["verdict"], "compile_error", res)
        for opts, code, words in [
                ({"flags": "-O3"}, "unknown_option", ("c has no option 'flags'", "it has std, opt")),
                ({"std": "c++17"}, "bad_option", ("options.std: 'c++17' is not one of gnu17",)),
                ({"opt": "-O3 -fno-stack-protector"}, "bad_option", ("options.opt",))]:
            st, res, _ = self.c.run(language="c", code="int main(void){}", options=opts)
            self.assertEqual(st, 400, res)
            self.assertEqual(res["error"]["code"], code)
            for w in words:
                self.assertIn(w, res["error"]["message"])

    # ------------------------------------------------------ out/ files
    def test_files_a_program_writes_come_back_with_limits(self):
        """Through the API: what a program leaves in out/ comes back, by
        name, with exact sizes; links, odd names, other types and what is
        over a limit are refused with their reason."""
        code = "\n".join([
            "import os, base64",
            "assert os.environ['RUNPAD_OUT'] == '/box/out'",
            "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')",
            "open('out/dot.png', 'wb').write(png)",
            "open('out/a.csv', 'w').write('x,y\\n1,2\\n')",
            "open('out/big.txt', 'w').write('z' * 3000)",
            "open('out/fake.png', 'w').write('not a png')",
            "open('out/run.sh', 'w').write('echo')",
            "open(b'out/bad\\xffname.txt', 'w').write('x')",
            "os.symlink('/etc/passwd', 'out/passwd.txt')",
            "os.mkfifo('out/pipe.txt')",
            "print(len(png))",
        ])
        st, res, _ = self.c.run(language="python", code=code,
                                limits={"out_file_size": "2K"})
        self.assertEqual(st, 200, res)
        self.assertEqual(res["verdict"], "accepted", res)
        png_len = int(res["run"]["stdout"])
        files = {f["name"]: f for f in res["files"]}
        self.assertEqual([f["name"] for f in res["files"]], ["a.csv", "big.txt", "dot.png"])
        self.assertEqual(files["a.csv"], {"name": "a.csv", "type": "text/csv", "size": 8,
                                          "data": "x,y\n1,2\n", "encoding": "utf-8",
                                          "truncated": False})
        self.assertEqual(files["big.txt"]["size"], 3000)
        self.assertEqual(files["big.txt"]["data"], "z" * 2048)
        self.assertTrue(files["big.txt"]["truncated"])
        self.assertEqual(files["dot.png"]["type"], "image/png")
        self.assertEqual(files["dot.png"]["encoding"], "base64")
        self.assertEqual(files["dot.png"]["size"], png_len)
        refused = {r["name"]: r["reason"] for r in res["files_refused"]}
        self.assertEqual(sorted(refused), sorted(["bad\\xffname.txt", "fake.png", "passwd.txt",
                                                  "pipe.txt", "run.sh"]), refused)
        self.assertTrue(refused["passwd.txt"].startswith("a symbolic link"), refused)
        self.assertTrue(refused["pipe.txt"].startswith("a FIFO"), refused)
        self.assertTrue(refused["fake.png"].startswith("not a PNG"), refused)
        self.assertTrue(refused["run.sh"].startswith("not a type runpad returns"), refused)
        self.assertTrue(refused["bad\\xffname.txt"].startswith("the name holds a byte"), refused)
        self.assertFalse(res["files_truncated"])
        # a count limit: the first by name, then refusals and the flag
        st, res, _ = self.c.run(language="python", limits={"out_files": 2}, code=(
            "for n in 'dcba':\n    open('out/%s.txt' % n, 'w').write(n)\n"))
        self.assertEqual([f["name"] for f in res["files"]], ["a.txt", "b.txt"])
        self.assertEqual([r["name"] for r in res["files_refused"]], ["c.txt", "d.txt"])
        self.assertTrue(res["files_truncated"])
        # a file named out cannot be placed over the directory
        st, res, _ = self.c.run(language="python", files=[
            {"name": "main.py", "content": "print(1)"}, {"name": "out", "content": "x"}])
        self.assertEqual(st, 400, res)
        self.assertEqual(res["error"]["code"], "bad_file_name")

    def test_metrics(self):
        self.c.run(language="python", code="print(1)")
        st, text, r = self.c.request("GET", "/api/metrics")
        self.assertEqual(st, 200)
        text = text.decode()
        self.assertIn('runpad_runs_total{language="python",verdict="accepted"}', text)
        self.assertIn("runpad_run_duration_seconds_bucket", text)
        self.assertIn("runpad_slots %d" % SLOTS, text)
        self.assertIn("runpad_queue_depth", text)
        self.assertIn("runpad_slots_busy", text)

    # ------------------------------------------------------ sync runs
    def test_python_stdin_and_args(self):
        st, res, _ = self.c.run(language="py", code="import sys\nprint(input()[::-1], sys.argv[1:])",
                               stdin="hello\n", args=["a b", "c"])
        self.assertEqual(st, 200, res)
        self.assertEqual(res["verdict"], "accepted")
        self.assertIsNone(res["compile"])
        self.assertEqual(res["run"]["stdout"], "olleh ['a b', 'c']\n")
        self.assertEqual(res["run"]["exit_code"], 0)
        for k in ("cpu_ms", "wall_ms", "memory_bytes", "stdout_truncated", "stderr_truncated"):
            self.assertIn(k, res["run"])
        self.assertRegex(res["id"], "^[0-9a-f]{32}$")

    def test_c_compiles_and_runs(self):
        st, res, _ = self.c.run(language="c", files=[
            {"name": "main.c", "content": '#include "util.h"\nint main(void){ hello(); return 0; }'},
            {"name": "util.h", "content": '#include <stdio.h>\nstatic void hello(void){ puts("hi from c"); }'}])
        self.assertEqual(st, 200, res)
        self.assertEqual(res["verdict"], "accepted")
        self.assertEqual(res["compile"]["verdict"], "accepted")
        self.assertEqual(res["run"]["stdout"], "hi from c\n")

    def test_compile_error_has_diagnostics(self):
        st, res, _ = self.c.run(language="c", code="int main(void)\n{\n\treturn x;\n}\n")
        self.assertEqual(st, 200)
        self.assertEqual(res["verdict"], "compile_error")
        self.assertEqual(res["compile"]["verdict"], "compile_error")
        self.assertIsNone(res["run"])
        d = [d for d in res["compile"]["diagnostics"] if d["severity"] == "error"][0]
        self.assertEqual((d["file"], d["line"], d["column"]), ("main.c", 3, 9))
        self.assertIn("undeclared", d["message"])

    def test_python_traceback_diagnostics(self):
        st, res, _ = self.c.run(language="python", code="x = 1\nprint(y)\n")
        self.assertEqual(res["verdict"], "runtime_error")
        self.assertEqual(res["run"]["exit_code"], 1)
        d = res["run"]["diagnostics"][0]
        self.assertEqual((d["file"], d["line"]), ("main.py", 2))
        self.assertIn("NameError", d["message"])

    def test_verdicts_are_the_same_in_every_language(self):
        cases = [
            ("python", "while True: pass", {"cpu_time": 500}, "time_limit"),
            ("c", "int main(void){ for(;;); }", {"cpu_time": 500}, "time_limit"),
            ("python", "import time; time.sleep(5)", {"wall_time": 500}, "time_limit"),
            ("python", "x = bytearray(400 << 20)", {"memory": "64M"}, "memory_limit"),
            ("c", "#include <stdlib.h>\nint main(void){ volatile char *p = malloc(400 << 20);"
                  " for (long i = 0; i < (400 << 20); i += 4096) p[i] = 1; return p[4096]; }",
             {"memory": "64M"}, "memory_limit"),
            ("python", "print('x' * 100000)", {"stdout": 1000}, "output_limit"),
            ("python", "import os; os.kill(os.getpid(), 11)", {}, "signal"),
            ("c", "int main(void){ return 7; }", {}, "runtime_error"),
        ]
        for lang, code, limits, verdict in cases:
            with self.subTest(lang=lang, verdict=verdict):
                st, res, _ = self.c.run(language=lang, code=code, limits=limits)
                self.assertEqual(st, 200, res)
                self.assertEqual(res["verdict"], verdict, res["run"])

    def test_tests_compile_once_with_a_verdict_each(self):
        code = ('#include <stdio.h>\nint main(void){ int a, b; if (scanf("%d %d", &a, &b) != 2) return 3;'
                ' printf("%d\\n", a + b); return 0; }')
        st, res, _ = self.c.run(language="c", code=code, tests=[
            {"name": "small", "stdin": "1 2\n", "expected_stdout": "3\n"},
            {"name": "trailing blanks", "stdin": "2 2", "expected_stdout": "4  \n\n"},
            {"name": "wrong", "stdin": "2 2", "expected_stdout": "5\n"},
            {"name": "crash", "stdin": "", "expected_stdout": "0\n"},
        ])
        self.assertEqual(st, 200, res)
        self.assertEqual([t["verdict"] for t in res["tests"]],
                         ["accepted", "accepted", "wrong_answer", "runtime_error"])
        self.assertEqual(res["verdict"], "wrong_answer")
        self.assertEqual((res["passed"], res["total"]), (2, 4))
        self.assertEqual(res["compile"]["verdict"], "accepted")
        self.assertEqual(res["tests"][0]["stdout"], "3\n")
        self.assertIn("wall_ms", res["tests"][0])

    def test_tests_exact_compare(self):
        st, res, _ = self.c.run(language="python", code="print(input())", compare="exact",
                               tests=[{"stdin": "a", "expected_stdout": "a"}])
        self.assertEqual(res["tests"][0]["verdict"], "wrong_answer")

    # ------------------------------------------------------ streaming
    def test_stream_arrives_while_the_program_runs(self):
        code = "import time\nprint('first', flush=True)\ntime.sleep(1.5)\nprint('second')\n"
        conn, resp = self.c.stream({"language": "python", "code": code})
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Content-Type"), "application/x-ndjson")
        seen = list(events(resp))
        conn.close()
        kinds = [e["event"] for _, e in seen]
        self.assertEqual(kinds[0], "start")
        self.assertIn("run_start", kinds)
        t_first = [t for t, e in seen if e["event"] == "stdout" and "first" in e["data"]][0]
        t_exit = [t for t, e in seen if e["event"] == "exit"][0]
        # the first line reached us well before the program ended
        self.assertGreater(t_exit - t_first, 1.0)
        self.assertEqual(kinds[-1], "result")
        self.assertEqual(seen[-1][1]["result"]["run"]["stdout"], "first\nsecond\n")

    def test_stream_compile_events(self):
        conn, resp = self.c.stream({"language": "c", "code": "int main(void){ return 0; }"})
        kinds = [e["event"] for _, e in events(resp)]
        conn.close()
        self.assertEqual(kinds[:2], ["start", "compile_start"])
        self.assertEqual(kinds.count("exit"), 2)
        self.assertIn("run_start", kinds)
        # a compiler that fails: the exit event says so as the result does
        conn, resp = self.c.stream({"language": "c", "code": "int main(void){ return x; }"})
        evs = [e for _, e in events(resp)]
        conn.close()
        exits = [e for e in evs if e["event"] == "exit"]
        self.assertEqual([(e["stage"], e["verdict"]) for e in exits], [("compile", "compile_error")])
        self.assertNotIn("stdout", exits[0])
        self.assertEqual(evs[-1]["result"]["compile"]["verdict"], "compile_error")
        self.assertNotIn("run_start", [e["event"] for e in evs])

    def test_stream_keeps_utf8_whole(self):
        code = "import sys\nfor i in range(2000): sys.stdout.write('é€😀')\n"
        conn, resp = self.c.stream({"language": "python", "code": code})
        text = "".join(e["data"] for _, e in events(resp) if e["event"] == "stdout")
        conn.close()
        self.assertEqual(text, "é€😀" * 2000)

    def test_interactive_stdin_round_trip(self):
        code = "name = input('name? ')\nprint('hello', name)\nprint(input())\n"
        conn, resp = self.c.stream({"language": "python", "code": code, "interactive": True})
        it = events(resp)
        _, start = next(it)
        self.assertTrue(start["interactive"])
        rid = start["id"]
        # the program is waiting for input: answer it after the start
        _, _ = next(it)  # run_start
        time.sleep(0.3)
        st, body, _ = self.c.request("POST", "/api/runs/%s/stdin" % rid, {"data": "Ada\n"})
        self.assertEqual(st, 200, body)
        out = ""
        for _, e in it:
            if e["event"] == "stdout":
                out += e["data"]
                if "hello Ada" in out:
                    break
        st, body, _ = self.c.request("POST", "/api/runs/%s/stdin" % rid, {"data": "bye\n", "eof": True})
        self.assertEqual(st, 200, body)
        rest = list(it)
        conn.close()
        result = rest[-1][1]["result"]
        self.assertEqual(result["verdict"], "accepted")
        self.assertEqual(result["run"]["stdout"], "name? hello Ada\nbye\n")
        # the run is over: its id is gone
        st, body, _ = self.c.request("POST", "/api/runs/%s/stdin" % rid, {"data": "x"})
        self.assertEqual(st, 404)
        self.assertEqual(body["error"]["code"], "no_such_run")

    def test_stdin_of_a_non_interactive_run_is_closed(self):
        conn, resp = self.c.stream({"language": "python", "code": "import time; time.sleep(1)"})
        _, start = next(events(resp))
        st, body, _ = self.c.request("POST", "/api/runs/%s/stdin" % start["id"], {"data": "x"})
        self.assertEqual((st, body["error"]["code"]), (409, "stdin_closed"))
        list(events(resp))
        conn.close()

    def test_kill(self):
        conn, resp = self.c.stream({"language": "python", "code": "import time\nprint('up', flush=True)\ntime.sleep(30)",
                                    "limits": {"wall_time": 20000}})
        it = events(resp)
        _, start = next(it)
        for _, e in it:
            if e["event"] == "stdout":
                break
        t0 = time.monotonic()
        st, body, _ = self.c.request("POST", "/api/runs/%s/kill" % start["id"])
        self.assertEqual((st, body), (200, {"killed": True}))
        rest = list(it)
        conn.close()
        self.assertLess(time.monotonic() - t0, 5)
        run = rest[-1][1]["result"]["run"]
        self.assertEqual(run["verdict"], "signal")
        self.assertEqual(run["message"], "stopped on request")
        st, body, _ = self.c.request("POST", "/api/runs/%s/kill" % ("0" * 32))
        self.assertEqual(st, 404)

    def test_client_that_leaves_frees_its_slot(self):
        self.wait_idle()
        body = json.dumps({"language": "python", "code": "import time; time.sleep(30)",
                           "limits": {"wall_time": 20000}}).encode()
        s = socket.create_connection((self.c.host, self.c.port))
        s.sendall(b"POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        deadline = time.time() + 10
        while time.time() < deadline:
            _, h, _ = self.c.request("GET", "/api/healthz")
            if h["slots_busy"] >= 1:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(h["slots_busy"], 1)
        s.close()
        t0 = time.monotonic()
        self.wait_idle(timeout=10)
        self.assertLess(time.monotonic() - t0, 5)
        time.sleep(0.2)
        self.assertRegex(self.fcgi_log(), r"POST /api/run 499 python")

    # ------------------------------------------------------ capacity
    def test_fifty_concurrent_runs_complete_or_get_503(self):
        self.wait_idle()

        def one(i):
            try:
                st, res, r = self.c.run(language="python",
                                        code="import time; time.sleep(0.3); print(%d)" % i)
                return st, res, r.getheader("Retry-After")
            except Exception as e:  # a hang or a dropped connection
                return "error", repr(e), None

        with concurrent.futures.ThreadPoolExecutor(50) as ex:
            results = list(ex.map(one, range(50)))
        ok = [r for r in results if r[0] == 200]
        busy = [r for r in results if r[0] == 503]
        self.assertEqual(len(ok) + len(busy), 50, [r for r in results if r[0] not in (200, 503)])
        self.assertGreaterEqual(len(ok), SLOTS)
        for st, res, _ in ok:
            self.assertEqual(res["verdict"], "accepted", res)
        for st, res, retry in busy:
            self.assertEqual(res["error"]["code"], "busy")
            self.assertTrue(retry and retry.isdigit())
        self.wait_idle()

    # ------------------------------------------------------ bad input
    def assertError(self, result, status, code, *words):
        st, body, _ = result
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        for w in words:
            self.assertIn(w, body["error"]["message"])

    def test_malformed_json_says_where(self):
        self.assertError(self.c.request("POST", "/api/run", raw=b'{"language": "python",\n "code": }'),
                         400, "bad_json", "line 2")
        self.assertError(self.c.request("POST", "/api/run", raw=b'{"language": "python"'),
                         400, "bad_json", "not complete")
        self.assertError(self.c.request("POST", "/api/run", raw=b'[1, 2]'), 400, "bad_json", "object")
        self.assertError(self.c.request("POST", "/api/run", raw=b'{"a": 1} x'), 400, "bad_json", "column 10")
        self.assertError(self.c.request("POST", "/api/run", raw=b'{"code": "\xff"}'), 400, "bad_json")
        self.assertError(self.c.request("POST", "/api/run", raw=b""), 400, "bad_json")

    def test_fields_are_checked_by_name(self):
        r = self.c.run
        self.assertError(r(code="x"), 400, "missing_field", "language")
        self.assertError(r(language="pyhton", code="x"), 400, "unknown_language", "'python'")
        self.assertError(r(language="python"), 400, "missing_field", "files")
        self.assertError(r(language="python", code="x", colour="red"), 400, "unknown_field", "colour")
        self.assertError(r(language="python", code=3), 400, "bad_field", "code")
        self.assertError(r(language="python", code="x", version="2.7"), 400, "unknown_version", "version")
        for name in ("../x", "a/b", "..", ".", "", "a\u0000b"):
            with self.subTest(name=name):
                self.assertError(r(language="python", files=[{"name": name, "content": "x"}]),
                                 400, "bad_file_name", "files[0].name")
        self.assertError(r(language="python", files=[{"name": "a.py", "content": "x"}] * 2),
                         400, "bad_file_name", "twice")
        self.assertError(r(language="python", files=[{"name": "f%d" % i, "content": ""} for i in range(40)]),
                         400, "too_many", "files")
        self.assertError(r(language="python", code="x", args=["a"] * 100), 400, "too_many", "args")
        self.assertError(r(language="python", code="x", args=[1]), 400, "bad_field", "args[0]")
        self.assertError(r(language="python", code="x", limits={"cpu_time": 3600000}),
                         400, "limit_too_high", "limits.cpu_time")
        self.assertError(r(language="python", code="x", limits={"memory": "64G"}),
                         400, "limit_too_high", "limits.memory")
        self.assertError(r(language="c", code="x", compile_limits={"wall_time": "1h"}),
                         400, "limit_too_high", "compile_limits.wall_time")
        self.assertError(r(language="python", code="x", limits={"colour": 1}), 400, "bad_limit", "limits.colour")
        self.assertError(r(language="python", code="x", limits={"memory": "lots"}), 400, "bad_limit", "limits.memory")
        self.assertError(r(language="python", code="x", tests=[{"stdin": ""}]),
                         400, "missing_field", "tests[0].expected_stdout")
        self.assertError(r(language="python", code="x", tests=[{"stdin": "", "expected_stdout": ""}] * 65),
                         400, "too_many", "tests")
        self.assertError(r(language="python", code="x", stdin="y" * (1 << 20 + 1)), 413, "too_large", "stdin")
        self.assertError(r(language="python", code="x", interactive=True), 400, "bad_field", "interactive")

    def test_sizes(self):
        self.assertError(self.c.run(language="python", code="#" * (1 << 20 + 1)), 413, "too_large", "code")
        # nginx's client_max_body_size (4m) is the first wall
        st, body, _ = self.c.request("POST", "/api/run", raw=b"x" * (5 << 20))
        self.assertEqual(st, 413)

    def test_methods_and_paths(self):
        st, body, r = self.c.request("GET", "/api/run")
        self.assertEqual((st, body["error"]["code"]), (405, "method_not_allowed"))
        self.assertEqual(r.getheader("Allow"), "POST")
        st, body, r = self.c.request("DELETE", "/api/runtimes")
        self.assertEqual((st, r.getheader("Allow")), (405, "GET"))
        self.assertError(self.c.request("GET", "/api/nothing"), 404, "not_found")
        self.assertError(self.c.request("GET", "/api/submissions/xyz"), 404, "not_found")
        self.assertError(self.c.request("GET", "/api/submissions/" + "0" * 32), 404, "no_such_submission")

    # ------------------------------------------------------ async
    def submit(self, body):
        st, res, r = self.c.request("POST", "/api/submissions", body)
        self.assertEqual(st, 202, res)
        self.assertEqual(r.getheader("Location"), "/api/submissions/" + res["id"])
        return res["id"]

    def poll(self, sid, want=("done",), timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, res, _ = self.c.request("GET", "/api/submissions/" + sid)
            self.assertEqual(st, 200, res)
            if res["status"] in want:
                return res
            time.sleep(0.05)
        self.fail("submission %s stayed %s" % (sid, res["status"]))

    def test_async_submission_survives_a_restart(self):
        sid = self.submit({"language": "python", "code": "print(6 * 7)",
                           "tests": [{"stdin": "", "expected_stdout": "42"}]})
        done = self.poll(sid)
        self.assertEqual(done["result"]["verdict"], "accepted")
        self.assertEqual(done["result"]["tests"][0]["stdout"], "42\n")
        self.assertLessEqual(done["created_at"], done["finished_at"])
        # one caught mid-run by a restart, one still queued behind it
        slow = self.submit({"language": "python", "code": "import time; time.sleep(20)",
                            "limits": {"wall_time": 20000}})
        self.poll(slow, want=("running",))
        self.stack.stop_fcgi(sig=9)
        self.stack.start_fcgi()
        self.assertEqual(self.poll(sid)["result"]["verdict"], "accepted")
        res = self.poll(slow)
        self.assertEqual(res["result"]["verdict"], "internal_error")
        self.assertIn("restarted", res["result"]["message"])
        later = self.submit({"language": "python", "code": "print('after')"})
        self.assertEqual(self.poll(later)["result"]["run"]["stdout"], "after\n")

    def test_async_refuses_bad_requests_at_once(self):
        st, res, _ = self.c.request("POST", "/api/submissions", {"language": "nope", "code": ""})
        self.assertEqual((st, res["error"]["code"]), (400, "unknown_language"))

    # ------------------------------------------------------ piston
    def test_piston_execute_any_content_type(self):
        st, res, _ = self.c.request("POST", "/api/v2/execute", raw=json.dumps({
            "language": "python", "version": "*", "files": [{"content": "import sys; print(sys.argv[1:]); sys.exit(2)"}],
            "args": ["1"], "stdin": "", "run_timeout": 3000, "compile_timeout": 10000,
            "run_memory_limit": -1, "compile_memory_limit": -1}).encode(),
            headers={"Content-Type": "text/plain;charset=UTF-8"})
        self.assertEqual(st, 200, res)
        self.assertEqual(res["run"]["stdout"], "['1']\n")
        self.assertEqual(res["run"]["code"], 2)
        self.assertEqual(res["run"]["status"], "RE")
        self.assertNotIn("compile", res)
        st, res, _ = self.c.request("GET", "/api/v2/runtimes")
        self.assertTrue(any(r["language"] == "python" for r in res))
        for r in res:
            self.assertEqual(sorted(r), ["aliases", "language", "version"], r)
        st, res, _ = self.c.request("POST", "/api/v2/execute", {"language": "cobol-85", "version": "*", "files": []})
        self.assertEqual(st, 400)
        self.assertIn("message", res)

    # ------------------------------------------------------ reload, tokens
    def test_reload_turns_tokens_on_without_dropping_runs(self):
        conn, resp = self.c.stream({"language": "python", "code": "import time; time.sleep(1.5); print('done')"})
        it = events(resp)
        next(it)
        try:
            self.stack.write_settings({"fcgi.token": TOKEN})
            self.stack.reload()
            deadline = time.time() + 10
            while time.time() < deadline:
                st, _, _ = self.c.request("GET", "/api/runtimes")
                if st == 401:
                    break
                time.sleep(0.1)
            st, body, r = self.c.request("GET", "/api/runtimes")
            self.assertEqual((st, body["error"]["code"]), (401, "unauthorized"))
            self.assertIn("Bearer", r.getheader("WWW-Authenticate"))
            self.assertEqual(self.c.request("GET", "/api/healthz")[0], 200)
            authed = Client(self.stack.url, TOKEN)
            self.assertEqual(authed.request("GET", "/api/runtimes")[0], 200)
            self.assertEqual(Client(self.stack.url, "wrong-token-0123456789").request("GET", "/api/runtimes")[0], 401)
            # the run that started before the reload finished normally
            rest = list(it)
            self.assertEqual(rest[-1][1]["result"]["run"]["stdout"], "done\n")
        finally:
            conn.close()
            self.stack.settings.pop("fcgi.token")
            self.stack.write_settings({})
            self.stack.reload()
            deadline = time.time() + 10
            while time.time() < deadline and self.c.request("GET", "/api/runtimes")[0] != 200:
                time.sleep(0.1)
        self.assertIn("settings reloaded", self.fcgi_log())

    def test_reload_refuses_bad_settings_and_keeps_running(self):
        self.stack.write_settings({"fcgi.queue": "lots"})
        try:
            self.stack.reload()
            deadline = time.time() + 10
            while time.time() < deadline and "reload refused" not in self.fcgi_log():
                time.sleep(0.1)
            self.assertIn("reload refused", self.fcgi_log())
            self.assertEqual(self.c.run(language="python", code="print(1)")[0], 200)
        finally:
            self.stack.write_settings({"fcgi.queue": str(QUEUE)})


if __name__ == "__main__":
    unittest.main(verbosity=2)


class RateLimitTest(unittest.TestCase):
    """nginx's limit_req on the endpoints that start runs: per client
    address over TCP, with requests that come in on the site's unix
    listener (the pad daemon's runs) left out."""

    @classmethod
    def setUpClass(cls):
        ok, why = jail_usable()
        if not ok:
            raise unittest.SkipTest("the jail cannot start here:\n" + why)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-itest-rate-")
        cls.stack = stack.Stack(cls.tmp, rate="1r/s", ws=False, fcgi_settings={
            "slots": "1",
            "first_uid": "62100",
            "cgroup_parent": "runpad-itest",
        })
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def burst(self, connect):
        """Statuses of 30 bad run requests (each answered 400 by the
        runner at once unless nginx refuses it first)."""
        statuses = []
        for _ in range(30):
            conn = connect()
            conn.request("POST", "/api/run", body=b"{",
                         headers={"Content-Type": "application/json"})
            statuses.append(conn.getresponse().status)
            conn.close()
        return statuses

    def test_tcp_clients_are_limited(self):
        host, port = "127.0.0.1", self.stack.port
        st = self.burst(lambda: http.client.HTTPConnection(host, port, timeout=10))
        # burst=20 in the snippet: the first 21 pass, the rest are refused
        self.assertIn(429, st, st)
        self.assertEqual(set(st), {400, 429}, st)

    def test_unix_listener_is_not_limited(self):
        path = os.path.join(self.stack.root, "tmp", "nginx.sock")

        class UnixConnection(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(10)
                self.sock.connect(path)

        st = self.burst(lambda: UnixConnection("localhost", timeout=10))
        self.assertEqual(set(st), {400}, st)
