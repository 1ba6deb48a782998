#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# refresh: the cron job, against the simulated firmware (tests/fakes/sev.so)
# set up as the Milan test chain's platform, and the KDS stand-in
# (tests/fakes/kds-server.py): in-place updates with every other entry kept,
# idempotence (no request, no lock), --offline, --dry-run, VLEK tables, the
# KDS faults (tables and cache untouched), the store walk, hooks, --json.

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"
GUID_X=11111111-2222-3333-4444-555555555555
NEW=bl=3,tee=1,snp=8,ucode=115   # the platform's reported TCB (the fixture VCEK's)
OLDTCB=bl=3,tee=1,snp=7,ucode=115

setup_file() {
	kds_file_setup
	# A VCEK of this chip for an older TCB: what the tables hold before.
	old_vcek "$OLDTCB"
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	simulated_host
	printf 'opaque-x' >"$T/x.bin"
	TABLE="$T/store/t.certs"
	old_entries_table "$TABLE"
}

teardown() {
	stop_jobs
	if [ -n "${SHM_STORE:-}" ]; then rm -rf "$SHM_STORE"; fi
}

# A table with the old VCEK, ASK, ARK, CRL and an opaque entry.
old_entries_table() {
	old_table "$1" --crl "$SNPCERT_FIXTURES/milan/crl.der" --entry "$GUID_X=$T/x.bin"
}

# "type sha256" per entry, in order.
entries() {
	certctl show --json "$1" | jq -r '.entries[] | "\(.type) \(.sha256)"'
}

vcek_tcb() {
	certctl show --json "$1" | jq -r '.entries[] | select(.type == "vcek") | .tcb.raw'
}

cache_state() {
	(cd "$T/cache" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

VCEK_REQ="/vcek/v1/Milan/$(printf '%02x' $(seq 0 63))?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115"

@test "refresh: a table for another TCB is updated in place, every other entry byte for byte" {
	entries "$TABLE" >"$T/before"
	ino=$(stat -c %i "$TABLE")
	run --separate-stderr fake refresh
	assert_success
	assert_output "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLDTCB)"
	assert_equal "$(stat -c %i "$TABLE")" "$ino"
	assert_equal "$(vcek_tcb "$TABLE")" "$FX_TCB_MILAN"
	entries "$TABLE" >"$T/after"
	assert_equal "$(cut -d' ' -f1 "$T/after" | tr '\n' ' ')" "vcek ask ark crl other "
	# Only the VCEK changed.
	assert_equal "$(tail -n +2 "$T/after")" "$(tail -n +2 "$T/before")"
	assert_equal "$(kds_requests "$VCEK_REQ 200")" 1
	run fake verify "$TABLE" --tcb "$NEW" --hwid "$FX_HWID_MILAN"
	assert_success
}

@test "refresh: a table that is right is unchanged; run twice, KDS is asked once" {
	run --separate-stderr fake refresh
	assert_success
	n=$(kds_requests)
	assert_equal "$(kds_requests "$VCEK_REQ")" 1
	before=$(fingerprint "$TABLE")
	: >"$LOG"
	run --separate-stderr fake refresh
	assert_success
	assert_output "unchanged $TABLE: the VCEK is for the reported TCB $NEW and this chip"
	assert_equal "$(kds_requests)" "$n"
	assert_equal "$(fingerprint "$TABLE")" "$before"
	# The firmware was only asked, never opened for writing.
	refute grep -q rdwr "$LOG"
}

@test "refresh: a matching table takes no exclusive lock (a reader holding it is no obstacle)" {
	fake refresh -q
	"$READER" -H 2000 "$TABLE" 3>&- &
	wait_held "$TABLE"
	run --separate-stderr fake refresh --timeout 0
	assert_success
	assert_output --partial "unchanged $TABLE"
}

@test "refresh --offline: served from the cache, or exit 6 with nothing changed" {
	before=$(fingerprint "$TABLE")
	run --separate-stderr fake refresh --offline
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: no usable Milan VCEK hwid 00010203...3f TCB $NEW in the cache '$T/cache', and --offline forbids asking KDS"
	assert_output "failed $TABLE: the VCEK could not be had from KDS; unchanged"
	assert_equal "$(fingerprint "$TABLE")" "$before"
	assert_equal "$(kds_requests)" 0
	# Fill the cache, then offline works without a request.
	fake fetch --platform -o "$T/v.der"
	: >"$KDS_LOG"
	run --separate-stderr fake refresh --offline
	assert_success
	assert_output --partial "updated $TABLE"
	assert_equal "$(kds_requests)" 0
}

@test "refresh --dry-run: says what it would do, changes nothing, asks nothing" {
	before=$(fingerprint "$TABLE")
	run --separate-stderr fake refresh --dry-run
	assert_success
	assert_output "would-update $TABLE: the VCEK is for TCB $OLDTCB, the platform reports $NEW: would install the VCEK for the reported TCB $NEW (KDS request GET $VCEK_REQ)"
	assert_equal "$(fingerprint "$TABLE")" "$before"
	assert_equal "$(kds_requests)" 0
	[ -z "$(cache_state)" ]
	[ ! -e "$T/store/.t.certs.snpcert-journal" ] || [ ! -s "$T/store/.t.certs.snpcert-journal" ]
}

@test "refresh: VLEK tables are skipped while a VLEK is loaded, failed (exit 4) when not" {
	rm "$TABLE"
	certctl build -q -o "$T/store/v.certs" --vlek "$SNPCERT_FIXTURES/milan/vlek.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem" --ark "$SNPCERT_FIXTURES/milan/ark.pem"
	before=$(fingerprint "$T/store/v.certs")
	set_state vlek_loaded=1
	run --separate-stderr fake refresh
	assert_success
	assert_output "skipped $T/store/v.certs: a VLEK is loaded; refresh leaves VLEK tables alone"
	set_state vlek_loaded=0
	run --separate-stderr fake refresh
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: '$T/store/v.certs' carries a VLEK but none is loaded: run 'snp-certctl vlek-load'"
	assert_output "failed $T/store/v.certs: carries a VLEK but none is loaded: run 'snp-certctl vlek-load'"
	assert_equal "$(fingerprint "$T/store/v.certs")" "$before"
	assert_equal "$(kds_requests)" 0
}

# A failing refresh under a KDS fault: EXIT MESSAGE.  Table and cache untouched.
fails_untouched() {
	local before cache_before
	before=$(fingerprint "$TABLE")
	cache_before=$(cache_state)
	run --separate-stderr fake refresh
	assert_failure "$1"
	[[ "$stderr" == *"$2"* ]] || { echo "stderr: $stderr"; echo "want: $2"; return 1; }
	assert_output --partial "failed $TABLE: "
	assert_equal "$(fingerprint "$TABLE")" "$before"
	assert_equal "$(cache_state)" "$cache_before"
	[ -z "$(ls -A "$T/store" | grep -v -e '^t.certs$' -e '^.snp-certctl.lock$' \
		-e '^.snp-certctl-state.json$')" ]
}

@test "refresh: KDS faults (404, 500, garbage, wrong TCB, wrong signer) leave tables and cache untouched" {
	local desc="Milan VCEK hwid 00010203...3f TCB $NEW"
	kds_mode 404
	fails_untouched 6 "snp-certctl: KDS answered 404 for $desc"
	kds_mode 500
	SNP_CERTCTL_KDS_DEADLINE=1 fails_untouched 6 "snp-certctl: KDS answered 500 for $desc; gave up after"
	kds_mode garbage
	fails_untouched 4 "snp-certctl: KDS reply for $desc is malformed"
	kds_mode wrong-tcb
	fails_untouched 4 "snp-certctl: the VCEK KDS sent for $desc does not verify: it is for TCB bl=3,tee=1,snp=8,ucode=116, not $NEW"
	kds_mode wrong-signer
	fails_untouched 4 "snp-certctl: the VCEK KDS sent for $desc does not verify: VCEK signature does not verify"
	[ -z "$(cache_state)" ]
	# and with KDS back, the same run succeeds
	kds_mode ok
	run --separate-stderr fake refresh
	assert_success
}

@test "refresh: the whole store, in order; an empty table gets VCEK, ASK and ARK" {
	old_entries_table "$T/store/b.certs"
	test_table milan "$T/store/a.certs"
	printf '\0%.0s' $(seq 24) >"$T/store/c.certs"
	printf 'not a table' >"$T/store/.hidden"
	run --separate-stderr fake refresh
	assert_success
	assert_line --index 0 "unchanged $T/store/a.certs: the VCEK is for the reported TCB $NEW and this chip"
	assert_line --index 1 "updated $T/store/b.certs: installed the VCEK for the reported TCB $NEW (was $OLDTCB)"
	assert_line --index 2 "updated $T/store/c.certs: installed the VCEK for the reported TCB $NEW (was no VCEK)"
	assert_line --index 3 "updated $T/store/t.certs: installed the VCEK for the reported TCB $NEW (was $OLDTCB)"
	assert_equal "${#lines[@]}" 4
	assert_equal "$(entries "$T/store/c.certs" | cut -d' ' -f1 | tr '\n' ' ')" "vcek ask ark "
	assert_equal "$(kds_requests "$VCEK_REQ")" 1
	run fake verify "$T/store/c.certs" --tcb "$NEW"
	assert_success
	assert_equal "$(cat "$T/store/.hidden")" "not a table"
	# Only the named files, when named.
	old_entries_table "$T/store/b.certs"
	run --separate-stderr fake refresh "$T/store/b.certs"
	assert_success
	assert_output --partial "updated $T/store/b.certs"
	assert_equal "${#lines[@]}" 1
}

@test "refresh: the hooks run in order with the tables and TCBs, the locks held at locked" {
	old_entries_table "$T/store/u.certs"
	add_hook 10-log
	add_hook 20-log
	cat >"$T/hooks/15-reader" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = locked ] || exit 0
		"$READER" -t 50 "$TABLE"
		echo "reader \$?" >>"$T/hooks.log"
	EOF
	chmod 755 "$T/hooks/15-reader"
	run --separate-stderr fake refresh
	assert_success
	tables="$T/store/t.certs $T/store/u.certs"
	env="cmd=refresh old=$OLDTCB new=$NEW tables=$tables"
	assert_equal "$(cat "$T/hooks.log")" "pre-update 10-log $env
pre-update 20-log $env
locked 10-log $env
reader 3
locked 20-log $env
post-update 10-log $env
post-update 20-log $env"
	# Nothing to do: no hooks.
	: >"$T/hooks.log"
	run --separate-stderr fake refresh
	assert_success
	[ ! -s "$T/hooks.log" ]
}

@test "refresh: a failing pre-update hook aborts with nothing changed; update-failed runs" {
	add_hook 10-fail 3
	before=$(fingerprint "$TABLE")
	run --separate-stderr fake refresh
	assert_failure 1
	assert_line --partial -- "failed $TABLE: a hook failed at pre-update; unchanged"
	[[ "$stderr" == *"snp-certctl: hook '$T/hooks/10-fail' failed at pre-update: exit status 3"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$before"
	assert_equal "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "pre-update update-failed "
	# A hook writable by others refuses the whole run before any request.
	: >"$KDS_LOG"
	chmod 777 "$T/hooks/10-fail"
	run --separate-stderr fake refresh
	assert_failure 1
	[[ "$stderr" == *"refusing hook '$T/hooks/10-fail'"* ]]
	assert_equal "$(kds_requests)" 0
}

@test "refresh: post-update and update-failed hooks run with no lock held (not even the journal's)" {
	# A hook may run snp-certctl on the same tables: a writer's lock held
	# by us would make it wait out its timeout.
	cat >"$T/hooks/10-recover" <<-EOF
		#!/bin/sh
		case "\$SNP_CERTCTL_EVENT" in post-update|update-failed) ;; *) exit 0 ;; esac
		"$SNP_CERTCTL" recover --timeout 0 "$TABLE" >/dev/null 2>&1
		echo "\$SNP_CERTCTL_EVENT recover \$?" >>"$T/hooks.log"
	EOF
	chmod 755 "$T/hooks/10-recover"
	run --separate-stderr fake refresh
	assert_success
	assert_equal "$(cat "$T/hooks.log")" "post-update recover 0"
	# update-failed after a failing hook at locked.
	old_entries_table "$TABLE"
	add_hook 20-fail 1
	sed -i 's/^exit 1$/[ "$SNP_CERTCTL_EVENT" = locked ] \&\& exit 1; exit 0/' "$T/hooks/20-fail"
	: >"$T/hooks.log"
	run --separate-stderr fake refresh
	assert_failure 1
	assert_equal "$(grep recover "$T/hooks.log")" "update-failed recover 0"
}

@test "refresh: a slow pre-update hook does not use up the lock timeout" {
	# Draining guests at pre-update takes longer than --timeout; a reader
	# holding the table when the locks are taken is still waited for.
	cat >"$T/hooks/10-drain" <<-EOF
		#!/bin/sh
		[ "\$SNP_CERTCTL_EVENT" = pre-update ] || exit 0
		setsid sh -c "sleep 2; exec '$READER' -H 1500 '$TABLE'" >/dev/null 2>&1 &
		sleep 2.5
	EOF
	chmod 755 "$T/hooks/10-drain"
	run --separate-stderr fake refresh --timeout 2
	assert_success
	assert_output --partial "updated $TABLE"
}

@test "refresh: a table named twice is locked and written once; a hard-linked one is refused" {
	ln -s "$TABLE" "$T/link.certs"
	ino=$(stat -c %i "$TABLE")
	run --separate-stderr fake refresh --timeout 1 "$T/link.certs" "$TABLE"
	assert_success
	assert_output "updated $TABLE: installed the VCEK for the reported TCB $NEW (was $OLDTCB)"
	assert_equal "$(vcek_tcb "$TABLE")" "$FX_TCB_MILAN"
	assert_equal "$(stat -c %i "$TABLE")" "$ino"
	# One inode is one table: a second name (its own journal) is refused,
	# through either name, in one command or in two.
	old_entries_table "$TABLE"
	before=$(fingerprint "$TABLE")
	ln "$TABLE" "$T/store/u.certs"
	run --separate-stderr fake refresh --timeout 1
	assert_failure 1
	[[ "$stderr" == *"refusing '$TABLE': it has 2 names (hard links), and a table must have one"* ]]
	run --separate-stderr fake refresh --timeout 1 "$T/store/u.certs"
	assert_failure 1
	[[ "$stderr" == *"refusing '$T/store/u.certs': it has 2 names (hard links)"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$before"
}

@test "refresh --json: the platform and every table" {
	test_table milan "$T/store/a.certs"
	run --separate-stderr fake refresh --json
	assert_success
	json_keys_documented refresh
	jq -e --arg a "$T/store/a.certs" --arg t "$TABLE" --arg new "$NEW" --arg old "$OLDTCB" \
		--arg hw "$FX_HWID_MILAN" "$JQ_SPEC"'
		(.platform | .reported_tcb |= spec) ==
			{product: "Milan", reported_tcb: $new, chip_id: $hw, vlek_loaded: false}
		and .platform.reported_tcb.raw == "0x7308000000000103"
		and .dry_run == false
		and (.locks_held_us | type == "number" and . > 0)
		and .tables[0].file == $a and .tables[0].path == $a
		and .tables[0].action == "unchanged"
		and (.tables[1] | .old_tcb |= spec | .new_tcb |= spec) ==
			{file: $t, path: $t, action: "updated",
			reason: ("installed the VCEK for the reported TCB " + $new + " (was " + $old + ")"),
			old_tcb: $old, new_tcb: $new}
		and .tables[1].new_tcb.raw == "0x7308000000000103"
		and (has("error") | not)' <<<"$output"
	kds_mode 404
	old_entries_table "$TABLE"
	rm -r "$T/cache"
	run --separate-stderr fake refresh --json
	assert_failure 6
	# Failed part way: what was done, and the error.
	jq -e --arg t "$TABLE" '.tables[1].action == "failed" and .tables[1].exit_status == 6
		and .tables[0].action == "unchanged" and .error.exit == 6
		and (.error.message | startswith("'"$TABLE"': ") or test("KDS|HTTP|404"))' <<<"$output"
}

@test "refresh: a masked chip id fails VCEK tables (exit 5) and suggests a VLEK" {
	set_state mask_chip_id=1
	before=$(fingerprint "$TABLE")
	run --separate-stderr fake refresh
	assert_failure 5
	[[ "$stderr" == *"the firmware masks the chip id (mask_chip_id), so this chip's VCEK cannot be matched or fetched; use a VLEK ('snp-certctl vlek-load')"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$before"
	assert_equal "$(kds_requests)" 0
}

@test "refresh: without the SEV device, exit 5" {
	set_state present=0
	run --separate-stderr fake refresh
	assert_failure 5
	[[ "$stderr" == *"cannot open '$T/sev'"* ]]
}

@test "refresh: a table locked by a reader past --timeout fails with exit 3, untouched" {
	before=$(fingerprint "$TABLE")
	"$READER" -H 3000 "$TABLE" 3>&- &
	reader=$!
	wait_held "$TABLE"
	run --separate-stderr fake refresh --timeout 0.3
	assert_failure 3
	[[ "$stderr" == *"cannot lock '$TABLE' within 0.3s: held by $reader (stock-reader) READ"* ]]
	assert_equal "$(fingerprint "$TABLE")" "$before"
}

@test "refresh --splay: waits first and says so at -v; a dry run does not wait" {
	run --separate-stderr fake refresh -v --splay 0.2
	assert_success
	[[ "$stderr" == *"s first (--splay 0.2)"* ]]
	run --separate-stderr fake refresh -v --splay 3600 --dry-run
	assert_success
	[[ "$stderr" == *"not waiting first (--splay 3600): a dry run"* ]]
	[[ "$stderr" != *"s first (--splay"* ]]
	run --separate-stderr fake refresh --splay soon
	assert_failure 2
}

@test "refresh: off a terminal, each updated table goes to syslog" {
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	# A syslog socket of our own, bound over /dev/log in a private mount
	# namespace (a tmpfs /dev holding it and the real /dev/null).
	python3 - "$T/log.sock" "$T/syslog" <<-'PY' &
		import socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		s.bind(sys.argv[1])
		s.settimeout(20)
		with open(sys.argv[2], "ab", buffering=0) as out:
		    try:
		        while True:
		            out.write(s.recv(4096) + b"\n")
		    except socket.timeout:
		        pass
	PY
	listener=$!
	for _ in $(seq 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
	mkdir "$T/dev"
	LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" \
		run --separate-stderr unshare -m --propagation private sh -c '
			d=$1; shift
			mount -t tmpfs snp-certctl-test "$d" && touch "$d/null" "$d/log" &&
			mount --bind /dev/null "$d/null" && mount --bind "$0" "$d/log" &&
			mount --move "$d" /dev && exec "$@"' \
		"$T/log.sock" "$T/dev" "$SNP_CERTCTL" refresh
	assert_success
	for _ in $(seq 50); do [ -s "$T/syslog" ] && break; sleep 0.1; done
	kill "$listener"
	run cat "$T/syslog"
	assert_output --regexp "^<29>.*snp-certctl\[[0-9]+\]: refresh: updated '$TABLE': installed the VCEK for the reported TCB $NEW"
}

@test "refresh: what the store holds but cannot manage is said, and the run exits 1" {
	run --separate-stderr fake refresh
	assert_success
	ln -s "$TABLE" "$T/store/link.certs"
	mkfifo "$T/store/fifo.certs"
	mkdir "$T/store/dir.certs"
	run --separate-stderr fake refresh
	assert_failure 1
	# The tables themselves are reported as ever; nothing hangs on the FIFO.
	assert_output --partial "unchanged $TABLE"
	[[ "$stderr" == *"the store '$T/store' holds 'link.certs', which is not a regular file: it is not managed"* ]]
	[[ "$stderr" == *"holds 'fifo.certs'"* && "$stderr" == *"holds 'dir.certs'"* ]]
	[[ "$stderr" == *"the store '$T/store' holds 3 entries that are not managed (see above)"* ]]
	# Said at normal verbosity, not only with -v; -q keeps only the error.
	run --separate-stderr fake refresh -q
	assert_failure 1
	[[ "$stderr" != *"which is not a regular file"* ]]
	[[ "$stderr" == *"holds 3 entries that are not managed"* ]]
	run --separate-stderr fake status --json
	assert_success
	[ "$(jq .store.unmanaged <<<"$output")" = 3 ]
	run --separate-stderr fake status
	assert_line --partial "$T/store: 1 table, 3 not managed (not regular files)"
}

@test "refresh: a reported TCB that changes before the locks is never installed stale" {
	before=$(fingerprint "$TABLE")
	# A pre-update hook stands in for a firmware update outside snp-certctl.
	printf '#!/bin/sh\nsed -i "/^reported_tcb=/d" "%s"; echo reported_tcb=0x7309000000000103 >> "%s"\n' \
		"$STATE" "$STATE" > "$T/hooks/10-change"
	chmod 755 "$T/hooks/10-change"
	run --separate-stderr fake refresh
	assert_failure 5
	[[ "$stderr" == *"the platform's reported TCB changed to bl=3,tee=1,snp=9,ucode=115 while refreshing for $NEW: nothing installed"* ]]
	assert_output "failed $TABLE: the reported TCB changed to bl=3,tee=1,snp=9,ucode=115 meanwhile; unchanged"
	assert_equal "$(fingerprint "$TABLE")" "$before"
	[ ! -s "$T/store/.t.certs.snpcert-journal" ]
}

@test "refresh: a store others can write is refused before anything, even with nothing to do" {
	run --separate-stderr fake refresh
	assert_success
	chmod 0777 "$SNP_CERTCTL_STORE"
	run --separate-stderr fake refresh
	assert_failure 1
	[[ "$stderr" == *"refusing the store '$SNP_CERTCTL_STORE': writable by group or others, so anyone who can write it can replace its tables"* ]]
	chmod 0755 "$SNP_CERTCTL_STORE"
	mkdir -m 0777 "$T/srv"
	mv "$SNP_CERTCTL_STORE" "$T/srv/store"
	export SNP_CERTCTL_STORE="$T/srv/store"
	run --separate-stderr fake refresh
	assert_failure 1
	[[ "$stderr" == *"refusing the store '$T/srv/store': '$T/srv' above it is writable by group or others"* ]]
}

@test "refresh: workflows on one store are serialised by the store lock, shown by locks" {
	# Another workflow holds the store: this one waits, then gives up (exit 3).
	python3 -c '
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
open(sys.argv[2], "w").close()
time.sleep(3)' "$T/store/.snp-certctl.lock" "$T/held" &
	while [ ! -e "$T/held" ]; do sleep 0.05; done
	run --separate-stderr fake refresh --timeout 0.5
	assert_failure 3
	[[ "$stderr" == *"cannot lock the store '$T/store': another workflow is running, held by "*python3* ]]
	run certctl locks
	assert_success
	assert_line --index 0 "$T/store/.snp-certctl.lock: 1 lock"
	assert_line --partial "python3"
	wait
	run --separate-stderr fake refresh
	assert_success
}

@test "refresh: 2,000 tables in the store under a soft limit of 1,024 open files" {
	# Every table needs the VCEK: 2,000 writers, 4,000 descriptors, one lock
	# order.  On tmpfs when there is one: 2,000 journals fsync'd.
	big_store 2000
	store=$SNP_CERTCTL_STORE
	run --separate-stderr fake_nofile 1024 refresh --json
	assert_success
	refute [ -n "$(grep -i 'open files' <<<"$stderr")" ]
	jq -e '(.tables | length) == 2000 and all(.tables[]; .action == "updated")
		and .locks_held_us > 0' <<<"$output"
	assert_equal "$(kds_requests "$VCEK_REQ 200")" 1
	assert_equal "$(find "$store" -name '.*.snpcert-journal' -size +0 | wc -l)" 0
	# Now every table is right: none is opened for writing, nothing locked.
	run --separate-stderr fake_nofile 1024 refresh --json
	assert_success
	jq -e 'all(.tables[]; .action == "unchanged") and .locks_held_us == 0' <<<"$output"
}

@test "refresh: SIGTERM while waiting for the lock: update-failed runs, exit 143, nothing to recover" {
	local journal="$T/store/.t.certs.snpcert-journal" pid status=0
	add_hook 10-log
	before=$(fingerprint "$TABLE")
	"$READER" -H 5000 "$TABLE" 3>&- &
	wait_held "$TABLE"
	LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" \
		"$SNP_CERTCTL" refresh --timeout 10 >"$T/refresh.out" 2>&1 3>&- &
	pid=$!
	for i in $(seq 300); do [ -s "$journal" ] && break; sleep 0.01; done
	[ -s "$journal" ]
	sleep 0.1
	kill -TERM "$pid"
	wait "$pid" || status=$?
	assert_equal "$status" 143
	[ ! -s "$journal" ]
	grep -q "Terminated: cancelled; no table was changed" "$T/refresh.out"
	env="cmd=refresh old=$OLDTCB new=$NEW tables=$TABLE"
	assert_equal "$(cat "$T/hooks.log")" "pre-update 10-log $env
update-failed 10-log $env"
	run certctl recover "$TABLE"
	assert_success
	assert_equal "$(fingerprint "$TABLE")" "$before"
}
