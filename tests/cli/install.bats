#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# make install: every piece lands under DESTDIR and PREFIX, and a VMM can
# build against the installed library with pkg-config alone.  Always the
# plain build, $SNPCERT_O (a sanitizer build is not for installing).

load helpers

setup() {
	common_setup
	# The multiarch library directory (usr/lib/x86_64-linux-gnu), where the
	# system has one: what LIBDIR defaults to.
	MA=$(cc -print-multiarch)
	[ -n "$MA" ] && [ -d "/usr/lib/$MA" ] || fail "no multiarch triplet on this system"
	LIB=usr/lib/$MA
	make_install install > "$T/install.log" 2>&1 || { cat "$T/install.log"; return 1; }
}

# make_install TARGET [VAR=VALUE...]: make TARGET into $T/root, PREFIX=/usr.
make_install() {
	local target=$1
	shift
	make -s -C "$REPO" O="$SNPCERT_O" "$target" DESTDIR="$T/root" PREFIX=/usr \
		SYSTEMDUNITDIR=/lib/systemd/system "$@"
}

@test "install: program, library, header, pkg-config file, man pages, units" {
	for f in usr/bin/snp-certctl "$LIB/libsnpcert.so.1" usr/include/snpcert.h \
		"$LIB/pkgconfig/snpcert.pc" usr/share/man/man3/libsnpcert.3 \
		lib/systemd/system/snp-certctl-refresh.service \
		lib/systemd/system/snp-certctl-refresh.timer \
		lib/systemd/system/snp-certctl-recover.service; do
		[ -f "$T/root/$f" ] || { echo "missing $f"; return 1; }
	done
	[ "$(readlink "$T/root/$LIB/libsnpcert.so")" = libsnpcert.so.1 ]
	[ -d "$T/root/etc/snp-certctl/hooks.d" ]
	grep -q '^ExecStart=/usr/bin/snp-certctl refresh' \
		"$T/root/lib/systemd/system/snp-certctl-refresh.service"
	# The installed program runs with the installed library.
	LD_LIBRARY_PATH="$T/root/$LIB" run -0 "$T/root/usr/bin/snp-certctl" --version
	# The licences and the example configuration are in the docs.
	local doc="$T/root/usr/share/doc/snp-certctl"
	cmp "$doc/COPYING" "$REPO/COPYING"
	cmp "$doc/LICENSES/GPL-2.0-or-later.txt" "$REPO/LICENSES/GPL-2.0-or-later.txt"
	cmp "$doc/LICENSES/LGPL-2.1-or-later.txt" "$REPO/LICENSES/LGPL-2.1-or-later.txt"
	cmp "$doc/examples/snp-certctl.conf" "$REPO/snp-certctl/snp-certctl.conf.example"
}

@test "install: the installed program has no RUNPATH or RPATH; the build tree's keeps its own" {
	run -0 readelf -d "$T/root/usr/bin/snp-certctl"
	assert_line --partial "Shared library: [libsnpcert.so.1]"
	refute_output --partial RUNPATH
	refute_output --partial RPATH
	# Not found without the loader's path: it depends on LIBDIR, not on $ORIGIN.
	[ -e "/usr/lib/$MA/libsnpcert.so.1" ] ||
		run -127 env -u LD_LIBRARY_PATH "$T/root/usr/bin/snp-certctl" --version
	# The build tree's program finds the build tree's library by its RUNPATH.
	run -0 readelf -d "$SNPCERT_O/snp-certctl/snp-certctl"
	assert_line --regexp 'RUNPATH.*\[\$ORIGIN/\.\./lib\]'
}

@test "install: LIBDIR is the multiarch directory by default, lib without one, or as given" {
	[ -f "$T/root/$LIB/libsnpcert.so.1" ]
	grep -qx "libdir=/$LIB" "$T/root/$LIB/pkgconfig/snpcert.pc"
	rm -rf "$T/root"
	make_install install MULTIARCH= > /dev/null
	[ -f "$T/root/usr/lib/libsnpcert.so.1" ]
	grep -qx "libdir=/usr/lib" "$T/root/usr/lib/pkgconfig/snpcert.pc"
	rm -rf "$T/root"
	make_install install LIBDIR=/usr/lib64 > /dev/null
	[ -f "$T/root/usr/lib64/libsnpcert.so.1" ]
	[ -f "$T/root/usr/lib64/pkgconfig/snpcert.pc" ]
}

@test "install: the units go where pkg-config systemd says, /lib/systemd/system without it" {
	mkdir -p "$T/pc" "$T/nopc"
	printf 'systemdsystemunitdir=/opt/units\nName: systemd\nDescription: x\nVersion: 252\n' \
		> "$T/pc/systemd.pc"
	rm -rf "$T/root"
	PKG_CONFIG_LIBDIR="$T/pc" make -s -C "$REPO" O="$SNPCERT_O" install DESTDIR="$T/root" \
		PREFIX=/usr > /dev/null
	[ -f "$T/root/opt/units/snp-certctl-refresh.timer" ]
	[ ! -e "$T/root/lib/systemd" ]
	PKG_CONFIG_LIBDIR="$T/pc" make -s -C "$REPO" O="$SNPCERT_O" uninstall DESTDIR="$T/root" \
		PREFIX=/usr > /dev/null
	[ ! -e "$T/root/opt" ]
	PKG_CONFIG_LIBDIR="$T/nopc" make -s -C "$REPO" O="$SNPCERT_O" install DESTDIR="$T/root" \
		PREFIX=/usr > /dev/null
	[ -f "$T/root/lib/systemd/system/snp-certctl-refresh.timer" ]
}

@test "snpcert.pc: Libs.private names exactly what libsnpcert links besides libc" {
	local pc="$T/root/$LIB/pkgconfig/snpcert.pc" needed private
	needed=$(readelf -d "$T/root/$LIB/libsnpcert.so.1" |
		sed -n 's/.*(NEEDED).*\[lib\([^.]*\)\.so.*/-l\1/p' | grep -vx -e -lc | sort | xargs)
	[ -n "$needed" ]
	private=$(sed -n 's/^Libs\.private: *//p' "$pc" | tr ' ' '\n' | sort | xargs)
	assert_equal "$private" "$needed"
	# No Requires.private: a VMM's build needs no other .pc file.
	refute grep -q '^Requires' "$pc"
	export PKG_CONFIG_SYSROOT_DIR="$T/root" PKG_CONFIG_LIBDIR="$T/root/$LIB/pkgconfig"
	run -0 pkg-config --static --libs snpcert
	assert_equal "$(xargs <<< "$output")" "-L$T/root/$LIB -lsnpcert $needed"
}

@test "install: the JSON schemas, with the docs; they hold the installed program's output" {
	local dir="$T/root/usr/share/doc/snp-certctl/schema" f
	for f in "$REPO"/snp-certctl/schema/*.json; do
		cmp "$f" "$dir/${f##*/}" || { echo "not installed: ${f##*/}"; return 1; }
	done
	[ -f "$dir/common.json" ]
	[ -f "$dir/refresh.json" ]
	# The installed schemas alone resolve their $ref (common.json beside them).
	export LD_LIBRARY_PATH="$T/root/$LIB" # the installed program has no RUNPATH
	run --separate-stderr "$T/root/usr/bin/snp-certctl" --json lock
	assert_failure 2
	"$REPO/tests/tools/validate-json" "$dir" lock <<< "$output"
	sample_table "$T/t.certs"
	run -0 "$T/root/usr/bin/snp-certctl" show --json "$T/t.certs"
	"$REPO/tests/tools/validate-json" "$dir" show <<< "$output"
}

@test "install: the installed library carries no test knob and never exits" {
	local lib="$T/root/$LIB/libsnpcert.so.1"
	[ -f "$lib" ]
	# Crashes for the tests come from tests/fakes/crash.so, not from a
	# variable the library reads.
	[ "$(strings "$lib" | grep -c -e FAILPOINT -e SNPCERT_CRASH || true)" = 0 ]
	run -0 nm -D --undefined-only "$lib"
	assert_line --regexp ' U (free|malloc)@'
	refute_line --regexp ' U (_exit|_Exit|exit|quick_exit)@'
}

@test "install: a VMM builds against the installed library with pkg-config" {
	export PKG_CONFIG_SYSROOT_DIR="$T/root" PKG_CONFIG_LIBDIR="$T/root/$LIB/pkgconfig"
	run pkg-config --modversion snpcert
	assert_success
	# The paths are the installed ones, whatever PREFIX the build had.
	grep -qx 'includedir=/usr/include' "$T/root/$LIB/pkgconfig/snpcert.pc"
	assert_output "$(LD_LIBRARY_PATH="$T/root/$LIB" "$T/root/usr/bin/snp-certctl" --version |
		cut -d' ' -f2)"
	# shellcheck disable=SC2046
	cc -o "$T/vmm" "$REPO/tests/tools/example-vmm.c" $(pkg-config --cflags --libs snpcert)
	sample_table "$T/t.certs"
	# On the simulated KVM (tests/fakes/kvm.so), a guest offering 1 page, then 2.
	echo "has_attr 1 2" > "$T/kvm.conf"
	LD_LIBRARY_PATH="$T/root/$LIB" LD_PRELOAD="$SNPCERT_BUILD/tests/fakes/kvm.so" \
		FAKE_KVM="$T/kvm.conf" FAKE_KVM_LOG="$T/kvm.log" FAKE_KVM_GUEST="1 2" \
		run "$T/vmm" "$T/t.certs"
	assert_success
	assert_output "example-vmm: the guest shut down after 3 certificate requests"
	# One page is too few for 4772 bytes: the guest is told to offer 2.
	grep -q ' GUEST req=0 ret=28 exitinfo2=0x0000000100000000 rax=0x10000 rbx=2$' "$T/kvm.log"
	[ "$(grep -c ' FIRMWARE .* len=4772 ' "$T/kvm.log")" = 2 ]
}

@test "uninstall removes what install put there, and the directories it made, no other" {
	make_install uninstall > /dev/null
	run find "$T/root"
	assert_output "$T/root"
}

@test "uninstall keeps the directories that were there and those holding other files" {
	rm -rf "$T/root"
	# Before: an empty directory install uses, one with a file of its own.
	mkdir -p "$T/root/usr/share/man/man3" "$T/root/usr/bin"
	echo other > "$T/root/usr/bin/other"
	(cd "$T/root" && find . | sort) > "$T/before"
	make_install install > /dev/null
	# A hook the administrator added since.
	echo '#!/bin/sh' > "$T/root/etc/snp-certctl/hooks.d/10-mine"
	make_install uninstall > /dev/null
	(cd "$T/root" && find . | sort) > "$T/after"
	run bash -c "diff '$T/before' '$T/after' | grep '^[<>]'"
	assert_output "> ./etc
> ./etc/snp-certctl
> ./etc/snp-certctl/hooks.d
> ./etc/snp-certctl/hooks.d/10-mine"
	# Again, from there (the hook gone, its directory now one that was there).
	rm "$T/root/etc/snp-certctl/hooks.d/10-mine"
	(cd "$T/root" && find . | sort) > "$T/before"
	make_install install > /dev/null
	make_install uninstall > /dev/null
	(cd "$T/root" && find . | sort) > "$T/after"
	run -0 diff "$T/before" "$T/after"
}

@test "uninstall removes only the files install installed: the user's own in DOCDIR stay" {
	rm -rf "$T/root"
	local doc="$T/root/usr/share/doc/snp-certctl"
	mkdir -p "$doc"
	echo mine > "$doc/my-notes.txt"
	make_install install > /dev/null
	# One added since, in a directory install made.
	echo also-mine > "$doc/examples/my-example.conf"
	make_install uninstall > /dev/null
	[ "$(cat "$doc/my-notes.txt")" = mine ]
	[ "$(cat "$doc/examples/my-example.conf")" = also-mine ]
	run bash -c "find '$doc' | sort"
	assert_output "$doc
$doc/examples
$doc/examples/my-example.conf
$doc/my-notes.txt"
}

@test "install refuses a symbolic link among its own directories, writing nothing" {
	local dir
	for dir in usr/share/doc/snp-certctl usr/share/doc/snp-certctl/schema \
		usr/share/doc/snp-certctl/examples/hooks etc/snp-certctl/hooks.d; do
		rm -rf "$T/root" "$T/victim"
		mkdir -p "$T/victim" "$T/root/${dir%/*}"
		ln -s "$T/victim" "$T/root/$dir"
		(cd "$T/root" && find . | sort) > "$T/before"
		run make_install install
		assert_failure
		# Its one line, then make's own.
		assert_line --index 0 "make install: $T/root/$dir is a symbolic link: not installing through it"
		[ "${#lines[@]}" = 2 ]
		assert_line --index 1 --regexp '^make(\[[0-9]+\])?: \*\*\* \[Makefile'  # make[N] under make
		run find "$T/victim" -mindepth 1
		assert_output ""
		(cd "$T/root" && find . | sort) > "$T/after"
		run -0 diff "$T/before" "$T/after"
	done
}

@test "install replaces a symbolic link planted where a file goes, never writes through it" {
	rm -rf "$T/root" "$T/victim"
	mkdir -p "$T/victim" "$T/root/usr/share/doc/snp-certctl/examples/cron.d" \
		"$T/root/lib/systemd/system" "$T/root/usr/lib/$MA/pkgconfig"
	echo victim > "$T/victim/file"
	ln -s "$T/victim/file" "$T/root/usr/share/doc/snp-certctl/examples/cron.d/snp-certctl"
	ln -s "$T/victim/file" "$T/root/lib/systemd/system/snp-certctl-refresh.timer"
	ln -s "$T/victim/file" "$T/root/usr/lib/$MA/pkgconfig/snpcert.pc"
	make_install install > /dev/null
	[ "$(cat "$T/victim/file")" = victim ]
	[ ! -L "$T/root/usr/share/doc/snp-certctl/examples/cron.d/snp-certctl" ]
	[ ! -L "$T/root/lib/systemd/system/snp-certctl-refresh.timer" ]
	[ ! -L "$T/root/usr/lib/$MA/pkgconfig/snpcert.pc" ]
	grep -q '/usr/bin/snp-certctl' "$T/root/usr/share/doc/snp-certctl/examples/cron.d/snp-certctl"
}

@test "uninstall removes nothing through a symbolic link where DOCDIR is, nor without its record" {
	local doc="$T/root/usr/share/doc/snp-certctl"
	rm -rf "$T/root" "$T/victim"
	mkdir -p "$T/victim" "${doc%/*}"
	echo precious > "$T/victim/precious"
	printf '%s\n' /usr/share/doc/snp-certctl/precious > "$T/victim/installed-files"
	ln -s "$T/victim" "$doc"
	run make_install uninstall
	assert_failure
	assert_line --index 0 "make uninstall: $doc is a symbolic link: not removing through it"
	[ -L "$doc" ]
	[ "$(cat "$T/victim/precious")" = precious ]
	[ -f "$T/victim/installed-files" ]
	# Without installed-files (nothing installed there), nothing at all.
	rm -rf "$T/root"
	mkdir -p "$doc"
	printf '%s\n' /usr/share/doc/snp-certctl > "$doc/installed-directories"
	run make_install uninstall
	assert_success
	assert_output "make uninstall: no $doc/installed-files: nothing recorded, nothing removed"
	[ -f "$doc/installed-directories" ]
}
