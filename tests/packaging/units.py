"""Start an installed service the way its systemd unit says, on a machine
whose PID 1 is not systemd (CI, containers).

What is carried out, from the unit files as installed:
- the .socket unit named in Requires= (ListenStream= on a unix path,
  SocketUser=, SocketGroup=, SocketMode=, Backlog=): made here and passed
  as fd 3 with LISTEN_FDS=1 and LISTEN_PID, as systemd passes it;
- RuntimeDirectory=, StateDirectory= (with their *Mode=), owned by User=;
- ExecStartPre= in order ('+' runs as root, the rest as User=), each must
  exit 0;
- ExecStart= as User=/Group= with their supplementary groups, UMask=,
  NoNewPrivileges=, an empty CapabilityBoundingSet= and the environment
  systemd gives a service;
- ExecReload= lines with $MAINPID; stop with SIGTERM and TimeoutStopSec=.

Not carried out (systemd's own sandboxing, which needs systemd): the
Protect*, Private*, Restrict*, SystemCallFilter= and Delegate= options.
`systemd-analyze verify` checks those lines are well formed.
"""
import grp
import os
import pwd
import shlex
import signal
import socket
import subprocess
import time

UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system")


def unit_path(name):
    for d in UNIT_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError("no unit %s in %s" % (name, ", ".join(UNIT_DIRS)))


def parse_unit(name):
    """{section: [(key, value), ...]} of an installed unit file."""
    sections, cur = {}, None
    with open(unit_path(name)) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = sections.setdefault(line[1:-1], [])
            continue
        k, _, v = line.partition("=")
        cur.append((k.strip(), v.strip()))
    return sections


def values(sections, section, key):
    return [v for k, v in sections.get(section, []) if k == key]


def last(sections, section, key, default=None):
    v = values(sections, section, key)
    return v[-1] if v else default


def _mode(text, default):
    return int(text, 8) if text else default


class Service:
    """One service started from its installed unit.  .log is its output."""

    def __init__(self, unit, log_dir, env=None):
        self.unit = unit
        self.u = parse_unit(unit)
        self.user = last(self.u, "Service", "User", "root")
        self.group = last(self.u, "Service", "Group") or \
            grp.getgrgid(pwd.getpwnam(self.user).pw_gid).gr_name
        self.log = os.path.join(log_dir, unit + ".log")
        self.env = dict(env or {})
        self.proc = None
        self.sock = None
        self.socket_unit = None

    # ------------------------------------------------------------ setup
    def _ids(self, user=None, group=None):
        return (pwd.getpwnam(user or self.user).pw_uid,
                grp.getgrnam(group or self.group).gr_gid)

    def _dirs(self):
        uid, gid = self._ids()
        for key, base in (("RuntimeDirectory", "/run"),
                          ("StateDirectory", "/var/lib")):
            mode = _mode(last(self.u, "Service", key + "Mode"), 0o755)
            for v in values(self.u, "Service", key):
                for d in v.split():
                    p = os.path.join(base, d)
                    os.makedirs(p, exist_ok=True)
                    st = os.stat(p)
                    if (st.st_uid, st.st_gid) != (uid, gid):
                        # as systemd does: a directory owned by someone
                        # else is given to the service with all it holds
                        for top, dirs, files in os.walk(p):
                            for f in dirs + files:
                                os.lchown(os.path.join(top, f), uid, gid)
                    os.chown(p, uid, gid)
                    os.chmod(p, mode)

    def _socket(self):
        for req in values(self.u, "Unit", "Requires"):
            for name in req.split():
                if name.endswith(".socket"):
                    self.socket_unit = name
                    return self._listen(parse_unit(name))
        return None

    def _listen(self, s):
        path = last(s, "Socket", "ListenStream")
        if not path or not path.startswith("/"):
            raise ValueError("only unix ListenStream= is emulated: %r" % path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sk.bind(path)
        uid, gid = self._ids(last(s, "Socket", "SocketUser", "root"),
                             last(s, "Socket", "SocketGroup", "root"))
        os.chown(path, uid, gid)
        os.chmod(path, _mode(last(s, "Socket", "SocketMode"), 0o666))
        sk.listen(int(last(s, "Socket", "Backlog", "128")))
        return sk

    def _setpriv(self, root=False):
        if root:
            return []
        cmd = ["setpriv", "--reuid", self.user, "--regid", self.group,
               "--init-groups"]
        if last(self.u, "Service", "NoNewPrivileges", "no") in ("yes", "true"):
            cmd.append("--no-new-privs")
        if values(self.u, "Service", "CapabilityBoundingSet") == [""]:
            cmd += ["--bounding-set", "-all", "--inh-caps", "-all"]
        return cmd + ["--"]

    def _environ(self):
        pw = pwd.getpwnam(self.user)
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                       "/sbin:/bin",
               "LANG": "C.UTF-8", "USER": self.user, "LOGNAME": self.user,
               "HOME": pw.pw_dir, "SHELL": pw.pw_shell}
        env.update(self.env)
        return env

    @staticmethod
    def _split(line):
        root = line.startswith("+")
        line = line.lstrip("+-@:!")
        return root, line

    def _run(self, line, mainpid=None):
        root, cmd = self._split(line)
        if mainpid is not None:
            cmd = cmd.replace("$MAINPID", str(mainpid))
        with open(self.log, "a") as log:
            r = subprocess.run(self._setpriv(root) + shlex.split(cmd),
                               env=self._environ(), stdout=log,
                               stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("%s: `%s` exited %d (log %s):\n%s" % (
                self.unit, cmd, r.returncode, self.log, self.output()))

    # ------------------------------------------------------------ life
    def start(self):
        # the socket unit is listening before its service ever starts
        # (systemd starts it at install and at boot), so the service's
        # directories are set up over whatever the socket unit made
        self.sock = self._socket()
        self._dirs()
        for line in values(self.u, "Service", "ExecStartPre"):
            self._run(line)
        _, cmd = self._split(last(self.u, "Service", "ExecStart"))
        umask = last(self.u, "Service", "UMask", "0022")
        shell = "umask %s; " % umask
        pass_fds = ()
        if self.sock:
            # fd 3 and LISTEN_PID of the program itself, as systemd does
            shell += "LISTEN_FDS=1 LISTEN_PID=$$ exec %s 3<&%d" % (
                cmd, self.sock.fileno())
            pass_fds = (self.sock.fileno(),)
        else:
            shell += "exec " + cmd
        log = open(self.log, "a")
        self.proc = subprocess.Popen(
            self._setpriv() + ["/bin/sh", "-c", shell], env=self._environ(),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            pass_fds=pass_fds, start_new_session=True)
        log.close()
        return self

    def output(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for(self, text, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited %s:\n%s" % (
                    self.unit, self.proc.returncode, self.output()))
            time.sleep(0.05)
        raise TimeoutError("%s: no %r in %d s:\n%s" % (
            self.unit, text, timeout, self.output()))

    def reload(self):
        for line in values(self.u, "Service", "ExecReload"):
            self._run(line, mainpid=self.proc.pid)

    def stop(self):
        """SIGTERM, as systemctl stop does; the exit code."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            t = last(self.u, "Service", "TimeoutStopSec", "90s")
            secs = float(t.rstrip("s")) if t.rstrip("s").replace(
                ".", "").isdigit() else 90
            try:
                self.proc.wait(secs)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.sock:
            self.sock.close()
            self.sock = None
            s = parse_unit(self.socket_unit) if self.socket_unit else None
            if s and last(s, "Socket", "RemoveOnStop", "no") in ("yes",
                                                                  "true"):
                path = last(s, "Socket", "ListenStream")
                if os.path.exists(path):
                    os.unlink(path)
        return self.proc.returncode
