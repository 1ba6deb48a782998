#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The program as a whole: help, version, global options, configuration.

load helpers

setup() {
	common_setup
}

@test "help lists every command; help COMMAND and COMMAND --help agree" {
	run certctl help
	assert_success
	for c in build show verify extract help; do
		assert_line --regexp "^  $c +"
	done
	for c in build show verify extract; do
		a=$(certctl help "$c")
		b=$(certctl "$c" --help)
		[ "$a" = "$b" ]
		[[ "$a" == "Usage: snp-certctl $c"* ]]
	done
}

@test "--version and -h" {
	run certctl --version
	assert_success
	assert_output --regexp '^snp-certctl [0-9]+\.[0-9]+\.[0-9]+$'
	run certctl -h
	assert_success
	assert_line --partial "Usage: snp-certctl [GLOBAL OPTIONS] COMMAND"
}

@test "unknown commands and options are usage errors" {
	run certctl frobnicate
	assert_failure 2
	assert_output "snp-certctl: unknown command 'frobnicate'; 'snp-certctl help' lists them"
	run certctl --frob show
	assert_failure 2
	run certctl
	assert_failure 2
	run certctl help nope
	assert_failure 2
}

@test "a missing named configuration file is an error; the default may be missing" {
	run certctl -C "$T/none.conf" show /dev/null
	assert_failure 2
	assert_output "snp-certctl: cannot open configuration '$T/none.conf': No such file or directory"
	unset SNP_CERTCTL_CONFIG
	sample_table "$T/t.certs"
	run certctl show "$T/t.certs"
	[ "$status" -eq 0 ] || [ -e /etc/snp-certctl/snp-certctl.conf ]
}

@test "configuration: a file others can write, or not owned by root, is refused (exit 2)" {
	sample_table "$T/t.certs"
	printf 'lock_timeout = 2\n' > "$T/c.conf"
	chmod 0644 "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_success
	chmod 0646 "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: refusing configuration '$T/c.conf': writable by group or others"
	chmod 0664 "$T/c.conf"
	SNP_CERTCTL_CONFIG="$T/c.conf" run certctl show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: refusing configuration '$T/c.conf': writable by group or others"
	chmod 0644 "$T/c.conf"
	if [ "$(id -u)" -eq 0 ]; then
		chown 65534 "$T/c.conf"
		run certctl -C "$T/c.conf" show "$T/t.certs"
		assert_failure 2
		assert_output "snp-certctl: refusing configuration '$T/c.conf': not owned by root"
	fi
}

@test "configuration, trust root: a directory above that others can write is refused; sticky ones are not" {
	sample_table "$T/t.certs"
	mkdir -p "$T/open/etc"
	chmod 0777 "$T/open"
	printf 'lock_timeout = 2\n' > "$T/open/etc/c.conf"
	cp "$SNPCERT_FIXTURES/milan/ark.pem" "$T/open/etc/ark.pem"
	ln -s "$T/open/etc/c.conf" "$T/link.conf"
	run certctl -C "$T/open/etc/c.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: refusing configuration '$T/open/etc/c.conf': '$T/open' above it is writable by group or others"
	# through a symbolic link: the directories of its target are checked
	run certctl -C "$T/link.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: refusing configuration '$T/link.conf': '$T/open' above it is writable by group or others"
	run certctl verify "$T/t.certs" --trust-root "$T/open/etc/ark.pem"
	assert_failure 1
	assert_output "snp-certctl: refusing trust root '$T/open/etc/ark.pem': '$T/open' above it is writable by group or others"
	# others cannot move root's entries out of a sticky directory (/tmp)
	chmod 1777 "$T/open"
	run certctl -C "$T/link.conf" show "$T/t.certs"
	assert_success
	run certctl verify "$T/t.certs" --trust-root "$T/open/etc/ark.pem"
	assert_success
}

@test "a FIFO or a device as the configuration file is refused, never waited on" {
	mkfifo "$T/fifo.conf"
	sample_table "$T/t.certs"
	run timeout 10 "$SNP_CERTCTL" -C "$T/fifo.conf" show "$T/t.certs"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo.conf': not a regular file"
	SNP_CERTCTL_CONFIG="$T/fifo.conf" run timeout 10 "$SNP_CERTCTL" show "$T/t.certs"
	assert_failure 1
	assert_output "snp-certctl: refusing '$T/fifo.conf': not a regular file"
	run timeout 10 "$SNP_CERTCTL" -C /dev/zero show "$T/t.certs"
	assert_failure 1
	assert_output "snp-certctl: refusing '/dev/zero': not a regular file"
}

@test "configuration: comments, blank lines, unknown keys name file and line" {
	printf '# comment\n\nstore = %s\nlock_timeout = 2.5\nbogus = 1\n' "$T/s" > "$T/c.conf"
	sample_table "$T/t.certs"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: $T/c.conf:5: unknown key 'bogus'"
	printf 'lock_timeout = soon\n' > "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: $T/c.conf:1: invalid lock_timeout 'soon': want seconds, e.g. 10 or 0.5"
	printf 'product = Rome\n' > "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_failure 2
	printf 'no equals sign\n' > "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_failure 2
	assert_output "snp-certctl: $T/c.conf:1: expected 'key = value'"
	printf '  # indented comment\nstore = "%s"\n' "$T/s" > "$T/c.conf"
	run certctl -C "$T/c.conf" show "$T/t.certs"
	assert_success
}

@test "environment overrides the file, the command line overrides both" {
	printf 'lock_timeout = 1\n' > "$T/c.conf"
	SNP_CERTCTL_LOCK_TIMEOUT=never run certctl -C "$T/c.conf" show /dev/null
	assert_failure 2
	assert_output "snp-certctl: SNP_CERTCTL_LOCK_TIMEOUT: invalid lock_timeout 'never': want seconds, e.g. 10 or 0.5"
}

@test "a full standard output is a failing exit" {
	[ -w /dev/full ] || skip "no /dev/full"
	sample_table "$T/t.certs"
	run bash -c "'$SNP_CERTCTL' show '$T/t.certs' > /dev/full"
	assert_failure 1
	assert_output --partial "cannot write to standard output"
}

@test "help --help is help's own usage" {
	run certctl help --help
	assert_success
	assert_line "Usage: snp-certctl help [COMMAND]"
}

@test "-q and -v together are a usage error, before anything is done" {
	run --separate-stderr certctl -q -v show "$T/none.certs"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" \
		"snp-certctl: show: -q (--quiet) and -v (--verbose) cannot be given together"
	run --separate-stderr certctl recover --verbose --quiet "$T/none.certs"
	assert_failure 2
}
