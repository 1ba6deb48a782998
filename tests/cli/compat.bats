#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# compat: libsnpcert and snp-certctl next to programs outside the lock
# protocol: a tool that truncates and rewrites the table without any lock
# (snphost import; tests/tools/unlocked-writer) and the stock QEMU v2 reader
# (tests/tools/compat-reader -m qemu).  libsnpcert readers read both ways:
# snpcert_read (-m lib) and snpcert_req_certs, as a VMM serves the guest's
# request (-m req).  Every read a reader returns as a
# success must be one of the tables written, byte for byte ("neither" is a
# torn or mixed table accepted).  Each test prints its figures (# lines).

load helpers

READER="$SNPCERT_BUILD/tests/tools/compat-reader"
WRITER="$SNPCERT_BUILD/tests/tools/unlocked-writer"
TORN_SO="$SNPCERT_BUILD/tests/fakes/unlocked-writer.so"
GUID_X=11111111-2222-3333-4444-555555555555

setup() {
	common_setup
	# Two valid tables of different sizes, over two and three pages.
	head -c 5000 /dev/urandom > "$T/x1"
	head -c 10000 /dev/urandom > "$T/x2"
	test_table milan "$T/a.certs" --entry "$GUID_X=$T/x1"
	test_table milan "$T/b.certs" --crl "$SNPCERT_FIXTURES/milan/crl.der" \
		--entry "$GUID_X=$T/x2"
	cp "$T/a.certs" "$T/t.certs"
	TABLES=(-a "$T/a.certs" -a "$T/b.certs")
}

# figure NAME: NAME's count in compat-reader's summary line ($output).
figure() {
	local v
	v=$(sed -n "s/^compat-reader: .* $1=\([0-9]*\).*/\1/p" <<< "$output")
	[ -n "$v" ] || { echo "no figure $1 in: $output" >&2; return 1; }
	echo "$v"
}

# The summary line, as a figure of the run (shown with the TAP output).
report() {
	echo "# $1: ${output##*$'\n'}" >&3
}

@test "compat: an unlocked writer (truncate, write in chunks) while libsnpcert readers read: every success is one of the two tables" {
	for mode in lib req; do
		run --separate-stderr "$READER" -m "$mode" -j 2 "${TABLES[@]}" "$T/t.certs" -- \
			"$WRITER" -o -n 10000 -c 512 "$T/t.certs" "$T/a.certs" "$T/b.certs"
		report "$mode, unlocked writer"
		assert_success
		[ "$(figure neither)" = 0 ]
		[ "$(figure other)" = 0 ]
		[ "$(figure reads)" -gt 0 ]
		[[ "$output" == *"command=0" ]]
	done
}

@test "compat: the unlocked writer's half-written states are refused (-EBADMSG), never returned; a reader that does not validate returns them" {
	# A pause between chunks: the file is half-written most of the time.
	for mode in lib req; do
		run --separate-stderr "$READER" -m "$mode" -j 2 "${TABLES[@]}" "$T/t.certs" -- \
			"$WRITER" -n 300 -c 512 -s 200 "$T/t.certs" "$T/a.certs" "$T/b.certs"
		report "$mode, unlocked writer pausing between chunks"
		assert_success
		[ "$(figure neither)" = 0 ]
		[ "$(figure ebadmsg)" -gt 0 ]
	done
	# The same writer under the stock QEMU reader, which takes its lock and
	# reads what is there: the torn tables are real, and would be seen.
	run --separate-stderr "$READER" -m qemu -j 2 "${TABLES[@]}" "$T/t.certs" -- \
		"$WRITER" -n 300 -c 512 -s 200 "$T/t.certs" "$T/a.certs" "$T/b.certs"
	report "qemu, unlocked writer pausing between chunks"
	assert_failure 1
	[ "$(figure neither)" -gt 0 ]
}

@test "compat: a read an unlocked rewrite cuts in two (start of one table, rest of the other, same size) is read again, never returned" {
	# Every second pread of the table is cut after its first page by a
	# rewrite (tests/fakes/unlocked-writer.so.c); fstat sees the same size
	# before and after: only the file's times tell.
	for mode in lib req; do
		run --separate-stderr env LD_PRELOAD="$TORN_SO" UNLOCKED_WRITER_FILE="$T/t.certs" \
			UNLOCKED_WRITER_A="$T/a.certs" UNLOCKED_WRITER_B="$T/b.certs" \
			"$READER" -m "$mode" -j 1 -n 200 "${TABLES[@]}" "$T/t.certs" -- true
		report "$mode, a rewrite inside every second read"
		assert_success
		[ "$(figure neither)" = 0 ]
		[ "$(figure a)" = 200 ]
	done
}

@test "compat: a table an unlocked rewrite cuts into at every read is -EBADMSG after three reads, never returned" {
	for mode in lib req; do
		run --separate-stderr env LD_PRELOAD="$TORN_SO" UNLOCKED_WRITER_FILE="$T/t.certs" \
			UNLOCKED_WRITER_A="$T/a.certs" UNLOCKED_WRITER_B="$T/b.certs" \
			UNLOCKED_WRITER_EVERY=1 UNLOCKED_WRITER_COUNT="$T/preads" \
			"$READER" -m "$mode" -j 1 -n 50 "${TABLES[@]}" "$T/t.certs" -- true
		report "$mode, a rewrite inside every read"
		assert_success
		[ "$(figure neither)" = 0 ]
		[ "$(figure ebadmsg)" = 50 ]
		# Three preads of the table per request, each one cut.
		[ "$(cat "$T/preads")" = 150 ]
	done
}

@test "compat: the stock QEMU v2 reader and libsnpcert readers never read a mixed table while snp-certctl update alternates the table" {
	local vcek2="$BATS_TEST_TMPDIR/vcek2.der" flip
	bash "$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan \
		"$(printf '%0128x' 7)" bl=3,tee=0,snp=8,ucode=115 "$vcek2"
	trust=(--trust-root "$SNPCERT_FIXTURES/milan/ark.pem")
	rm -f "$T/a.certs" "$T/b.certs"
	test_table milan "$T/a.certs"
	cp "$T/a.certs" "$T/b.certs"
	certctl update "$T/b.certs" --vcek "$vcek2" --crl "$SNPCERT_FIXTURES/milan/crl.der" \
		"${trust[@]}"
	[ "$(stat -c %s "$T/a.certs")" != "$(stat -c %s "$T/b.certs")" ]
	cp "$T/a.certs" "$T/t.certs"
	flip="for i in \$(seq 25); do
		\"\$0\" update -q \"\$1\" --vcek \"\$2\" --crl \"\$3\" --trust-root \"\$5\" >/dev/null &&
		\"\$0\" update -q \"\$1\" --vcek \"\$4\" --remove crl --trust-root \"\$5\" >/dev/null || exit
	done"
	for mode in qemu lib req; do
		run --separate-stderr "$READER" -m "$mode" -j 2 -t 2000 "${TABLES[@]}" \
			"$T/t.certs" -- bash -c "$flip" "$SNP_CERTCTL" "$T/t.certs" "$vcek2" \
			"$SNPCERT_FIXTURES/milan/crl.der" "$SNPCERT_FIXTURES/milan/vcek.pem" \
			"$SNPCERT_FIXTURES/milan/ark.pem"
		report "$mode, snp-certctl update alternating"
		assert_success
		[ "$(figure neither)" = 0 ]
		[ "$(figure ebadmsg)" = 0 ]
		[ "$(figure other)" = 0 ]
		[[ "$output" == *"command=0" ]]
		cmp "$T/t.certs" "$T/a.certs"
	done
}
