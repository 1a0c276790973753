#!/usr/bin/python3
"""The Debian packages, installed and used as an admin would.

`make check-deb` builds them (make deb) and runs this, as root:

1. lintian over the .changes: no error, no warning (what is overridden
   says why in packaging/debian/*.lintian-overrides);
2. install them with apt-get (dependencies from Debian's archive);
3. `systemd-analyze verify` on the installed units;
4. start runpad-fcgi (from its socket unit) and runpad-ws the way their
   units say (tests/packaging/units.py: no systemd as PID 1 here);
5. Debian's stock nginx.conf and its stock default site with the one line
   `include snippets/runpad.conf;` added, on a loopback port;
6. a smoke test through it: the web app, runtimes, a run, a pad edited by
   two websocket clients and a shared run with stdin from the second
   (tests/integration/collab/deb-smoke.test.mjs), and the app in Debian's
   Chromium making a pad and running a program (tests/e2e/deb-page.mjs);
   reload both daemons and use them again; stop them (exit 0);
7. purge, and check that nothing is left but the runpad system user.

It changes the machine (packages, /etc/runpad, /var/lib/runpad): it runs
only as root and purges what it installed, also on failure.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests"))
import stack  # noqa: E402
import units  # noqa: E402

BUILD = os.environ.get("RUNPAD_BUILD", os.path.join(REPO, "build"))
DEB_DIR = os.path.join(BUILD, "deb")
PACKAGES = ["runpad", "runpad-common", "runpad-runner", "runpad-server",
            "runpad-web"]
# where a runpad file may be found on the host; after purge nothing there
# may name runpad but what was there before
WATCH = ["/etc", "/usr", "/lib", "/var/lib", "/run"]


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def runpad_files():
    found = set()
    for top in WATCH:
        for root, dirs, files in os.walk(top):
            # the jail's test user and cgroups of the other suites are
            # not the packages'
            dirs[:] = [d for d in dirs if d not in ("proc", "sys")]
            for n in dirs + files:
                if "runpad" in n and "runpad-test" not in n:
                    found.add(os.path.join(root, n))
    return found


def purge():
    installed = [p for p in PACKAGES if sh(
        ["dpkg-query", "-W", "-f=${Status}", p], check=False).stdout.startswith(
            "install ok")]
    if installed:
        sh(["apt-get", "purge", "-y", "-qq"] + installed,
           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def http(url, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={
        "Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.headers, r.read()


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def stock_nginx(root, port):
    """Debian's /etc/nginx copied under root, its stock default site with
    one include line added and listening on 127.0.0.1:port; pid and logs
    under root.  Returns the path of nginx.conf."""
    conf = os.path.join(root, "nginx")
    shutil.copytree("/etc/nginx", conf, symlinks=False)
    main = os.path.join(conf, "nginx.conf")
    text = read(main)
    text = text.replace("/etc/nginx/", conf + "/")
    text = re.sub(r"(?m)^pid .*$", "pid %s/nginx.pid;" % root, text)
    text = re.sub(r"(?m)^(\s*)error_log .*$",
                  r"\1error_log %s/error.log;" % root, text)
    text = re.sub(r"(?m)^(\s*)access_log .*$",
                  r"\1access_log %s/access.log;" % root, text)
    write(main, text)
    site = os.path.join(conf, "sites-enabled", "default")
    stock = read("/etc/nginx/sites-available/default")
    assert "server_name _;" in stock, "not Debian's stock default site"
    s = stock.replace("listen 80 default_server;",
                      "listen 127.0.0.1:%d default_server;" % port)
    s = s.replace("listen [::]:80 default_server;", "")
    # the one line an admin adds
    s = s.replace("server_name _;",
                  "server_name _;\n\tinclude snippets/runpad.conf;", 1)
    write(site, s)
    return main


@unittest.skipUnless(os.geteuid() == 0,
                     "installs packages: needs root (CI runs as root)")
class Packages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.changes = glob.glob(os.path.join(DEB_DIR, "*.changes"))
        cls.debs = sorted(d for d in glob.glob(os.path.join(DEB_DIR, "*.deb"))
                          if "-dbgsym_" not in d)
        if not cls.changes or len(cls.debs) != len(PACKAGES):
            raise unittest.SkipTest("no packages in %s: make deb" % DEB_DIR)
        cls.tmp = tempfile.mkdtemp(prefix="runpad-deb-")
        os.chmod(cls.tmp, 0o755)
        purge()  # a previous run that died half-way
        cls.before = runpad_files()
        cls.services = []
        cls.nginx = None

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()
        purge()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def stop_all(cls):
        if cls.nginx and cls.nginx.poll() is None:
            cls.nginx.terminate()
            cls.nginx.wait(20)
        for s in cls.services:
            s.stop()
        cls.services = []

    # ------------------------------------------------------------ 1
    def test_1_lintian(self):
        # the verdict: errors and warnings that are not overridden
        r = sh(["lintian", "--fail-on", "error,warning", "--info",
                "--display-level", ">=info"] + self.changes, check=False)
        # the summary shows the overrides too (with their reasons)
        shown = sh(["lintian", "--info", "--display-level", ">=info",
                    "--show-overrides"] + self.changes, check=False)
        tags = {}
        for line in shown.stdout.splitlines():
            m = re.match(r"^([EWIPXO]): ", line)
            if m:
                tags[m.group(1)] = tags.get(m.group(1), 0) + 1
        print("\nlintian %s: %s (O: overridden, with a reason)\n%s" % (
            sh(["lintian", "--version"]).stdout.strip(),
            ", ".join("%s=%d" % kv for kv in sorted(tags.items())) or
            "no tags", shown.stdout), file=sys.stderr)
        self.assertEqual(r.returncode, 0, "lintian:\n" + r.stdout + r.stderr)
        self.assertFalse(re.search(r"(?m)^[EW]: ", r.stdout), r.stdout)

    # ------------------------------------------------------------ 2..6
    def test_2_install_and_use(self):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
           + [os.path.abspath(d) for d in self.debs], env=env, timeout=600)
        for p in PACKAGES:
            st = sh(["dpkg-query", "-W", "-f=${Status}", p]).stdout
            self.assertEqual(st, "install ok installed", p)
        # the system user from sysusers.d, the files where they belong
        sh(["id", "runpad"])
        for path in ("/usr/sbin/runpad-fcgi", "/usr/sbin/runpad-ws",
                     "/usr/bin/runpad-jail", "/etc/runpad/runpad.conf",
                     "/etc/runpad/conf.d", "/etc/runpad/languages.conf",
                     "/usr/share/runpad/web/index.html",
                     "/etc/nginx/snippets/runpad.conf",
                     "/etc/nginx/conf.d/runpad.conf",
                     "/usr/share/doc/runpad-web/examples/runpad-site.conf"):
            self.assertTrue(os.path.exists(path), path)
        for prog in ("runpad-fcgi", "runpad-ws", "runpad-jail"):
            out = sh([prog, "--version"]).stdout
            self.assertRegex(out, r"^%s \d+\.\d+" % prog)
        for page in ("runpad-fcgi.8", "runpad-ws.8", "runpad-jail.1",
                     "runpad.conf.5"):
            sect = page.rsplit(".", 1)[1]
            sh(["man", "-w", sect, page.rsplit(".", 1)[0]])

        # 3. the installed units
        r = sh(["systemd-analyze", "verify", "--man=yes",
                "/lib/systemd/system/runpad-fcgi.socket",
                "/lib/systemd/system/runpad-fcgi.service",
                "/lib/systemd/system/runpad-ws.service"], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "",
                         "systemd-analyze verify complained")

        # 4. the daemons, as their units start them
        logs = os.path.join(self.tmp, "logs")
        os.makedirs(logs)
        fcgi = units.Service("runpad-fcgi.service", logs)
        self.services.append(fcgi.start())
        fcgi.wait_for("ready:")
        self.assertIn("rootless", fcgi.output(),
                      "the packaged runner must run rootless")
        ws = units.Service("runpad-ws.service", logs)
        self.services.append(ws.start())
        ws.wait_for("listening")
        for s in self.services:
            st = os.stat("/proc/%d" % s.proc.pid)
            self.assertNotEqual(st.st_uid, 0, s.unit + " runs as root")

        # 5. stock nginx + one include line
        port = stack.free_port()
        conf = stock_nginx(self.tmp, port)
        sh(["nginx", "-t", "-c", conf])
        with open(os.path.join(logs, "nginx.out"), "w") as out:
            type(self).nginx = subprocess.Popen(
                ["nginx", "-c", conf, "-g", "daemon off;"], stdout=out,
                stderr=subprocess.STDOUT)
        base = "http://127.0.0.1:%d/runpad/" % port
        end = time.time() + 20
        while True:
            try:
                st, _, page = http(base)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.1)

        # 6. the smoke test
        self.assertEqual(st, 200)
        self.assertIn(b"<div id=\"root\">", page)
        st, _, body = http(base + "api/runtimes")
        langs = {r["language"] for r in json.loads(body)}
        self.assertTrue({"python", "c", "bash"} <= langs, langs)
        st, _, body = http(base + "api/run", {
            "language": "python", "code": "print(6 * 7)"})
        res = json.loads(body)
        self.assertEqual((res["verdict"], res["run"]["stdout"]), ("accepted", "42\n"),
                         res)
        self.node_smoke("ws://127.0.0.1:%d/runpad/ws/" % port, logs)
        self.browser(base, logs)

        # systemctl reload: config check, then SIGHUP; still serving
        fcgi.reload()
        ws.reload()
        fcgi.wait_for("settings reloaded")
        ws.wait_for("settings reloaded")
        st, _, body = http(base + "api/run", {
            "language": "bash", "code": "echo $((2+3))"})
        self.assertEqual(json.loads(body)["run"]["stdout"], "5\n")
        self.node_smoke("ws://127.0.0.1:%d/runpad/ws/" % port, logs)

        # systemctl stop
        type(self).nginx.terminate()
        type(self).nginx.wait(20)
        for s in list(self.services):
            self.assertEqual(s.stop(), 0, s.unit + ":\n" + s.output())
        self.services.clear()
        print("\n--- runpad-fcgi\n%s--- runpad-ws\n%s" % (
            fcgi.output()[-1500:], ws.output()[-1500:]), file=sys.stderr)

    def node_smoke(self, ws_base, logs):
        import test_ws
        node, why = test_ws.node_ready()
        if not node:
            self.fail(why)
        env = dict(os.environ, RUNPAD_DEB_WS=ws_base)
        r = test_ws.node_test(node, ["deb-smoke.test.mjs"], env, 300)
        self.assertEqual(r.returncode, 0, "deb-smoke.test.mjs failed")
        self.assertRegex(r.stdout, r"(?m)^\S* ?pass 1$")

    def browser(self, url, logs):
        """The app in Debian's Chromium: a new pad, a program typed, Run."""
        import test_web
        if not os.access(test_web.CHROMIUM, os.X_OK) or not shutil.which(
                "npm"):
            self.fail("Debian's chromium and npm are needed (make deps "
                      "installs them)")
        test_web.npm_ci()
        shot = os.path.join(logs, "deb-page.png")
        r = subprocess.run(
            ["node", "deb-page.mjs"], cwd=test_web.E2E_DIR,
            env=dict(os.environ, RUNPAD_DEB_URL=url, RUNPAD_DEB_SHOT=shot),
            capture_output=True, text=True, timeout=120)
        print("\n" + r.stdout + r.stderr, file=sys.stderr)
        self.assertEqual(r.returncode, 0, "the app in Chromium failed")
        self.assertTrue(os.path.getsize(shot) > 10000, shot)

    # ------------------------------------------------------------ 7
    def test_3_purge(self):
        self.stop_all()
        purge()
        for p in PACKAGES:
            r = sh(["dpkg-query", "-W", "-f=${Status}", p], check=False)
            self.assertFalse(r.stdout.startswith("install"), p + r.stdout)
        left = runpad_files() - self.before
        self.assertEqual(sorted(left), [], "left behind after purge")
        # what policy keeps: the system user
        self.assertEqual(sh(["id", "-u", "runpad"], check=False).returncode, 0)


if __name__ == "__main__":
    unittest.main()
