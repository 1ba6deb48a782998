#!/usr/bin/env bats
# make install: every piece lands under DESTDIR and PREFIX, and a VMM can
# build against the installed library with pkg-config alone.  Always the
# plain build, $SNPCERT_O (a sanitizer build is not for installing).

load helpers

setup() {
	common_setup
	make -s -C "$REPO" O="$SNPCERT_O" install DESTDIR="$T/root" PREFIX=/usr \
		SYSTEMDUNITDIR=/lib/systemd/system > "$T/install.log" 2>&1 ||
		{ cat "$T/install.log"; return 1; }
}

@test "install: program, library, header, pkg-config file, man pages, units" {
	for f in usr/bin/snp-certctl usr/lib/libsnpcert.so.1 usr/include/snpcert.h \
		usr/lib/pkgconfig/snpcert.pc usr/share/man/man3/libsnpcert.3 \
		lib/systemd/system/snp-certctl-refresh.service \
		lib/systemd/system/snp-certctl-refresh.timer \
		lib/systemd/system/snp-certctl-recover.service; do
		[ -f "$T/root/$f" ] || { echo "missing $f"; return 1; }
	done
	[ "$(readlink "$T/root/usr/lib/libsnpcert.so")" = libsnpcert.so.1 ]
	[ -d "$T/root/etc/snp-certctl/hooks.d" ]
	grep -q '^ExecStart=/usr/bin/snp-certctl refresh' \
		"$T/root/lib/systemd/system/snp-certctl-refresh.service"
	# The installed program finds the installed library ($ORIGIN/../lib).
	run "$T/root/usr/bin/snp-certctl" --version
	assert_success
}

@test "install: the JSON schemas, with the docs; they hold the installed program's output" {
	local dir="$T/root/usr/share/doc/snp-certctl/schema" f
	for f in "$REPO"/snp-certctl/schema/*.json; do
		cmp "$f" "$dir/${f##*/}" || { echo "not installed: ${f##*/}"; return 1; }
	done
	[ -f "$dir/common.json" ] && [ -f "$dir/refresh.json" ]
	# The installed schemas alone resolve their $ref (common.json beside them).
	run --separate-stderr "$T/root/usr/bin/snp-certctl" --json lock
	assert_failure 2
	"$REPO/tests/tools/validate-json" "$dir" lock <<< "$output"
	sample_table "$T/t.certs"
	run -0 "$T/root/usr/bin/snp-certctl" show --json "$T/t.certs"
	"$REPO/tests/tools/validate-json" "$dir" show <<< "$output"
}

@test "install: the installed library carries no test knob and never exits" {
	local lib="$T/root/usr/lib/libsnpcert.so.1"
	[ -f "$lib" ]
	# Crashes for the tests come from tests/fakes/crash.so, not from a
	# variable the library reads.
	[ "$(strings "$lib" | grep -c -e FAILPOINT -e SNPCERT_CRASH || true)" = 0 ]
	run -0 nm -D --undefined-only "$lib"
	assert_line --regexp ' U (free|malloc)@'
	refute_line --regexp ' U (_exit|_Exit|exit|quick_exit)@'
}

@test "install: a VMM builds against the installed library with pkg-config" {
	export PKG_CONFIG_SYSROOT_DIR="$T/root" PKG_CONFIG_LIBDIR="$T/root/usr/lib/pkgconfig"
	run pkg-config --modversion snpcert
	assert_success
	# The paths are the installed ones, whatever PREFIX the build had.
	grep -qx 'includedir=/usr/include' "$T/root/usr/lib/pkgconfig/snpcert.pc"
	assert_output "$("$T/root/usr/bin/snp-certctl" --version | cut -d' ' -f2)"
	# shellcheck disable=SC2046
	cc -o "$T/vmm" "$REPO/tests/tools/example-vmm.c" $(pkg-config --cflags --libs snpcert)
	sample_table "$T/t.certs"
	LD_LIBRARY_PATH="$T/root/usr/lib" run "$T/vmm" "$T/t.certs" 2
	assert_success
	assert_output --partial "4772 bytes of certificates go to the guest"
	# One page is too few for 4772 bytes: the guest is told to offer 2.
	LD_LIBRARY_PATH="$T/root/usr/lib" run "$T/vmm" "$T/t.certs" 1
	assert_output --partial "buffer of 1 pages too small, 2 needed"
}

@test "uninstall removes what install put there" {
	make -s -C "$REPO" O="$SNPCERT_O" uninstall DESTDIR="$T/root" PREFIX=/usr \
		SYSTEMDUNITDIR=/lib/systemd/system
	run find "$T/root" -type f
	assert_output ""
}
