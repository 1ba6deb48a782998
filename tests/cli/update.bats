#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# update: entries replaced in place, crash-safe, under the lock protocol.

load helpers

READER="$SNPCERT_BUILD/tests/tools/stock-reader"
GUID_X=11111111-2222-3333-4444-555555555555
GUID_Y=0b5e1c2a-0000-4000-8000-000000000001

setup_file() {
	# A second Milan VCEK (other chip, other TCB), as KDS would hand it out.
	bash "$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan \
		"$(printf '%0128x' 7)" bl=3,tee=0,snp=8,ucode=115 "$BATS_FILE_TMPDIR/vcek2.der"
}

setup() {
	common_setup
	VCEK2="$BATS_FILE_TMPDIR/vcek2.der"
	TRUST=(--trust-root "$SNPCERT_FIXTURES/milan/ark.pem")
	printf 'opaque-x' > "$T/x.bin"
	test_table milan "$T/t.certs" --crl "$SNPCERT_FIXTURES/milan/crl.der" \
		--entry "$GUID_X=$T/x.bin"
	OLD=$(fingerprint "$T/t.certs")
	cp "$T/t.certs" "$T/old.certs"
}

teardown() {
	stop_jobs
}

# "type sha256" per entry, in order.
entries() {
	certctl show --json "$1" | jq -r '.entries[] | "\(.type) \(.sha256)"'
}

# The table is still exactly what setup built (bytes and inode).
unchanged() {
	[ "$(fingerprint "$T/t.certs")" = "$OLD" ]
}

# Wait (up to ~2 s) for a file to hold a line matching a pattern.
wait_for_line() {
	local i
	for i in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

@test "update: a new VCEK replaces the old one in its place; the rest byte for byte" {
	entries "$T/t.certs" > "$T/before"
	ino=$(stat -c %i "$T/t.certs")
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
	assert_output "updated $T/t.certs: 5 entries, $(stat -c %s "$T/t.certs") bytes"
	entries "$T/t.certs" > "$T/after"
	# entry 0 is the new VCEK, entries 1-4 (ask, ark, crl, other) did not change
	[ "$(head -1 "$T/after")" = "vcek $(sha256sum < "$VCEK2" | cut -d' ' -f1)" ]
	diff <(tail -n +2 "$T/before") <(tail -n +2 "$T/after")
	[ "$(stat -c %i "$T/t.certs")" = "$ino" ]
	run certctl verify "$T/t.certs" "${TRUST[@]}"
	assert_success
	# the journal is kept, empty, for the next update
	[ -f "$T/.t.certs.snpcert-journal" ]
	[ ! -s "$T/.t.certs.snpcert-journal" ]
}

@test "update: --remove by kind and by GUID; new entries are appended in build order" {
	run certctl update "$T/t.certs" --remove crl --remove "$GUID_X" "${TRUST[@]}"
	assert_success
	assert_output --partial "3 entries"
	[ "$(certctl show --json "$T/t.certs" | jq -r '[.entries[].type] | join(",")')" = vcek,ask,ark ]
	printf 'y' > "$T/y.bin"
	run certctl update "$T/t.certs" --entry "$GUID_Y=$T/y.bin" \
		--crl "$SNPCERT_FIXTURES/milan/crl.der" "${TRUST[@]}"
	assert_success
	run certctl show --json "$T/t.certs"
	[ "$(jq -r '[.entries[].type] | join(",")' <<< "$output")" = vcek,ask,ark,crl,other ]
	[ "$(jq -r '.entries[4].guid' <<< "$output")" = "$GUID_Y" ]
}

@test "update: an extra entry is replaced in its place" {
	printf 'opaque-x2' > "$T/x2.bin"
	run certctl update "$T/t.certs" --entry "$GUID_X=$T/x2.bin" "${TRUST[@]}"
	assert_success
	certctl extract "$T/t.certs" -d "$T/out"
	[ "$(cat "$T/out/$GUID_X.bin")" = opaque-x2 ]
	[ "$(certctl show --json "$T/t.certs" | jq -r '.entries[4].guid')" = "$GUID_X" ]
}

@test "update: the same contents again change nothing and say so" {
	run certctl update "$T/t.certs" --vcek "$SNPCERT_FIXTURES/milan/vcek.pem" "${TRUST[@]}"
	assert_success
	assert_output "unchanged $T/t.certs: 5 entries, $(stat -c %s "$T/t.certs") bytes"
	unchanged
	run certctl update --json "$T/t.certs" --entry "$GUID_X=$T/x.bin" "${TRUST[@]}"
	assert_success
	[ "$(jq -r '.action' <<< "$output")" = unchanged ]
	[ "$(jq -r '.file' <<< "$output")" = "$T/t.certs" ]
	[ "$(jq -r '.entries' <<< "$output")" = 5 ]
	# unchanged takes no lock: it succeeds while a stock reader holds the table
	"$READER" -H 1000 "$T/t.certs" 3>&- &
	wait_held "$T/t.certs"
	run certctl update "$T/t.certs" --vcek "$SNPCERT_FIXTURES/milan/vcek.pem" "${TRUST[@]}" \
		--timeout 0
	assert_success
	assert_output --partial unchanged
}

@test "update --json: the result" {
	run certctl update --json "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
	[ "$(jq -r '.action' <<< "$output")" = updated ]
	[ "$(jq -r '.size' <<< "$output")" = "$(stat -c %s "$T/t.certs")" ]
	[ "$(jq -r '.entries' <<< "$output")" = 5 ]
}

@test "update: removing an entry that is not there is a no-op (exit 0), said on stderr" {
	run --separate-stderr certctl update "$T/t.certs" --remove vlek "${TRUST[@]}"
	assert_success
	assert_equal "$stderr" "snp-certctl: '$T/t.certs' has no vlek entry: nothing to remove"
	unchanged
	run --separate-stderr certctl update -q "$T/t.certs" --remove "$GUID_Y" "${TRUST[@]}"
	assert_success
	assert_equal "$stderr" ""
	unchanged
	# with another change, that change is made
	run --separate-stderr certctl update "$T/t.certs" --remove vlek --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
	[[ "$stderr" == *"has no vlek entry: nothing to remove"* ]]
	refute unchanged
}

@test "update: a FIFO as input is refused at once; the table is unchanged" {
	mkfifo "$T/fifo"
	run timeout 10 "$SNP_CERTCTL" update "$T/t.certs" --vcek "$T/fifo" "${TRUST[@]}"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" update "$T/t.certs" --entry "$GUID_X=$T/fifo" "${TRUST[@]}"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	run timeout 10 "$SNP_CERTCTL" update "$T/t.certs" --crl "$T/fifo" "${TRUST[@]}"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo': not a regular file"
	unchanged
	[ ! -e "$T/.t.certs.snpcert-journal" ]
}

@test "update: a chain that does not verify exits 4 and changes nothing" {
	# a Milan VCEK of another chain, whose ASK is not the table's
	run certctl update "$T/t.certs" --vcek "$SNPCERT_FIXTURES/bad/ark-untrusted/vcek.pem" \
		"${TRUST[@]}"
	assert_failure 4
	assert_output --partial "not writing '$T/t.certs'"
	unchanged
	# removing the endorsement key leaves no chain at all
	run certctl update "$T/t.certs" --remove vcek "${TRUST[@]}"
	assert_failure 4
	unchanged
	# --no-verify writes it anyway (test keys)
	run certctl update "$T/t.certs" --remove vcek --no-verify
	assert_success
}

@test "update: usage errors exit 2" {
	run certctl update "$T/t.certs"
	assert_failure 2
	assert_output --partial "nothing to do"
	run certctl update --vcek "$VCEK2"
	assert_failure 2
	run certctl update "$T/t.certs" --vcek "$VCEK2" --remove vcek
	assert_failure 2
	assert_output --partial "--remove vcek conflicts with --vcek"
	run certctl update "$T/t.certs" --remove bogus
	assert_failure 2
	run certctl update "$T/t.certs" --vcek "$VCEK2" --timeout soon
	assert_failure 2
	run certctl update "$T/t.certs" "$T/old.certs" --vcek "$VCEK2"
	assert_failure 2
	run certctl update "$T/t.certs" --ask "$SNPCERT_FIXTURES/milan/ask.pem" \
		--asvk "$SNPCERT_FIXTURES/milan/asvk.pem"
	assert_failure 2
	run certctl update --help
	assert_success
	assert_output --partial "--remove GUID|KIND"
	unchanged
}

@test "update: in place: same inode, inotify sees MODIFY and never a replacement" {
	ino=$(stat -c %i "$T/t.certs")
	inotifywait -m -e modify,attrib,delete_self,move_self,close_write "$T/t.certs" \
		> "$T/events" 2> "$T/inotify.err" 3>&- &
	watcher=$!
	wait_for_line "$T/inotify.err" "Watches established"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
	sleep 0.1
	kill "$watcher"
	wait "$watcher" || true
	[ "$(stat -c %i "$T/t.certs")" = "$ino" ]
	grep -q MODIFY "$T/events"
	refute grep -E 'DELETE_SELF|MOVE_SELF' "$T/events"
	# every event is on the table itself, never a new file at the path
	refute grep -v "^$T/t.certs " "$T/events"
}

@test "update: waits for a stock reader, says who after a second, times out with exit 3" {
	"$READER" -H 3000 "$T/t.certs" 3>&- &
	reader=$!
	wait_held "$T/t.certs"
	start=$(date +%s%N)
	run --separate-stderr certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}" \
		--timeout 1.5
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_failure 3
	[ "$elapsed" -ge 1400 ]
	[ "$elapsed" -lt 2500 ]
	[ "${stderr_lines[0]}" = "snp-certctl: waiting for the lock on '$T/t.certs', held by $reader (stock-reader) READ" ]
	[ "${stderr_lines[1]}" = "snp-certctl: cannot lock '$T/t.certs' within 1.5s: held by $reader (stock-reader) READ" ]
	unchanged
	# the journal was dropped: nothing to recover
	[ ! -s "$T/.t.certs.snpcert-journal" ]
}

@test "update: a table replaced while the writer waits: says so, names the old file's holder, also while waiting" {
	"$READER" -H 3000 "$T/t.certs" 3>&- &
	reader=$!
	wait_held "$T/t.certs"
	cp "$T/t.certs" "$T/new.certs"
	( sleep 0.5; mv "$T/new.certs" "$T/t.certs" ) &
	mover=$!
	run --separate-stderr certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}" \
		--timeout 1.5
	wait "$mover"
	kill "$reader"
	assert_failure 3
	# the waiting line, a second in (after the move), names the file waited on
	[ "${stderr_lines[0]}" = "snp-certctl: waiting for the lock on '$T/t.certs', held by $reader (stock-reader) READ" ]
	[[ "$stderr" == *"cannot lock '$T/t.certs' within 1.5s: the file was replaced while waiting for its lock, and the old file is held by $reader (stock-reader) READ; run the command again"* ]]
	[[ "$stderr" != *"no process found"* ]]
}

@test "update: a short timeout says nothing while waiting; --timeout 0 tries once" {
	"$READER" -H 2000 "$T/t.certs" 3>&- &
	reader=$!
	wait_held "$T/t.certs"
	run --separate-stderr certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}" \
		--timeout 0.3
	assert_failure 3
	[ "${#stderr_lines[@]}" = 1 ]
	[[ "$stderr" == *"held by $reader (stock-reader) READ"* ]]
	SNP_CERTCTL_LOCK_TIMEOUT=5 run --separate-stderr certctl update "$T/t.certs" \
		--vcek "$VCEK2" "${TRUST[@]}" --timeout 0
	assert_failure 3
	assert_equal "$stderr" "snp-certctl: cannot lock '$T/t.certs': busy, held by $reader (stock-reader) READ"
	unchanged
}

@test "update: while it waits for a reader, new readers are held off (intent byte)" {
	# a libsnpcert reader (lock --shared) holds the table until told; stock
	# readers' whole-file locks would also cover the intent byte and delay it
	"$SNP_CERTCTL" lock --shared "$T/t.certs" -- \
		sh -c 'touch "$1/held"; while [ ! -e "$1/release" ]; do sleep 0.05; done' sh "$T" 3>&- &
	for i in $(seq 200); do [ -e "$T/held" ] && break; sleep 0.05; done
	[ -e "$T/held" ]
	certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}" --timeout 30 3>&- &
	writer=$!
	intent=
	for i in $(seq 200); do
		intent=$(certctl locks --json "$T/t.certs" |
			jq -r '.files[0].locks[] | select(.intent) | "\(.command) \(.mode)"')
		[ -n "$intent" ] && break
		sleep 0.05
	done
	assert_equal "$intent" "snp-certctl WRITE"
	# a new stock reader gets "busy", as QEMU would; so does a new libsnpcert reader
	run "$READER" -t 100 -p "$T/t.certs"
	assert_failure 3
	assert_output --partial busy
	run certctl lock --shared --timeout 0.1 "$T/t.certs" -- true
	assert_failure 3
	unchanged
	touch "$T/release"
	wait "$writer"
	run "$READER" -c -p "$T/t.certs"
	assert_success
	assert_output --partial "ok size=$(stat -c %s "$T/t.certs")"
	[ "$(entries "$T/t.certs" | head -1)" = "vcek $(sha256sum < "$VCEK2" | cut -d' ' -f1)" ]
}

@test "update: a crash at every step leaves old or new, never mixed; recover completes it" {
	certctl update "$T/old.certs" --vcek "$VCEK2" "${TRUST[@]}" -q
	NEW=$(sha256sum < "$T/old.certs" | cut -d' ' -f1)
	cp "$T/t.certs" "$T/old.certs"
	OLDSUM=$(sha256sum < "$T/t.certs" | cut -d' ' -f1)
	for step in journal-partial journal-written intent locked zeroed body-written truncated \
		committed unlocked synced cleared; do
		cp "$T/old.certs" "$T/c.certs"
		rm -f "$T/.c.certs.snpcert-journal"
		ino=$(stat -c %i "$T/c.certs")
		run crash_at "$step" certctl update "$T/c.certs" --vcek "$VCEK2" "${TRUST[@]}"
		[ "$status" = 99 ] || { echo "$step: exit $status"; false; }
		# what a stock reader receives now: the old table, the new one, or an empty one
		run "$READER" -c -p "$T/c.certs"
		[ "$status" = 0 ] || { echo "$step: reader: $output"; false; }
		sum=$(sha256sum < "$T/c.certs" | cut -d' ' -f1)
		first=$(head -c 24 "$T/c.certs" | od -An -tx1 | tr -d ' \n0')
		if [ "$sum" != "$OLDSUM" ] && [ "$sum" != "$NEW" ]; then
			[ -z "$first" ] || { echo "$step: mixed table"; false; }
			[[ "$output" == "empty size="* ]]
		fi
		run certctl recover "$T/c.certs"
		assert_success
		sum=$(sha256sum < "$T/c.certs" | cut -d' ' -f1)
		case $step in
		journal-partial) [ "$sum" = "$OLDSUM" ]; assert_output --partial discarded ;;
		synced) [ "$sum" = "$NEW" ]; assert_output --partial replayed ;;
		cleared) [ "$sum" = "$NEW" ]; assert_output --partial clean ;;
		*) [ "$sum" = "$NEW" ] || { echo "$step: not new after recover"; false; } ;;
		esac
		[ "$(stat -c %i "$T/c.certs")" = "$ino" ]
		[ ! -s "$T/.c.certs.snpcert-journal" ]
		run "$READER" -c -p "$T/c.certs"
		assert_success
		assert_output --partial "ok size="
	done
}

@test "update: the crash fake refuses an unknown step, and changes nothing without one" {
	run crash_at zerod certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 2
	assert_output --partial "crash.so: unknown step 'zerod' in SNPCERT_CRASH_AT; the steps: journal-partial"
	[ "$(fingerprint "$T/t.certs")" = "$OLD" ]
	run crash_at '' certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
}

@test "update: after a crash, the next plain update recovers first" {
	certctl update "$T/old.certs" --vcek "$VCEK2" "${TRUST[@]}" -q
	NEW=$(sha256sum < "$T/old.certs" | cut -d' ' -f1)
	cp "$T/t.certs" "$T/old.certs"
	for step in journal-partial journal-written zeroed body-written truncated committed synced; do
		cp "$T/old.certs" "$T/c.certs"
		rm -f "$T/.c.certs.snpcert-journal"
		run crash_at "$step" certctl update "$T/c.certs" --vcek "$VCEK2" "${TRUST[@]}"
		[ "$status" = 99 ]
		run certctl update "$T/c.certs" --vcek "$VCEK2" "${TRUST[@]}"
		assert_success
		[ "$(sha256sum < "$T/c.certs" | cut -d' ' -f1)" = "$NEW" ] || { echo "$step"; false; }
		[ ! -s "$T/.c.certs.snpcert-journal" ]
	done
}

@test "update: refuses a symbolic link, a FIFO and a directory, changing nothing" {
	ln -s "$T/t.certs" "$T/link.certs"
	run certctl update "$T/link.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing '$T/link.certs': it is a symbolic link"
	mkfifo "$T/fifo.certs"
	run timeout 5 "$SNP_CERTCTL" update "$T/fifo.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing '$T/fifo.certs': not a regular file"
	mkdir "$T/dir.certs"
	run certctl update "$T/dir.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "not a regular file"
	run certctl update "$T/missing.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "'$T/missing.certs'"
	unchanged
}

@test "update: refuses a world-writable table or journal" {
	chmod 666 "$T/t.certs"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing '$T/t.certs': writable by group or others"
	chmod 644 "$T/t.certs"
	unchanged
	: > "$T/.t.certs.snpcert-journal"
	chmod 666 "$T/.t.certs.snpcert-journal"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing the journal '$T/.t.certs.snpcert-journal': writable by group or others"
	unchanged
	rm "$T/.t.certs.snpcert-journal"
	ln -s /etc/hostname "$T/.t.certs.snpcert-journal"
	chown -h 65534 "$T/.t.certs.snpcert-journal"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing the journal '$T/.t.certs.snpcert-journal': it is a symbolic link owned by uid 65534"
	unchanged
}

@test "update: a journal that is a hard link to another file is refused, the file kept" {
	printf 'precious\n' > "$T/precious"
	chmod 600 "$T/precious"
	ln "$T/precious" "$T/.t.certs.snpcert-journal"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing the journal '$T/.t.certs.snpcert-journal': it has 2 names (hard links), so it is another file too"
	assert_equal "$(cat "$T/precious")" precious
	unchanged
	run certctl recover "$T/t.certs"
	assert_failure 1
	assert_equal "$(cat "$T/precious")" precious
}

@test "update: a table in a directory others can write is refused; a sticky one is fine" {
	mkdir "$T/open"
	cp "$T/t.certs" "$T/open/t.certs"
	chmod 0777 "$T/open"
	run certctl update "$T/open/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing '$T/open/t.certs': its directory '$T/open' is writable by group or others (anyone who can write it can replace the table)"
	cmp "$T/open/t.certs" "$T/t.certs"
	chmod 1777 "$T/open"
	run certctl update "$T/open/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
}

@test "update: as root, refuses a table owned by another user" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	chown nobody "$T/t.certs"
	run certctl update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 1
	assert_output --partial "refusing '$T/t.certs': not owned by root"
	[ "$(fingerprint "$T/t.certs")" = "$OLD" ]
}

@test "update: a malformed table exits 4 and is left alone, with no journal" {
	head -c 100 "$T/old.certs" > "$T/bad.certs"
	sum=$(sha256sum < "$T/bad.certs")
	run certctl update "$T/bad.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_failure 4
	assert_output --partial "'$T/bad.certs'"
	[ "$(sha256sum < "$T/bad.certs")" = "$sum" ]
	[ ! -e "$T/.bad.certs.snpcert-journal" ]
}

# update_cancelled SIGNAL STATUS: update waits behind a stock reader with its
# journal written; SIGNAL makes it give up: STATUS, the journal cleared, and
# a later recover (the reader gone) changes nothing.
update_cancelled() {
	local journal="$T/.t.certs.snpcert-journal" pid status i
	"$READER" -H 5000 "$T/t.certs" 3>&- &
	reader=$!
	wait_held "$T/t.certs"
	"$SNP_CERTCTL" update --timeout 10 "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}" \
		>"$T/update.out" 2>&1 3>&- &
	pid=$!
	for i in $(seq 200); do [ -s "$journal" ] && break; sleep 0.01; done
	[ -s "$journal" ]
	sleep 0.1
	kill -"$1" "$pid"
	status=0
	wait "$pid" || status=$?
	assert_equal "$status" "$2"
	[ ! -s "$journal" ]
	# (A signal between two polls is seen when the wait ends: still before
	# anything is written.)
	grep -q "cancelled; no table was changed" "$T/update.out"
	kill "$reader" 2>/dev/null || true
	wait "$reader" || true
	run certctl recover "$T/t.certs"
	assert_success
	unchanged
}

@test "update: SIGTERM while waiting for the lock: exit 143, the journal cleared, nothing to recover" {
	update_cancelled TERM 143
}

@test "update: SIGHUP while waiting for the lock: exit 129, the journal cleared, nothing to recover" {
	update_cancelled HUP 129
}

@test "update -v: says how long the exclusive lock was held" {
	run --separate-stderr certctl -v update "$T/t.certs" --vcek "$VCEK2" "${TRUST[@]}"
	assert_success
	[[ "$stderr" =~ the\ exclusive\ locks\ were\ held\ [0-9.]+\ ms ]]
}

@test "update: a full disk fails before the lock, says so and names the table; nothing torn" {
	# A 64 KiB tmpfs, private to this test: the table, then a filler up to
	# 20 KiB short of full: room for the journal of the bigger table or for
	# its growth, not for both.
	head -c 8000 /dev/urandom > "$T/blob"
	cat > "$T/full.sh" <<-'SH'
		set -u
		mount -t tmpfs -o size=64k tmpfs "$D"
		cp "$T/t.certs" "$D/t.certs"
		dd if=/dev/zero of="$D/fill" bs=4k 2>/dev/null
		truncate -s -20k "$D/fill"
		before=$(sha256sum < "$D/t.certs")
		"$SNP_CERTCTL" update "$D/t.certs" --entry 11111111-2222-3333-4444-555555555555="$T/blob" \
			--no-verify 2> "$T/err"
		echo "rc=$?"
		[ "$(sha256sum < "$D/t.certs")" = "$before" ] && echo same
		[ ! -s "$D/.t.certs.snpcert-journal" ] && echo "no journal to replay"
		rm "$D/fill"
		"$SNP_CERTCTL" update "$D/t.certs" --entry 11111111-2222-3333-4444-555555555555="$T/blob" \
			--no-verify > /dev/null && echo "then updated"
	SH
	mkdir "$T/small"
	run env D="$T/small" T="$T" SNP_CERTCTL="$SNP_CERTCTL" unshare -m sh "$T/full.sh"
	assert_line "rc=1"
	assert_line "same"
	assert_line "no journal to replay"
	assert_line "then updated"
	run cat "$T/err"
	assert_output --partial "cannot update '$T/small/t.certs': No space left on device"
	refute_output --partial "buffer too small"
}
