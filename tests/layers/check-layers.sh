#!/bin/bash
# check-layers.sh BUILD - the layering the build makes, checked plainly:
#   common/   includes only common/ headers
#   sandbox/  includes only sandbox/ and common/ headers (and the filter
#             generated into BUILD/gen)
#   fcgi/     includes fcgi/, sandbox/ and common/ headers
#   ws/       includes only ws/ and common/ headers: the pad daemon has no
#             jail
# and in the programs: runpad-ws holds no sbx_ symbol, and no program
# links libseccomp (the filters are compiled in at build time).
# Prints one line per rule and exits 1 when any is broken.
set -u
B=${1:-build}
cd "$(dirname "$0")/../.."
fail=0
say() { echo "check-layers: $*"; }

allowed() { # allowed PART -> the directories its headers may come from
	case $1 in
	common) echo common ;;
	sandbox) echo "sandbox common" ;;
	fcgi) echo "fcgi sandbox common" ;;
	ws) echo "ws common" ;;
	esac
}

for part in common sandbox fcgi ws; do
	bad=""
	for f in $(git ls-files "$part/*.c" "$part/*.h" 2>/dev/null || ls $part/*.[ch]); do
		while read -r h; do
			[ "$h" = filter_bpf.h ] && [ "$part" = sandbox ] && continue
			ok=0
			for d in $(allowed $part); do
				[ -e "$d/$h" ] && ok=1
			done
			# a header of the part's own subdirectory (sandbox/gen)
			[ -e "$(dirname "$f")/$h" ] && ok=1
			[ $ok = 1 ] || bad="$bad $f:$h"
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
	if [ -n "$bad" ]; then
		say "FAIL $part/ includes from above its layer:$bad"
		fail=1
	else
		say "ok $part/ includes only $(allowed $part | sed 's/ /, /g')"
	fi
done

n=$(nm "$B/runpad-ws" 2>/dev/null | grep -c ' [TtDdBbRr] sbx_')
if [ ! -x "$B/runpad-ws" ]; then
	say "FAIL $B/runpad-ws is not built"
	fail=1
elif [ "$n" != 0 ]; then
	say "FAIL runpad-ws holds $n sbx_ symbols (the jail)"
	fail=1
else
	say "ok runpad-ws holds no sbx_ symbol"
fi
for p in runpad-ws runpad-fcgi runpad-jail; do
	if readelf -d "$B/$p" 2>/dev/null | grep NEEDED | grep -q seccomp; then
		say "FAIL $p links libseccomp"
		fail=1
	else
		say "ok $p does not link libseccomp"
	fi
done
exit $fail
