#!/bin/bash
# guest-check.sh - runs inside the Debian 12 guest of make check-host, as
# root, from runpad-check.service (systemd, PID 1).  Writes one line per
# check to /mnt/host/out/results ("ok NAME detail" / "FAIL NAME detail")
# and ends with "done".  Boot 1 installs and exercises the packages and
# reboots; boot 2 checks what must survive the reboot, purges, powers off.
set -u
H=/mnt/host
OUT=$H/out/results
STATE=/var/lib/runpad-check
mkdir -p $STATE
exec 2>>$H/out/guest-stderr

say() { echo "$*" >> $OUT; echo "check-host: $*" > /dev/console; }
ok() { say "ok $*"; }
fail() { say "FAIL $*"; }
check() { # check NAME CMD... : ok when CMD exits 0 (its output is the detail)
	local name=$1 out; shift
	if out=$("$@" 2>&1); then ok "$name ${out//$'\n'/ }"
	else fail "$name ${out//$'\n'/ | }"; fi
}
finish() { say "done"; sync; systemctl poweroff; exit 0; }
pads() { # pads PHASE NAME: collab/host.test.mjs, node's test runner
	[ -d /var/tmp/collab ] || cp -r $H/collab /var/tmp/collab
	check "$2" bash -c "cd /var/tmp/collab && RUNPAD_HOST_WS=ws://127.0.0.1/runpad/ws/ \
		RUNPAD_HOST_STATE=$STATE/pad RUNPAD_HOST_PHASE=$1 \
		node --test --test-reporter=tap host.test.mjs > $H/out/pads-$1.log 2>&1;
		rc=\$?; grep -E '^# (pass|fail|skipped) |^ *# host-' $H/out/pads-$1.log | tr '\n' ' ';
		[ \$rc = 0 ] || grep -E -A12 '^not ok' $H/out/pads-$1.log; exit \$rc"
}

if [ -e $STATE/phase2 ]; then
	# ---------------------------------------------------------- boot 2
	check "reboot: units up again" bash -c \
		'for u in runpad-fcgi.socket runpad-ws.service nginx.service; do systemctl is-active --quiet $u || { echo "$u: $(systemctl is-active $u)"; exit 1; }; done; echo all active'
	check "reboot: submissions kept" python3 $H/guest_api.py after-reboot $STATE
	pads boot2 "reboot: the pad kept, text and version"
	check "apt purge" bash -c '
		sed -i "/include snippets\/runpad.conf;/d" /etc/nginx/sites-available/default && systemctl reload nginx &&
		apt-get purge -y -qq runpad runpad-common runpad-runner runpad-server runpad-web >/dev/null &&
		left=$(find /etc /usr /lib /var/lib /run -name "*runpad*" 2>/dev/null | grep -v -e runpad-check -e /mnt/host -e ^/run/udev/ || true);
		[ -z "$left" ] && echo nothing left || { echo "left: $left"; false; }'
	finish
fi

# ------------------------------------------------------------- boot 1
check "systemd is pid 1" bash -c '[ "$(cat /proc/1/comm)" = systemd ] && systemctl --version | head -1'
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	ok "cgroup v2 $(cat /sys/fs/cgroup/cgroup.controllers)"
else
	fail "cgroup v2 (found $(stat -fc %T /sys/fs/cgroup))"
fi
ok "accel $(cat $H/accel) kernel $(uname -r)"

check "apt install ./runpad*.deb" bash -c \
	"ls $H/debs/*.deb | grep -v dbgsym > /tmp/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \$(cat /tmp/debs) >/dev/null && dpkg-query -W -f='\${Package} \${Version}; ' 'runpad*'"
# the one line an admin adds to Debian's stock site
check "include line in the stock site, nginx reloaded" bash -c '
	sed -i "0,/^\tserver_name _;/s//\tserver_name _;\n\tinclude snippets\/runpad.conf;/" /etc/nginx/sites-available/default &&
	grep -q "include snippets/runpad.conf;" /etc/nginx/sites-available/default &&
	nginx -t -q && systemctl reload nginx && echo reloaded'
check "units active" bash -c \
	'for u in runpad-fcgi.socket runpad-ws.service nginx.service; do systemctl is-active --quiet $u || { echo "$u: $(systemctl is-active $u)"; exit 1; }; done; echo all active'

# from the host, through the forwarded port (guest.py answers): the NIC of
# qemu's user network, at the address it forwards to
nic=$(ip -o link show | awk -F': ' '$2 != "lo" {print $2; exit}')
ip link set "$nic" up && ip addr add 10.0.2.15/24 dev "$nic"
touch $H/out/want-host-http
for i in $(seq 120); do [ -e $H/out/host-http ] && break; sleep 1; done
if grep -q ^ok $H/out/host-http 2>/dev/null; then ok "host -> guest nginx $(cut -d' ' -f2- $H/out/host-http)"
else fail "host -> guest nginx $(cat $H/out/host-http 2>/dev/null || echo no answer)"; fi

# every run verdict, through nginx, on the units systemd started
python3 $H/guest_api.py runs $STATE >> $OUT 2>>$H/out/guest-stderr || fail "api checks crashed"

check "the runner runs rootless on v2, root of its own" bash -c \
	'l=$(journalctl -b -u runpad-fcgi --no-pager -o cat | grep -m1 "ready:"); echo "$l"; echo "$l" | grep -q "cgroup v2, rootless" && ! echo "$l" | grep -q "shared inodes"'
check "no runpad process runs as root" bash -c '
	ps -eo user=,comm= | awk "\$2 ~ /^runpad/" | sort | uniq -c | tr "\n" " ";
	ps -eo user=,comm= | grep -q " runpad-fcgi\$" && ps -eo user=,comm= | grep -q " runpad-ws\$" &&
	! ps -eo user=,comm= | awk "\$2 ~ /^runpad/ && \$1 == \"root\"" | grep -q .'
python3 $H/guest_api.py mid-reload $STATE >> $OUT 2>>$H/out/guest-stderr || fail "api checks across a reload crashed"

# pads: real @codemirror/collab editors (node) through nginx; they reload
# and restart the daemons under their feet (collab/host.test.mjs)
pads boot1 "pads: two editors, a shared run across a reload, runpad-ws restarted while typing"
# a daemon that carried on past a failure of its own says so in its log
check "no errors in the daemons' journal" bash -c '
	bad=$( (journalctl -b -u runpad-ws -u runpad-fcgi -p err -o cat --no-pager;
		journalctl -b -u runpad-ws -o cat --no-pager | grep -E "^lws: .*(fail|DOESN.T)") || true);
	[ -z "$bad" ] && echo none || { echo "$bad" | head -5; false; }'
# exposure scores, next to Debian's nginx; runpad's may not rise above
# what docs/ops.md says
for u in runpad-fcgi:3.0 runpad-ws:1.3 nginx:; do
	max=${u#*:} u=${u%:*}
	score=$(systemd-analyze security $u.service --no-pager 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: *//p')
	n=${score%% *}
	if [ -z "$max" ] || awk -v n="${n:-99}" -v m="$max" 'BEGIN { exit !(n + 0 <= m + 0) }'; then
		ok "systemd-analyze security $u: ${score:-?}${max:+ (at most $max)}"
	else
		fail "systemd-analyze security $u: ${score:-?}, above $max"
	fi
done

# runpad-jail as root keeps each slot's root in a template namespace held
# under /run/runpad-jail: on systemd's shared mounts, the second run joins
# the first one's, and the host's mount table gains only the holders
check "runpad-jail as root: a template, joined again (shared /run)" bash -c '
	cd /var/tmp && printf "print(1)\n" > tpl.py &&
	before=$(wc -l < /proc/1/mountinfo) &&
	a=$(runpad-jail --json --slot 0 --lang python --source tpl.py) &&
	first=$(stat -c %i /run/runpad-jail/*/slot0.mnt) &&
	mid=$(wc -l < /proc/1/mountinfo) &&
	b=$(runpad-jail --json --slot 0 --lang python --source tpl.py) &&
	again=$(stat -c %i /run/runpad-jail/*/slot0.mnt) &&
	after=$(wc -l < /proc/1/mountinfo) &&
	[ "$first" = "$again" ] || { echo "rebuilt: $first then $again"; exit 1; }
	[ "$mid" = "$after" ] || { echo "the second run added $((after - mid)) host mounts"; exit 1; }
	extra=$(awk "\$5 ~ /runpad-jail/ && \$5 != \"/run/runpad-jail\" && \$0 !~ / - nsfs /" /proc/1/mountinfo)
	[ -z "$extra" ] || { echo "jail mounts on the host: $extra"; exit 1; }
	echo "$b" | python3 -c "import json,sys; r=json.load(sys.stdin); m=r[\"run\"][\"memory_bytes\"]; assert r[\"verdict\"]==\"accepted\" and r[\"cgroup\"]==\"v2\" and 0<m<20<<20, r; print(\"verdict accepted on v2, print(1) %.1f MiB,\" % (m/1048576), end=\" \")" &&
	echo "template joined again, host mounts $before -> $mid -> $after"'

# the hostile suite against the installed runpad-jail, as the runpad user
# in a cgroup systemd delegates to it: every attack judged on v2
check "hostile suite (rootless, delegated v2 cgroup)" bash -c "
	cp -r $H/hostile /var/tmp/hostile && cp $H/guest-hostile.sh /var/tmp/hostile/ &&
	chown -R runpad: /var/tmp/hostile &&
	systemd-run --quiet --wait --pipe --collect --uid=runpad --gid=runpad \
		-p Delegate=yes -p WorkingDirectory=/var/tmp/hostile \
		/bin/bash /var/tmp/hostile/guest-hostile.sh > /var/tmp/hostile.log 2>&1;
	rc=\$?; cp /var/tmp/hostile.log $H/out/; grep Synthesis /var/tmp/hostile.log; exit \$rc"

journalctl -b --no-pager -u 'runpad*' -u nginx > $H/out/journal-boot1.txt 2>&1
cp /var/log/nginx/error.log $H/out/nginx-error.log 2>/dev/null
dmesg > $H/out/dmesg-boot1.txt 2>&1
touch $STATE/phase2
say "rebooting"
sync
systemctl reboot
