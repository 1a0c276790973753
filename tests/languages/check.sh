#!/bin/bash
# tests/languages/check.sh - run every installed language of the registry
# through the jail: hello world, stdin echo, a program with an error, and
# the registry's starter program.
#
#   tests/languages/check.sh [ID...]        default: every id in the registry
#
# Environment:
#   RUNPAD_JAIL       the CLI                  (default: build/runpad-jail)
#   RUNPAD_REGISTRY   the registry to test     (default: sandbox/languages.conf)
#   JAIL_ARGS         extra CLI options, e.g. "--rlimits-only"
#   TIMEOUT           seconds per jail invocation (default 300)
#   KINDS             the tests to run (default "hello echo error starter
#                     starter-ada")
#
# Samples: tests/languages/samples/<id>/{hello,echo,error}.<ext>.
#   hello: must print exactly "Hello, World!\n"           -> accepted
#   echo:  copies stdin to stdout unchanged                 -> accepted
#   error: a compile/syntax error: compile_error for languages with a compile
#          command, else runtime_error with something on stderr.
# The starter (the registry's `starter`, run by runpad-jail --starter):
#   starter:     empty stdin   -> exactly "Hello, world!\n", nothing on
#                                 the run's stderr              -> accepted
#   starter-ada: stdin "Ada\n" -> exactly "Hello, Ada!\n", the same
# A language is skipped when a program its commands name is not installed
# under the jail's PATH, or when the jail reports it as not available.
# A language without a starter skips those two.
# Ends with "check-languages: N passed, M failed, K skipped"; exits 1 when
# anything failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAIL=${RUNPAD_JAIL:-$ROOT/build/runpad-jail}
REGISTRY=${RUNPAD_REGISTRY:-$ROOT/sandbox/languages.conf}
SAMPLES=$HERE/samples
TIMEOUT=${TIMEOUT:-300}
read -r -a KIND_LIST <<<"${KINDS:-hello echo error starter starter-ada}"
read -r -a JAIL_EXTRA <<<"${JAIL_ARGS:-}"
JAIL_PATH=/usr/local/bin:/usr/bin:/bin
PY=/usr/bin/python3

die() {
	echo "check-languages: $*" >&2
	exit 2
}

[ -x "$PY" ] || die "needs $PY"
[ -x "$JAIL" ] || die "no jail at $JAIL (make build/runpad-jail)"
[ -r "$REGISTRY" ] || die "cannot read registry $REGISTRY"
for k in "${KIND_LIST[@]}"; do
	case $k in
	hello | echo | error | starter | starter-ada) ;;
	*) die "KINDS: unknown test '$k'" ;;
	esac
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Two-line standard input for the echo test.
STDIN_FILE=$TMP/stdin.txt
printf 'first line\nsecond line: 1 2 3, tabs\tand  spaces!\n' >"$STDIN_FILE"
printf 'Hello, World!\n' >"$TMP/hello.expected"
printf 'Ada\n' >"$TMP/ada.txt"

# One line per language: ID<TAB>compiled(0/1)<TAB>starter(0/1)<TAB>missing
# programs (or "").
# Mirrors sbx_registry_resolve(): the first word of every command must be
# an executable file, looked up in the jail's PATH unless it contains '/'.
# Programs under /box (or ./name) are built by the compile stage and not
# checked.  Unlike the jail, also look inside `sh -c '...'` commands.
"$PY" - "$REGISTRY" "$JAIL_PATH" >"$TMP/langs" <<'EOF'
import os, re, shlex, sys

reg, path = sys.argv[1], sys.argv[2].split(":")
langs, cur, tag = [], None, None
for raw in open(reg, encoding="utf-8"):
    line = raw.strip()
    # `starter = <<TAG` ... `TAG`: the lines between are a program
    if tag is not None:
        if line == tag:
            tag = None
        continue
    if not line or line.startswith("#") or line.startswith(";"):
        continue
    m = re.match(r"^\[([^\]]+)\]$", line)
    if m:
        cur = {"id": m.group(1).strip()}
        langs.append(cur)
        continue
    if cur is None or "=" not in line:
        continue
    k, v = line.split("=", 1)
    cur[k.strip()] = v.strip()
    if k.strip() == "starter" and v.strip().startswith("<<"):
        tag = v.strip()[2:].strip()


def found(prog):
    if prog.startswith("/box/") or prog.startswith("./"):
        return True
    if "/" in prog:
        return os.path.isfile(prog) and os.access(prog, os.X_OK)
    return any(os.path.isfile(os.path.join(d, prog)) and os.access(os.path.join(d, prog), os.X_OK)
               for d in path)


for l in langs:
    missing = []
    for key in ("compile", "run"):
        if not l.get(key):
            continue
        try:
            words = shlex.split(l[key])
        except ValueError:
            missing.append("unparsable " + key)
            continue
        progs = words[:1]
        # `sh -c 'a ... && b ...'`: the jail only sees sh; check a and b too.
        if len(words) > 2 and os.path.basename(words[0]) in ("sh", "bash") and words[1] == "-c":
            for part in re.split(r"&&|\|\||;|\|", words[2]):
                try:
                    p = shlex.split(part)
                except ValueError:
                    continue
                if p:
                    progs.append(p[0])
        for prog in progs:
            if not found(prog) and prog not in missing:
                missing.append(prog)
    print("%s\t%d\t%d\t%s" % (l["id"], 1 if l.get("compile") else 0,
                             1 if l.get("starter") else 0, " ".join(missing)))
EOF

# check-result KIND COMPILED JSON-FILE -> prints "" on success, else a reason.
check_result() {
	"$PY" - "$@" "$TMP/hello.expected" "$STDIN_FILE" <<'EOF'
import json, sys

kind, compiled, path, hello_file, stdin_file = sys.argv[1:6]
compiled = compiled == "1"
try:
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
except Exception as e:
    print("bad JSON from the jail: %s" % e)
    sys.exit(0)


def short(s, n=300):
    s = s or ""
    s = s.strip().replace("\n", "\\n")
    return s if len(s) <= n else s[:n] + "..."


def detail(r):
    parts = []
    for st in ("compile", "run"):
        s = r.get(st)
        if not s:
            continue
        parts.append("%s=%s exit=%s signal=%s cpu=%sms wall=%sms mem=%s" % (
            st, s.get("verdict"), s.get("exit_code"), s.get("signal_name") or s.get("signal"),
            s.get("cpu_ms"), s.get("wall_ms"), s.get("memory_bytes")))
        if s.get("message"):
            parts.append("%s message: %s" % (st, short(s["message"])))
        if s.get("stderr"):
            parts.append("%s stderr: %s" % (st, short(s["stderr"])))
        if st == "compile" and s.get("stdout") and s.get("verdict") != "accepted":
            parts.append("compile stdout: %s" % short(s["stdout"]))
    return "; ".join(parts)


v = r.get("verdict")
run = r.get("run") or {}
if kind in ("starter", "starter-ada"):
    want = "Hello, world!\n" if kind == "starter" else "Hello, Ada!\n"
    if v != "accepted":
        print("verdict %s, want accepted (%s)" % (v, detail(r)))
    elif run.get("stdout") != want:
        print("stdout %r, want %r (%s)" % (short(run.get("stdout"), 200), want, detail(r)))
    elif run.get("stderr"):
        print("stderr %r, want none (%s)" % (short(run.get("stderr"), 200), detail(r)))
    else:
        print("")
elif kind in ("hello", "echo"):
    want = open(hello_file if kind == "hello" else stdin_file, encoding="utf-8").read()
    if v != "accepted":
        print("verdict %s, want accepted (%s)" % (v, detail(r)))
    elif run.get("stdout") != want:
        print("stdout %r, want %r (%s)" % (short(run.get("stdout"), 200), want, detail(r)))
    else:
        print("")
else:
    if compiled:
        c = r.get("compile") or {}
        if v != "compile_error":
            print("verdict %s, want compile_error (%s)" % (v, detail(r)))
        elif not ((c.get("stderr") or "").strip() or (c.get("stdout") or "").strip()):
            print("compile_error but the compiler said nothing (%s)" % detail(r))
        else:
            print("")
    else:
        if v != "runtime_error":
            print("verdict %s, want runtime_error (%s)" % (v, detail(r)))
        elif not (run.get("stderr") or "").strip():
            print("runtime_error but stderr is empty (%s)" % detail(r))
        else:
            print("")
EOF
}

# run-one ID COMPILED KIND FILE -> prints the PASS/FAIL/SKIP line (FILE:
# the sample; none for the starter kinds).
run_one() {
	local id=$1 compiled=$2 kind=$3 file=$4 out=$TMP/$1.$3.json err=$TMP/$1.$3.err rc=0 reason
	local args=(--json --registry "$REGISTRY" --lang "$id")
	case $kind in
	starter) args+=(--starter) ;;
	starter-ada) args+=(--starter --stdin "$TMP/ada.txt") ;;
	echo) args+=(--source "$file" --stdin "$STDIN_FILE") ;;
	*) args+=(--source "$file") ;;
	esac
	timeout --kill-after=10 "$TIMEOUT" "$JAIL" ${JAIL_EXTRA[@]+"${JAIL_EXTRA[@]}"} "${args[@]}" \
		>"$out" 2>"$err" </dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		if grep -qiE 'not (available|installed)|unavailable' "$err"; then
			echo "SKIP $id/$kind: jail says: $(head -c 300 "$err" | tr '\n' ' ')"
			return 3
		fi
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL $id/$kind: runpad-jail did not finish within ${TIMEOUT}s"
		else
			echo "FAIL $id/$kind: runpad-jail exited $rc: $(head -c 600 "$err" | tr '\n' ' ')"
		fi
		return 1
	fi
	reason=$(check_result "$kind" "$compiled" "$out")
	if [ -z "$reason" ]; then
		echo "PASS $id/$kind"
		return 0
	fi
	echo "FAIL $id/$kind: $reason"
	return 1
}

# check-lang ID COMPILED STARTER MISSING -> one PASS/FAIL/SKIP line per kind.
check_lang() {
	local id=$1 compiled=$2 starter=$3 missing=$4 kind file
	for kind in "${KIND_LIST[@]}"; do
		if [ -n "$missing" ]; then
			echo "SKIP $id/$kind: not installed: $missing"
			continue
		fi
		file=
		case $kind in
		starter | starter-ada)
			if [ "$starter" != 1 ]; then
				echo "SKIP $id/$kind: no starter in $REGISTRY"
				continue
			fi
			;;
		*)
			file=$(compgen -G "$SAMPLES/$id/$kind.*" | head -n 1 || true)
			if [ -z "$file" ]; then
				echo "SKIP $id/$kind: no sample $SAMPLES/$id/$kind.*"
				continue
			fi
			;;
		esac
		run_one "$id" "$compiled" "$kind" "$file" || true
	done
}

want=("$@")
while IFS=$'\t' read -r id compiled starter missing; do
	if [ ${#want[@]} -gt 0 ]; then
		hit=0
		for w in "${want[@]}"; do [ "$w" = "$id" ] && hit=1; done
		[ $hit = 1 ] || continue
	fi
	check_lang "$id" "$compiled" "$starter" "$missing"
done <"$TMP/langs" | tee "$TMP/lines"

for w in ${want[@]+"${want[@]}"}; do
	if ! cut -f1 "$TMP/langs" | grep -qxF -- "$w"; then
		echo "FAIL $w: no such id in $REGISTRY" | tee -a "$TMP/lines"
	fi
done

count() { grep -c "^$1 " "$TMP/lines" || true; }
passed=$(count PASS) failed=$(count FAIL) skipped=$(count SKIP)
echo "check-languages: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
