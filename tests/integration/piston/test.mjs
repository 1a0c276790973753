// runpad's Piston v2 API driven by the unmodified npm `piston-client`
// (1.0.2, pinned in package.json and package-lock.json).
//
//   node test.mjs http://127.0.0.1:PORT
//
// The argument is what piston-client calls `server`, the site's base URL:
// for any server other than emkc.org, piston-client 1.0.2 appends
// /api/v2/runtimes and /api/v2/execute to it (its index.js), so runpad
// under the default /api/ prefix is reached with the bare site URL; a base
// ending in /api would ask for /api/api/v2/... and is refused here.  Each
// check prints one line ("ok - ..." or "FAIL - ..." with what came back);
// the exit status is 0 when all passed, 1 when one failed, 2 on bad usage.
// Started by tests/integration/test_piston.py, which starts the stack.
//
// What piston-client does that a hand-written test would not: it sends the
// body without a JSON Content-Type (node-fetch labels a string body
// text/plain), always sends args (["1","2","3"] unless given),
// compile_timeout 10000, run_timeout 3000 and memory limits -1, and picks
// `version` from GET /api/v2/runtimes by comparing version strings.

import assert from "node:assert/strict";
import piston from "piston-client";

const server = process.argv[2];
if (!server || !/^https?:\/\//.test(server) || /\/api\/?$/.test(server)) {
  console.error("usage: node test.mjs http://HOST:PORT  (the site's base: " +
                "piston-client appends /api/v2/...)");
  process.exit(2);
}
const client = piston({ server });

const C_HELLO = '#include <stdio.h>\nint main(void) { puts("hello from c"); return 0; }\n';
const C_BROKEN = "int main(void) { return undefined_thing; }\n";

// A result that is not an execute response (piston-client turns a network
// error into {success: false, error}) fails the check with what came back.
function stage(res, name) {
  assert.equal(typeof res, "object", "no response object");
  assert.notEqual(res.success, false, `client error: ${res.error}`);
  assert.equal(typeof res[name], "object", `no ${name} stage in ${JSON.stringify(res)}`);
  assert.ok(res[name] !== null, `${name} is null`);
  return res[name];
}

const checks = [
  ["runtimes() lists python with a version and aliases", async () => {
    const rt = await client.runtimes();
    assert.ok(Array.isArray(rt), `not an array: ${JSON.stringify(rt).slice(0, 200)}`);
    const py = rt.find((r) => r.language === "python");
    assert.ok(py, "no python entry");
    assert.equal(typeof py.version, "string");
    assert.match(py.version, /^\d+(\.\d+)*$/);
    assert.ok(Array.isArray(py.aliases), "aliases is not an array");
    for (const r of rt) {
      assert.equal(typeof r.language, "string");
      assert.equal(typeof r.version, "string", `${r.language}: version`);
      assert.ok(Array.isArray(r.aliases), `${r.language}: aliases`);
    }
    return `${rt.length} runtimes, python ${py.version} aliases ${JSON.stringify(py.aliases)}`;
  }],

  ["execute python with stdin", async () => {
    const res = await client.execute("python", "print(input())", { stdin: "hi" });
    const run = stage(res, "run");
    assert.equal(res.language, "python");
    assert.equal(typeof res.version, "string");
    assert.equal(res.compile, undefined, "an interpreted language has no compile stage");
    assert.equal(run.stdout, "hi\n");
    assert.equal(run.stderr, "");
    assert.equal(run.output, "hi\n");
    assert.equal(run.code, 0);
    assert.equal(run.signal, null);
    return `version ${res.version}, stdout ${JSON.stringify(run.stdout)}`;
  }],

  ["execute passes piston-client's default args", async () => {
    const res = await client.execute("python", "import sys\nprint(sys.argv[1:])");
    const run = stage(res, "run");
    assert.equal(run.stdout, "['1', '2', '3']\n");
    return `stdout ${JSON.stringify(run.stdout)}`;
  }],

  ["execute passes given args verbatim", async () => {
    const res = await client.execute("python", "import sys\nprint(sys.argv[1:])",
                                     { args: ["a b", "", "$HOME"] });
    const run = stage(res, "run");
    assert.equal(run.stdout, "['a b', '', '$HOME']\n");
    return `stdout ${JSON.stringify(run.stdout)}`;
  }],

  ["execute a C program: compile then run", async () => {
    const res = await client.execute("c", C_HELLO);
    const compile = stage(res, "compile");
    const run = stage(res, "run");
    assert.equal(compile.code, 0, `compile: ${JSON.stringify(compile)}`);
    assert.equal(compile.signal, null);
    assert.equal(run.stdout, "hello from c\n");
    assert.equal(run.code, 0);
    return `c ${res.version}, compile.code 0, stdout ${JSON.stringify(run.stdout)}`;
  }],

  ["several files: the first is the entry point", async () => {
    const res = await client.execute({
      language: "python",
      files: [{ name: "main.py", content: "import helper\nprint(helper.twice(21))" },
              { name: "helper.py", content: "def twice(x):\n    return 2 * x\n" }],
      args: [],
    });
    const run = stage(res, "run");
    assert.equal(run.stdout, "42\n", `run: ${JSON.stringify(run)}`);
    return `stdout ${JSON.stringify(run.stdout)}`;
  }],

  ["a runtime error gives its exit code", async () => {
    const res = await client.execute("python", "raise SystemExit(3)");
    const run = stage(res, "run");
    assert.equal(run.code, 3);
    assert.equal(run.signal, null);
    return `code 3, status ${JSON.stringify(run.status)}, message ${JSON.stringify(run.message)}`;
  }],

  ["a C compile error stops before the run", async () => {
    const res = await client.execute("c", C_BROKEN);
    const compile = stage(res, "compile");
    assert.notEqual(compile.code, 0, `compile: ${JSON.stringify(compile)}`);
    assert.match(compile.stderr, /error/);
    // Piston does not run after a failed compile: the run key is absent
    assert.equal(res.run, undefined, `run: ${JSON.stringify(res.run)}`);
    return `compile.code ${compile.code}, status ${JSON.stringify(compile.status)}, ` +
           `stderr ${JSON.stringify(compile.stderr.split("\n").find((l) => /error/.test(l)))}`;
  }],

  ["an endless loop is killed at runTimeout", async () => {
    const t0 = Date.now();
    const res = await client.execute("python", "while True:\n    pass\n", { runTimeout: 1000 });
    const ms = Date.now() - t0;
    const run = stage(res, "run");
    assert.equal(run.signal, "SIGKILL", `run: ${JSON.stringify(run)}`);
    assert.equal(run.code, null);
    assert.equal(run.status, "TO");
    assert.ok(ms < 10000, `took ${ms} ms`);
    return `signal SIGKILL, status TO, message ${JSON.stringify(run.message)}, ` +
           `wall_time ${run.wall_time} ms, request ${ms} ms`;
  }],

  ["an unknown language gets a top-level message", async () => {
    const res = await client.execute("no-such-language", "print(1)");
    assert.equal(typeof res, "object");
    assert.equal(res.run, undefined);
    assert.equal(typeof res.message, "string", `body: ${JSON.stringify(res)}`);
    assert.match(res.message, /no-such-language/);
    return `message ${JSON.stringify(res.message)}`;
  }],
];

let failed = 0;
for (const [name, fn] of checks) {
  try {
    const detail = await fn();
    console.log(`ok - ${name}${detail ? ": " + detail : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${e.message.split("\n").join("\n       ")}`);
  }
}
console.log(`${checks.length - failed} of ${checks.length} checks passed`);
process.exit(failed ? 1 : 0);
