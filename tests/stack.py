#!/usr/bin/python3
"""The whole runpad stack on loopback: Debian's nginx with its own prefix,
runpad-fcgi and runpad-ws on unix sockets, the shipped nginx snippets
included unchanged, one settings file for both daemons.

Used by `make run` (python3 tests/stack.py run) and imported by the
integration tests, so both start the stack the same way.
"""
import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("RUNPAD_BUILD", os.path.join(REPO, "build"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stack:
    """Start with .start(), stop with .stop(); .url is the site's base."""

    def __init__(self, root, port=None, fcgi_settings=None, rate="10000000r/s",
                 fcgi_env=None, log=None, ws=True, server_extra=""):
        self.root = os.path.abspath(root)
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.settings = dict(fcgi_settings or {})
        self.rate = rate
        self.fcgi_env = fcgi_env
        self.log = log
        self.fcgi = None
        self.nginx = None
        self.fcgi_log = os.path.join(self.root, "logs", "runpad-fcgi.log")
        self.with_ws = ws
        # more of the server block, before the snippet's include
        self.server_extra = server_extra
        self.ws = None
        self.ws_url = "ws://127.0.0.1:%d/ws/" % self.port
        self.ws_sock = os.path.join(self.root, "run", "ws.sock")
        self.ws_log = os.path.join(self.root, "logs", "runpad-ws.log")

    # ------------------------------------------------------------ files
    def _dirs(self):
        for d in ("conf", "logs", "tmp", "run", "state"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        # nginx's workers (and, as root, nginx itself) run as nobody:
        # they need to reach the socket and the web root
        os.chmod(self.root, 0o755)
        os.chmod(os.path.join(self.root, "run"), 0o755)

    def webroot(self):
        """The built web app (make web); tests of the API alone do not
        need it built."""
        return os.path.join(REPO, "web", "dist")

    def _render_nginx(self, http):
        """conf/: Debian's fastcgi_params and mime.types, the http-level
        file given (runpad-http.conf with this stack's sockets) and
        nginx.conf from nginx/dev.conf.in."""
        conf = os.path.join(self.root, "conf")
        for f in ("fastcgi_params", "mime.types"):
            shutil.copy(os.path.join("/etc/nginx", f), os.path.join(conf, f))
        http = http.replace("rate=10r/s", "rate=" + self.rate)
        with open(os.path.join(conf, "runpad-http.conf"), "w") as f:
            f.write(http)
        with open(os.path.join(REPO, "nginx", "dev.conf.in")) as f:
            main = f.read()
        main = (main.replace("@PREFIX@", self.root)
                .replace("@LISTEN@", "127.0.0.1:%d" % self.port)
                .replace("@WEBROOT@", self.webroot())
                .replace("@REPO@", REPO))
        if self.server_extra:
            inc = "include %s/nginx/runpad.conf;" % REPO
            main = main.replace(inc, self.server_extra + "\n        " + inc)
        with open(os.path.join(conf, "nginx.conf"), "w") as f:
            f.write(main)

    @staticmethod
    def shipped_http():
        with open(os.path.join(REPO, "nginx", "runpad-http.conf")) as f:
            return f.read()

    def _render(self):
        conf = os.path.join(self.root, "conf")
        sock = os.path.join(self.root, "run", "fcgi.sock")
        http = self.shipped_http()
        http = http.replace("unix:/run/runpad-fcgi.sock", "unix:" + sock)
        http = http.replace("unix:/run/runpad/ws.sock", "unix:" + self.ws_sock)
        self._render_nginx(http)
        settings = {
            "fcgi.listen": sock,
            "fcgi.socket_mode": "0666",
            "fcgi.state_dir": os.path.join(self.root, "state"),
            "ws.listen": "unix:" + self.ws_sock,
            "ws.state_dir": os.path.join(self.root, "state"),
            "ws.runner": "unix:%s:/api/" % os.path.join(self.root, "tmp",
                                                         "nginx.sock"),
            # the examples that the package installs in /etc/runpad
            "ws.templates": os.path.join(REPO, "packaging", "templates"),
        }
        settings.update(self.settings)
        self.fcgi_conf = os.path.join(conf, "runpad.conf")
        with open(self.fcgi_conf, "w") as f:
            for k, v in settings.items():
                for one in (v if isinstance(v, list) else [v]):
                    f.write("%s = %s\n" % (k, one))
        return sock

    def write_settings(self, more):
        """Change settings (then .reload())."""
        self.settings.update(more)
        self._render()

    # ------------------------------------------------------------ processes
    def _spawn(self, name, sock, log_path, env=None):
        """Start build/<name> on the shared settings file and wait until it
        has made its socket; returns (process, its log file or None)."""
        if os.path.exists(sock):
            os.unlink(sock)
        log_file = open(log_path, "ab") if self.log is None else None
        out = log_file or self.log
        proc = subprocess.Popen(
            [os.path.join(BUILD, name), "--config", self.fcgi_conf],
            stdout=out, stderr=out, env=env)
        deadline = time.time() + 30
        while not os.path.exists(sock):
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %d; see %s" %
                                   (name, proc.returncode, log_path))
            if time.time() > deadline:
                raise RuntimeError("%s did not listen" % name)
            time.sleep(0.02)
        return proc, log_file

    @staticmethod
    def _end(proc, log_file, sig):
        """Signal proc (if it runs), wait for it, close its log."""
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log_file:
            log_file.close()

    def start_fcgi(self):
        self.fcgi, self._fcgi_log_file = self._spawn(
            "runpad-fcgi", os.path.join(self.root, "run", "fcgi.sock"),
            self.fcgi_log, env=self.fcgi_env)

    def stop_fcgi(self, sig=signal.SIGTERM):
        self._end(self.fcgi, getattr(self, "_fcgi_log_file", None), sig)
        self.fcgi = self._fcgi_log_file = None

    def start_ws(self):
        self.ws, self._ws_log_file = self._spawn("runpad-ws", self.ws_sock,
                                                 self.ws_log)

    def stop_ws(self, sig=signal.SIGTERM):
        self._end(self.ws, getattr(self, "_ws_log_file", None), sig)
        self.ws = self._ws_log_file = None

    def reload(self):
        self.fcgi.send_signal(signal.SIGHUP)
        if self.ws:
            self.ws.send_signal(signal.SIGHUP)

    def start_nginx(self):
        cmd = ["/usr/sbin/nginx", "-p", self.root, "-c",
               os.path.join(self.root, "conf", "nginx.conf"),
               "-e", os.path.join(self.root, "logs", "error.log")]
        if os.geteuid() == 0:
            # unprivileged: nginx itself runs as nobody, not only its
            # workers, and owns its prefix
            nobody = pwd.getpwnam("nobody")
            for d in ("conf", "logs", "tmp"):
                for dirpath, dirs, files in os.walk(
                        os.path.join(self.root, d)):
                    for n in [dirpath] + [os.path.join(dirpath, x)
                                          for x in files]:
                        os.chown(n, nobody.pw_uid, nobody.pw_gid)
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups", "--inh-caps=-all"] + cmd
        self.nginx = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                raise RuntimeError("nginx exited with %d; see %s" % (
                    self.nginx.returncode,
                    os.path.join(self.root, "logs", "error.log")))
            try:
                with urllib.request.urlopen(self.url + "/api/healthz",
                                            timeout=2) as r:
                    if r.status == 200:
                        return json.load(r)
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the stack did not answer /api/healthz")

    def start(self):
        self._dirs()
        self._render()
        try:
            self.start_fcgi()
            if self.with_ws:
                self.start_ws()
            self.start_nginx()
            return self.wait_ready()
        except BaseException:
            # callers that fail in setUpClass never reach their teardown
            self.stop()
            raise

    def stop_nginx(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        self.nginx = None

    def stop(self):
        self.stop_nginx()
        self.stop_ws()
        self.stop_fcgi()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--root", default=os.path.join(REPO, "var"))
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    stack = Stack(args.root, args.port, rate="10r/s", log=sys.stderr)
    try:
        health = stack.start()
    except RuntimeError as e:
        stack.stop()
        print("runpad: %s" % e, file=sys.stderr)
        return 1
    print("runpad: %d languages, %d jail slots (cgroup %s)" % (
        health["languages"], health["slots"], health["cgroup"]))
    print("runpad: pads at %s<pad-id> (runpad-ws, state in %s)" % (
        stack.ws_url, os.path.join(args.root, "state", "pads")))
    print("runpad: open %s/  (Ctrl-C stops everything)" % stack.url,
          flush=True)
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop:
        if (stack.nginx.poll() is not None or stack.fcgi.poll() is not None
                or stack.ws.poll() is not None):
            print("runpad: a component exited; stopping", file=sys.stderr)
            break
        time.sleep(0.2)
    stack.stop()
    print("runpad: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
