#!/usr/bin/python3
"""Ground truth for common/ring.c: ask a real nginx which server its
`hash $arg_k consistent` upstream picks for many keys, and write the answers
as tests/unit/common/ring_vectors.h for tests/unit/common/test_ring.c.

    python3 tests/unit/common/ring_vectors.py            # rewrite ring_vectors.h
    python3 tests/unit/common/ring_vectors.py --check    # compare, write nothing

Debian's nginx runs unprivileged with its own prefix in a temporary
directory.  Two rings are asked:

  u   the ring of the brief: two TCP servers of weights 1 and 2 and a unix
      server, each a real nginx server that answers with its own name;
  ws  a deployment-like ring of unix sockets that do not exist: nginx tries
      the owner, fails (proxy_next_upstream off, max_fails=0, so nothing is
      marked down and nothing falls back) and names it in $upstream_addr.

The server texts are fixed (they are what is hashed), so the TCP ports
19001 and 19002 and the socket /tmp/runpad-ring-x.sock must be free.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "ring_vectors.h")
FRONT = 19000
UNIX_X = "/tmp/runpad-ring-x.sock"

RING_U = [("127.0.0.1:19001", 1), ("127.0.0.1:19002", 2),
          ("unix:" + UNIX_X, 1)]
RING_WS = [("unix:/run/runpad/ws-1.sock", 1),
           ("unix:/run/runpad/ws-2.sock", 1),
           ("unix:/run/runpad/ws-3.sock", 3),
           ("127.0.0.7:9001", 1),
           ("[::1]:9002", 2)]


def keys():
    """Pad ids and run/submission ids of several shapes, and the empty key."""
    ks = ["", "a", "b", "Z", "0", "-", "_", "demo", "hello-world",
          "My_Pad-01", "x" * 64, "abcdefghijklmnopqrstuvwxyz",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"]
    ks += ["pad-%d" % i for i in range(60)]
    ks += ["class_%02d" % i for i in range(20)]
    # 32 lowercase hex, like run and submission ids
    x = 0x9e3779b97f4a7c15f39cc0605cedc834
    for _ in range(40):
        x = (x * 0x5851f42d4c957f2d + 0x14057b7ef767814f) % (1 << 128)
        ks.append("%032x" % x)
    return ks


def conf(prefix):
    ups_u = "\n".join("        server %s%s;" % (
        a, " weight=%d" % w if w != 1 else "") for a, w in RING_U)
    ups_ws = "\n".join("        server %s%s max_fails=0;" % (
        a, " weight=%d" % w if w != 1 else "") for a, w in RING_WS)
    backends = "\n".join('    server { listen %s; return 200 "%s"; }' %
                         (a, a) for a, _ in RING_U)
    return """daemon off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {p}/tmp;
    proxy_temp_path {p}/tmp;
    fastcgi_temp_path {p}/tmp;
    uwsgi_temp_path {p}/tmp;
    scgi_temp_path {p}/tmp;
    upstream u {{
        hash $arg_k consistent;
{ups_u}
    }}
    upstream ws {{
        hash $arg_k consistent;
{ups_ws}
    }}
{backends}
    server {{
        listen 127.0.0.1:{front};
        proxy_next_upstream off;
        proxy_connect_timeout 500ms;
        add_header X-Upstream $upstream_addr always;
        location /u {{ proxy_pass http://u; }}
        location /ws {{ proxy_pass http://ws; }}
    }}
}}
""".format(p=prefix, ups_u=ups_u, ups_ws=ups_ws, backends=backends,
           front=FRONT)


def ask(path, key):
    url = "http://127.0.0.1:%d/%s?k=%s" % (FRONT, path, key)
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode(), r.headers["X-Upstream"]
    except urllib.error.HTTPError as e:
        return None, e.headers["X-Upstream"]


def collect():
    prefix = tempfile.mkdtemp(prefix="ring-vectors.")
    os.mkdir(os.path.join(prefix, "tmp"))
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(conf(prefix))
    if os.path.exists(UNIX_X):
        os.unlink(UNIX_X)
    proc = subprocess.Popen(["/usr/sbin/nginx", "-p", prefix, "-c",
                             os.path.join(prefix, "nginx.conf")],
                            stdin=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                ask("u", "probe")
                break
            except OSError:
                if proc.poll() is not None:
                    sys.exit("nginx exited; see %s/error.log" % prefix)
                time.sleep(0.05)
        out = {"u": [], "ws": []}
        for k in keys():
            body, up = ask("u", k)
            if body != up:
                sys.exit("ring u, key %r: body %r but upstream %r" %
                         (k, body, up))
            out["u"].append((k, up))
            _, up = ask("ws", k)
            out["ws"].append((k, up))
        return out
    finally:
        proc.send_signal(signal.SIGQUIT)
        proc.wait(10)
        shutil.rmtree(prefix, ignore_errors=True)
        if os.path.exists(UNIX_X):
            os.unlink(UNIX_X)


def spec(ring):
    return ", ".join(a + (" weight=%d" % w if w != 1 else "")
                     for a, w in ring)


def render(out):
    lines = ["/* Generated by tests/unit/common/ring_vectors.py from nginx %s: the"
             % nginx_version(),
             "   server nginx's `hash $arg_k consistent` picked for each key."
             " */",
             "",
             "struct ring_vector {",
             "\tconst char *key;",
             "\tconst char *owner;",
             "};",
             ""]
    for name, ring in (("u", RING_U), ("ws", RING_WS)):
        lines.append('static const char RING_SPEC_%s[] = "%s";' %
                     (name.upper(), spec(ring)))
        lines.append("static const struct ring_vector RING_VECTORS_%s[] = {"
                     % name.upper())
        for k, up in out[name]:
            lines.append('\t{"%s", "%s"},' % (k, up))
        lines.append("};")
        lines.append("")
    text = "\n".join(lines)
    # the tree's style (make lint), so a regenerated file stays clean
    return subprocess.run(["clang-format", "--style=file",
                           "--assume-filename=" + OUT], input=text,
                          capture_output=True, text=True, check=True).stdout


def nginx_version():
    r = subprocess.run(["/usr/sbin/nginx", "-v"], capture_output=True,
                       text=True)
    return r.stderr.strip().split("/")[-1]


def main():
    text = render(collect())
    if "--check" in sys.argv:
        with open(OUT) as f:
            old = f.read()
        if old != text:
            sys.exit("ring_vectors.h differs from what nginx says now")
        print("ring_vectors.h agrees with nginx")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote %s" % OUT)


if __name__ == "__main__":
    main()
