#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages and the shell completions, checked against the program:
# every command of its command table (the hidden `snp-certctl help
# --commands`) is documented in snp-certctl(1) with the synopsis and the
# options its --help prints, and is completed by the bash, zsh and fish
# completions with exactly those options.  The completions take the
# commands from the program they complete (here the build under test,
# first in PATH).  The checks
# run on the man page as groff renders it (escapes and fonts gone, white
# space collapsed), and are shown to fail on a deliberately broken copy.
#
# Needs groff (Debian: groff-base) and bash-completion; zsh and fish are
# used when installed (their tests are skipped otherwise).

load helpers

MAN1="$REPO/snp-certctl/snp-certctl.1"
MAN5="$REPO/snp-certctl/snp-certctl.conf.5"
MAN3="$REPO/lib/libsnpcert.3"
BASH_COMP="$REPO/completions/snp-certctl.bash"
ZSH_COMP="$REPO/completions/_snp-certctl"
FISH_COMP="$REPO/completions/snp-certctl.fish"
: "${BASH_COMPLETION:=/usr/share/bash-completion/bash_completion}"

setup() {
	common_setup
	command -v groff > /dev/null || fail "groff is not installed (Debian: groff-base)"
	export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_DATA_HOME="$T/home/.local/share"
	mkdir -p "$HOME"
	# The completions run the snp-certctl they complete: this build's.
	PATH="$(dirname "$SNP_CERTCTL"):$PATH"
}

# ---- the program's side ----------------------------------------------------

# The commands of the program's command table, one per line.
commands() {
	"$SNP_CERTCTL" help --commands | cut -f1
}

# A command's usage text, as its --help prints it (`help` has none of its own).
usage_of() {
	if [ "$1" = help ]; then
		"$SNP_CERTCTL" help help
	else
		"$SNP_CERTCTL" "$1" --help
	fi
}

# The synopsis forms of a usage text (stdin), one per line with white space
# collapsed: the lines before the first blank one, a new form wherever a
# line starts with "snp-certctl ".
usage_synopsis() {
	awk '
		/^[[:space:]]*$/ { exit }
		{ sub(/^Usage:/, ""); sub(/^[[:space:]]+/, "") }
		/^snp-certctl / { if (f != "") print f; f = $0; next }
		{ f = f " " $0 }
		END { if (f != "") print f }' | normalize
}

# The options of a usage text (stdin): "SHORT LONG" per option line
# ("  -o, --output OUT" or "      --json"), SHORT "-" when there is none.
usage_options() {
	sed -nE -e 's/^  (-[A-Za-z]), (--[a-z0-9][a-z0-9-]*).*/\1 \2/p' \
		-e 's/^      (--[a-z0-9][a-z0-9-]*).*/- \1/p'
}

normalize() {
	sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//'
}

# ---- the man page's side ---------------------------------------------------

# A man page as a reader sees it: plain ASCII, lines wide enough that
# nothing is wrapped or hyphenated.
render_man() {
	groff -man -Tascii -P-cbou -rLL=250n -rHY=0 "$1"
}

# The subsection of COMMANDS about command $2 in a rendered snp-certctl(1) $1.
man_command_section() {
	awk -v cmd="$2" '
		/^[^ ]/ { in_cmds = ($0 == "COMMANDS"); on = 0; next }
		in_cmds && /^   [^ ]/ { on = ($0 == "   " cmd); next }
		on' "$1"
}

# The synopsis forms at the top of a command's section (stdin), one per
# line: lines at the body indent that start with "snp-certctl ", with any
# deeper-indented continuation lines; blank lines between forms.
man_synopsis() {
	awk '
		/^[[:space:]]*$/ { next }
		/^       snp-certctl / { if (f != "") print f; f = $0; next }
		/^        / && f != "" { f = f " " $0; next }
		{ exit }
		END { if (f != "") print f }' | normalize
}

# The long options named in the .TP tags of command $2's subsection of the
# roff source $1 (what the page documents as that command's options).
man_source_tags() {
	awk -v cmd="$2" '
		/^\.SH/ { in_cmds = ($0 ~ /^\.SH COMMANDS/); on = 0; tp = 0; next }
		/^\.SS/ { n = $2; gsub(/\\-/, "-", n); on = in_cmds && n == cmd; tp = 0; next }
		on && tp {
			t = $0; gsub(/\\-/, "-", t)
			while (match(t, /--[a-z0-9][a-z0-9-]*/)) {
				print substr(t, RSTART, RLENGTH); t = substr(t, RSTART + RLENGTH)
			}
			tp = 0; next
		}
		on && /^\.TP/ { tp = 1 }' "$1" | sort -u
}

# check_synopsis ROFF RENDERED COMMAND: the man page's synopsis of COMMAND is
# its --help synopsis; prints a diff and fails if not.
check_synopsis() {
	local cmd=$3 want got
	want=$(usage_of "$cmd" | usage_synopsis)
	got=$(man_command_section "$2" "$cmd" | man_synopsis)
	if [ -z "$got" ]; then
		echo "$cmd: no synopsis in $1 (no subsection '$cmd' under COMMANDS?)"
		return 1
	fi
	if [ "$want" != "$got" ]; then
		echo "$cmd: the synopsis in $1 differs from --help:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
		return 1
	fi
}

# check_options ROFF RENDERED COMMAND: every option of COMMAND's --help is
# documented (a tag "-x, --long" or "--long") in its subsection, and the
# subsection documents no option --help does not know.
check_options() {
	local roff=$1 txt=$2 cmd=$3 short long ok=0 known
	man_command_section "$txt" "$cmd" > "$T/section.txt"
	known=$(usage_of "$cmd" | usage_options)
	while read -r short long; do
		[ -n "$long" ] || continue
		if [ "$short" != - ]; then
			grep -Eq -- "^ {7}$short, $long( |\$)" "$T/section.txt" && continue
			echo "$cmd: '$short, $long' is not documented in $roff"
		else
			grep -Eq -- "^ {7}(-[A-Za-z], )?$long( |\$)" "$T/section.txt" && continue
			echo "$cmd: '$long' is not documented in $roff"
		fi
		ok=1
	done <<< "$known"
	for long in $(man_source_tags "$roff" "$cmd"); do
		grep -Eq -- " $long\$" <<< "$known" && continue
		echo "$cmd: $roff documents '$long', which --help does not show"
		ok=1
	done
	return $ok
}

# ---- the completions' side -------------------------------------------------

# bash_complete WORD...: what the bash completion offers for the command
# line WORD... (the last word is the one being completed), one per line.
bash_complete() {
	[ -r "$BASH_COMPLETION" ] ||
		fail "bash-completion is not installed (no $BASH_COMPLETION)"
	bash --norc --noprofile -c '
		source "$1" || exit 1
		source "$2" || exit 1
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_snp_certctl snp-certctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
		(( ${#COMPREPLY[@]} )) && printf "%s\n" "${COMPREPLY[@]}"
		exit 0' bash "$BASH_COMPLETION" "$BASH_COMP" "$@"
}

# zsh_complete LINE: the matches zsh offers at the end of LINE, one per line
# (zsh runs in a pseudo-terminal with the completion in fpath; compadd is
# wrapped to print what it adds).
zsh_complete() {
	cat > "$T/capture.zsh" <<-'EOF'
		zmodload zsh/zpty || exit 1
		zpty z zsh -f -i
		zpty -w z "PROMPT= ; fpath=($2 \$fpath); autoload -Uz compinit; compinit -u -D"
		zpty -w z 'unsetopt autolist listambiguous; setopt nobeep; compprefuncs=( capture )'
		zpty -w z 'capture() { compadd() { local -A o; zparseopts -E -A o O: A: D:; if (( $#o )); then builtin compadd "$@"; return; fi; local -a h; builtin compadd -A h "$@"; local r=$?; (( $#h )) && print -r -l -- $'"'"'\x3cm\x3e'"'"'${^h}; builtin compadd "$@"; return r; } }'
		zpty -w z 'finish() { print -r -- $'"'"'\x3cdone\x3e'"'"'; exit }; zle -N finish; bindkey "^X" finish'
		zpty -w z "$1"$'\t\x18'
		while zpty -r z line; do
			[[ $line == *'<done>'* ]] && break
			[[ $line == *'<m>'* ]] && print -r -- ${${line##*<m>}%%$'\r'}
		done
		zpty -d z
	EOF
	timeout 30 zsh -f "$T/capture.zsh" "$1" "$(dirname "$ZSH_COMP")" |
		sed -e 's/[[:space:]]*$//' -e '/^$/d'
}

# fish_complete LINE: the completions fish offers for LINE, one per line.
fish_complete() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$FISH_COMP" "$1" | cut -f1
}

# check_offered COMMAND: stdin, what a completion offers after "COMMAND -",
# is exactly COMMAND's --help options (short and long) plus -h and --help.
check_offered() {
	local cmd=$1 shell=$2 want got
	want=$( (usage_of "$cmd" | usage_options | tr ' ' '\n' | grep -vx -- -; printf '%s\n' -h --help) |
		sort -u)
	got=$(sort -u)
	if [ "$want" != "$got" ]; then
		echo "$shell completion of '$cmd -' differs from --help (< --help, > completion):"
		diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^/  /'
		return 1
	fi
}

# ---- (a) synopses and options ---------------------------------------------

@test "docs: every command's synopsis in snp-certctl(1) is the one --help prints" {
	render_man "$MAN1" > "$T/man.txt"
	local cmd bad=0 n=0
	for cmd in $(commands); do
		check_synopsis "$MAN1" "$T/man.txt" "$cmd" || bad=1
		n=$((n + 1))
	done
	[ "$n" -ge 10 ] || fail "only $n commands from 'snp-certctl help'"
	return $bad
}

@test "docs: every option of every command's --help is in snp-certctl(1) under it, and no other" {
	render_man "$MAN1" > "$T/man.txt"
	local cmd bad=0
	for cmd in $(commands); do
		check_options "$MAN1" "$T/man.txt" "$cmd" || bad=1
	done
	return $bad
}

@test "docs: every --help exits 0 and prints what 'help COMMAND' prints" {
	local cmd bad=0
	for cmd in $(commands); do
		[ "$cmd" = help ] && continue
		run -0 "$SNP_CERTCTL" "$cmd" --help
		[ "$output" = "$("$SNP_CERTCTL" help "$cmd")" ] ||
			{ echo "$cmd: --help and 'help $cmd' differ"; bad=1; }
	done
	return $bad
}

@test "docs: every --help, and help itself, fits in 80 columns" {
	local cmd long
	long=$({ "$SNP_CERTCTL" --help
		for cmd in $(commands); do "$SNP_CERTCTL" help "$cmd" | sed "s/^/$cmd: /"; done
	} | awk '{ line = $0; sub(/^[a-z-]+: /, "", line) } length(line) > 79')
	[ -z "$long" ] || { echo "lines over 79 columns:"; echo "$long"; false; }
}

@test "docs: the global options of --help are in snp-certctl(1) under GLOBAL OPTIONS" {
	render_man "$MAN1" |
		awk '/^[^ ]/ { on = ($0 == "GLOBAL OPTIONS"); next } on' > "$T/global.txt"
	[ -s "$T/global.txt" ]
	local short long bad=0
	while read -r short long; do
		if [ "$short" != - ]; then
			grep -Eq -- "^ {7}$short, $long( |\$)" "$T/global.txt" && continue
		else
			grep -Eq -- "^ {7}$long( |\$)" "$T/global.txt" && continue
		fi
		echo "global option '$long' is not documented"
		bad=1
	done < <("$SNP_CERTCTL" --help | usage_options)
	return $bad
}

@test "docs: the checks fail on a broken copy of snp-certctl(1)" {
	render_man "$MAN1" > "$T/man.txt"
	run check_synopsis "$MAN1" "$T/man.txt" build
	assert_success
	run check_options "$MAN1" "$T/man.txt" extract
	assert_success

	# build's second form loses [--force].
	sed '/^\.SY "snp\\-certctl build"/,/^\.YS/{/^\.RB \[ \\-\\-force \]$/d}' "$MAN1" \
		> "$T/broken.1"
	[ "$(diff "$MAN1" "$T/broken.1" | grep -c '^<')" = 2 ]
	render_man "$T/broken.1" > "$T/broken.txt"
	run check_synopsis "$T/broken.1" "$T/broken.txt" build
	assert_failure
	assert_output --partial "build: the synopsis in $T/broken.1 differs from --help"
	assert_output --partial "< snp-certctl build -o OUT --from-dir DIR [--no-verify] [--force]"
	assert_output --partial "> snp-certctl build -o OUT --from-dir DIR [--no-verify]"

	# An argument renamed: show FILE -> show TABLE.
	sed '/^\.SY "snp\\-certctl show"/,/^\.YS/s/^\.I FILE$/.I TABLE/' "$MAN1" > "$T/broken.1"
	render_man "$T/broken.1" > "$T/broken.txt"
	run check_synopsis "$T/broken.1" "$T/broken.txt" show
	assert_failure
	assert_output --partial "> snp-certctl show TABLE [--json]"

	# A command's subsection gone.
	sed 's/^\.SS locks$/.SS lockz/' "$MAN1" > "$T/broken.1"
	render_man "$T/broken.1" > "$T/broken.txt"
	run check_synopsis "$T/broken.1" "$T/broken.txt" locks
	assert_failure
	assert_output --partial "locks: no synopsis"

	# extract's --der undocumented, and an option --help does not know.
	sed -e 's/^\\fB\\-\\-der\\fR$/\\fB\\-\\-bogus\\fR/' "$MAN1" > "$T/broken.1"
	render_man "$T/broken.1" > "$T/broken.txt"
	run check_options "$T/broken.1" "$T/broken.txt" extract
	assert_failure
	assert_output --partial "extract: '--der' is not documented"
	assert_output --partial "documents '--bogus', which --help does not show"

	# lock's -x, --exclusive documented as --exclusive alone.
	sed 's/^\\fB\\-x\\fR, \\fB\\-\\-exclusive\\fR$/\\fB\\-\\-exclusive\\fR/' "$MAN1" \
		> "$T/broken.1"
	render_man "$T/broken.1" > "$T/broken.txt"
	run check_options "$T/broken.1" "$T/broken.txt" lock
	assert_failure
	assert_output "lock: '-x, --exclusive' is not documented in $T/broken.1"
}

# ---- (b) every command everywhere ------------------------------------------

@test "docs: every command is in snp-certctl(1) and in the three completions" {
	render_man "$MAN1" > "$T/man.txt"
	local cmd bad=0
	for cmd in $(commands); do
		[ -n "$(man_command_section "$T/man.txt" "$cmd")" ] ||
			{ echo "$cmd: no subsection in snp-certctl(1)"; bad=1; }
		grep -Eq "^[[:space:]]*(${cmd}[[:space:]]*\)|${cmd} \|)" "$BASH_COMP" ||
			{ echo "$cmd: no case in $BASH_COMP"; bad=1; }
		grep -Fq "  ($cmd)" "$ZSH_COMP" ||
			{ echo "$cmd: not in $ZSH_COMP"; bad=1; }
		grep -Fq "__snp_certctl_using $cmd'" "$FISH_COMP" ||
			{ [ "$cmd" = help ] && grep -Fq "__snp_certctl_using help' -a" "$FISH_COMP"; } ||
			{ echo "$cmd: not in $FISH_COMP"; bad=1; }
	done
	# And the man page documents no command the program lacks.
	for cmd in $(sed -n '/^\.SH COMMANDS/,/^\.SH/s/^\.SS //p' "$MAN1" | sed 's/\\-/-/g'); do
		commands | grep -qx -- "$cmd" ||
			{ echo "snp-certctl(1) documents '$cmd', which the program does not have"; bad=1; }
	done
	return $bad
}

@test "completion (bash): the commands offered are exactly those of the program's table" {
	run -0 bash_complete snp-certctl ''
	[ "$(wc -l <<< "$output")" -ge 10 ] || fail "only '$output' offered"
	[ "$(sort <<< "$output")" = "$(commands | sort)" ] ||
		fail "$(diff <(commands | sort) <(sort <<< "$output"))"
	# After global options, too.
	run -0 bash_complete snp-certctl -C "$T/empty.conf" --store "$T/store" -q ''
	[ "$(sort <<< "$output")" = "$(commands | sort)" ]
}

@test "docs: help --commands is the command table 'snp-certctl help' shows, in order" {
	local listed table
	listed=$("$SNP_CERTCTL" help |
		awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
		     on && /^  [a-z]/ { n = $1; sub(/^  [^ ]+ +/, ""); print n "\t" $0 }')
	table=$("$SNP_CERTCTL" help --commands)
	[ -n "$table" ]
	[ "$listed" = "$table" ] || fail "$(diff <(echo "$listed") <(echo "$table"))"
	# Hidden: not in help's usage, and no COMMAND with it.
	run -0 "$SNP_CERTCTL" help help
	refute_output --partial --commands
	run "$SNP_CERTCTL" help --commands show
	assert_failure 2
	assert_line "snp-certctl: help: --commands takes no COMMAND"
}

# A stand-in snp-certctl in $T/fake whose command table has a command the
# real one lacks: the completions must offer what the program says.
fake_program() {
	mkdir -p "$T/fake"
	cat > "$T/fake/snp-certctl" <<-'EOF'
		#!/bin/sh
		[ "$1 $2" = "help --commands" ] || exit 2
		printf 'show\tprint every entry of a table\nfrobnicate\tonly this program has it\n'
	EOF
	chmod 755 "$T/fake/snp-certctl"
}

@test "completion: the commands come from the program completed; none when it cannot run" {
	fake_program
	# bash: the program on PATH, or as typed.
	PATH="$T/fake:$PATH" run -0 bash_complete snp-certctl ''
	assert_equal "$(xargs <<< "$output")" "show frobnicate"
	run -0 bash_complete "$T/fake/snp-certctl" fr
	assert_output frobnicate
	run -0 bash_complete "$T/fake/snp-certctl" help fr
	assert_output frobnicate
	run -0 --separate-stderr bash_complete "$T/none/snp-certctl" ''
	assert_output ""
	[ -z "$stderr" ]
	run -0 --separate-stderr bash_complete snp-certctl-not-installed ''
	assert_output ""
	[ -z "$stderr" ]
	if command -v zsh > /dev/null; then
		PATH="$T/fake:$PATH" run -0 zsh_complete "snp-certctl fr"
		assert_output frobnicate
		run -0 zsh_complete "$T/fake/snp-certctl help fr"
		assert_output frobnicate
		run -0 zsh_complete "$T/none/snp-certctl "
		assert_output ""
	fi
	if command -v fish > /dev/null; then
		PATH="$T/fake:$PATH" run -0 fish_complete "snp-certctl fr"
		assert_output frobnicate
		run -0 fish_complete "$T/fake/snp-certctl help fr"
		assert_output frobnicate
		PATH="$T/fake:$PATH" run -0 fish_complete "snp-certctl frobnicate --h"
		assert_output --help
		run -0 --separate-stderr fish_complete "$T/none/snp-certctl "
		assert_output ""
		[ -z "$stderr" ]
	fi
}

# ---- (c) every option in the completions ----------------------------------

@test "completion (bash): every command's options are exactly those of its --help" {
	local cmd bad=0
	for cmd in $(commands); do
		bash_complete snp-certctl "$cmd" - | check_offered "$cmd" bash || bad=1
	done
	return $bad
}

@test "completion (bash): the global options are those of --help" {
	run -0 bash_complete snp-certctl -
	local want
	want=$("$SNP_CERTCTL" --help | usage_options | tr ' ' '\n' | grep -vx -- - | sort)
	[ "$(sort <<< "$output")" = "$want" ] || fail "$(diff <(echo "$want") <(sort <<< "$output"))"
}

@test "completion (zsh): every command's options are exactly those of its --help" {
	command -v zsh > /dev/null || fail "zsh is missing: make test-deps"
	local cmd bad=0
	for cmd in $(commands); do
		# Also in the file, in the command's "(cmd)" branch.
		local long
		for long in $(usage_of "$cmd" | usage_options | cut -d' ' -f2); do
			sed -n "/^  ($cmd)\$/,/^    ;;\$/p" "$ZSH_COMP" | grep -Fq -- "$long" ||
				{ echo "zsh: $cmd $long not in the ($cmd) branch"; bad=1; }
		done
		[ "$cmd" = help ] && continue # help has no options but -h
		zsh_complete "snp-certctl $cmd -" | check_offered "$cmd" zsh || bad=1
	done
	return $bad
}

@test "completion (fish): every command's options are exactly those of its --help" {
	command -v fish > /dev/null || fail "fish is missing: make test-deps"
	local cmd bad=0
	for cmd in $(commands); do
		fish_complete "snp-certctl $cmd -" | check_offered "$cmd" fish || bad=1
	done
	return $bad
}

# ---- (d) bash completion at work -------------------------------------------

@test "completion (bash): a command, an option, fetch's kinds" {
	run -0 bash_complete snp-certctl sh
	assert_output show
	run -0 bash_complete snp-certctl update --ti
	assert_output --timeout
	run -0 bash_complete snp-certctl fetch ''
	assert_equal "$(sort <<< "$output" | xargs)" "ca cek crl hashsticks vcek vlek"
	# Once the kind is given, not again.
	run -0 bash_complete snp-certctl fetch --product Milan vcek ''
	assert_output ""
	run -0 bash_complete snp-certctl help fe
	assert_output fetch
}

@test "completion (bash): option arguments" {
	mkdir -p "$T/dir/sub" && touch "$T/dir/a.pem"
	run -0 bash_complete snp-certctl verify --product ''
	assert_equal "$(xargs <<< "$output")" "Milan Genoa Turin"
	run -0 bash_complete snp-certctl fetch --product=G
	assert_output Genoa
	run -0 bash_complete snp-certctl fw-update --reported-tcb ''
	assert_output current
	run -0 bash_complete snp-certctl update t.certs --remove a
	assert_equal "$(sort <<< "$output" | xargs)" "ark ask asvk"
	# Files for FILE options, directories for directory options.
	run -0 bash_complete snp-certctl build --vcek "$T/dir/"
	assert_line "$T/dir/a.pem"
	run -0 bash_complete snp-certctl build --from-dir "$T/dir/"
	assert_output "$T/dir/sub"
	run -0 bash_complete snp-certctl --store "$T/dir/"
	assert_output "$T/dir/sub"
	run -0 bash_complete snp-certctl extract t.certs -d "$T/dir/"
	assert_output "$T/dir/sub"
	run -0 bash_complete snp-certctl fetch --cache "$T/dir/"
	assert_output "$T/dir/sub"
	# --entry GUID=FILE: the file after the '='.
	run -0 bash_complete snp-certctl build --entry "11111111-2222-3333-4444-555555555555=$T/dir/a"
	assert_output "$T/dir/a.pem"
}

@test "completion (bash): the store's tables as table arguments" {
	mkdir -p "$T/other"
	touch "$T/store/a.certs" "$T/store/b.certs" "$T/store/.a.certs.snpcert-journal" \
		"$T/other/c.certs"
	cd "$T"
	# $SNP_CERTCTL_STORE (common_setup) ...
	run -0 bash_complete snp-certctl show ''
	assert_line "$T/store/a.certs"
	assert_line "$T/store/b.certs"
	refute_line --partial snpcert-journal
	# ... --store on the line ...
	run -0 bash_complete snp-certctl --store "$T/other" lock ''
	assert_line "$T/other/c.certs"
	refute_line "$T/store/a.certs"
	# ... or the configuration's store.
	echo "store = $T/other" > "$T/c.conf"
	SNP_CERTCTL_STORE='' run -0 bash_complete snp-certctl -C "$T/c.conf" refresh ''
	assert_line "$T/other/c.certs"
	# Plain files too, and only tables' paths that match.
	run -0 bash_complete snp-certctl verify "$T/store/b"
	assert_output "$T/store/b.certs"
	# config takes no table: it acts on the whole store.
	run -0 bash_complete snp-certctl config ''
	assert_output ""
	run -0 bash_complete snp-certctl config --mask-chip-id ''
	assert_output "on
off"
}

@test "completion (bash): after '--' of lock and fw-update, a command line" {
	run -0 bash_complete snp-certctl lock t.certs -- ech
	assert_line echo
	run -0 bash_complete snp-certctl lock -w 1 t.certs -- ls --al
	assert_line --all
	run -0 bash_complete snp-certctl fw-update --commit -- ech
	assert_line echo
	# Before '--', tables and options.
	run -0 bash_complete snp-certctl lock --sh
	assert_output --shared
}

# ---- zsh and fish at work --------------------------------------------------

@test "completion (zsh): the file parses; commands, an option, fetch's kinds, after '--'" {
	command -v zsh > /dev/null || fail "zsh is missing: make test-deps"
	run -0 zsh -n "$ZSH_COMP"
	run -0 zsh_complete "snp-certctl "
	[ "$(wc -l <<< "$output")" -ge 10 ] || fail "only '$output' offered"
	[ "$(sort <<< "$output")" = "$(commands | sort)" ] ||
		fail "$(diff <(commands | sort) <(sort <<< "$output"))"
	run -0 zsh_complete "snp-certctl sh"
	assert_output show
	run -0 zsh_complete "snp-certctl update --ti"
	assert_output --timeout
	run -0 zsh_complete "snp-certctl fetch "
	assert_equal "$(sort <<< "$output" | xargs)" "ca cek crl hashsticks vcek vlek"
	run -0 zsh_complete "snp-certctl fw-update --reported-tcb "
	assert_output current
	run -0 zsh_complete "snp-certctl lock t.certs -- ech"
	assert_line echo
}

@test "completion (fish): the file parses; commands, an option, fetch's kinds, after '--'" {
	command -v fish > /dev/null || fail "fish is missing: make test-deps"
	run -0 fish --no-execute "$FISH_COMP"
	run -0 fish_complete "snp-certctl "
	[ "$(wc -l <<< "$output")" -ge 10 ] || fail "only '$output' offered"
	[ "$(sort <<< "$output")" = "$(commands | sort)" ] ||
		fail "$(diff <(commands | sort) <(sort <<< "$output"))"
	run -0 fish_complete "snp-certctl sh"
	assert_output show
	run -0 fish_complete "snp-certctl update --ti"
	assert_output --timeout
	run -0 fish_complete "snp-certctl fetch "
	assert_equal "$(sort <<< "$output" | xargs)" "ca cek crl hashsticks vcek vlek"
	run -0 fish_complete "snp-certctl fw-update --reported-tcb "
	assert_output current
	run -0 fish_complete "snp-certctl lock t.certs -- ech"
	assert_line echo
}

@test "completion (bash): the file parses" {
	run -0 bash -n "$BASH_COMP"
}

# ---- (f) the man pages format cleanly --------------------------------------

@test "docs: the man pages format without warnings" {
	local page w
	for page in "$MAN1" "$MAN5" "$MAN3"; do
		run -0 groff -man -ww -z "$page"
		assert_output ""
		if command -v man > /dev/null; then
			for w in 80 120; do
				MANWIDTH=$w run -0 --separate-stderr man --warnings -l "$page"
				[ -z "$stderr" ] || fail "$page at width $w: $stderr"
			done
		fi
	done
}

# ---- what the man pages must mention ---------------------------------------

@test "docs: every environment variable the program reads or sets is in snp-certctl(1)" {
	render_man "$MAN1" > "$T/man.txt"
	local v bad=0 n=0
	for v in $(grep -ohE '(secure_)?getenv\("[A-Za-z_]+"\)|"SNP_CERTCTL_[A-Z_]+"' \
		"$REPO"/snp-certctl/*.c "$REPO"/lib/*.c | grep -oE '[A-Za-z_]{4,}"' | tr -d '"' | sort -u |
		grep -vx -e getenv -e secure_getenv); do
		n=$((n + 1))
		grep -q "^ *$v\b\|^ *[A-Za-z_, ]*\b$v\b" "$T/man.txt" ||
			{ echo "$v is not documented"; bad=1; }
	done
	[ "$n" -ge 15 ] || fail "found only $n variables in the sources"
	for v in http_proxy https_proxy no_proxy; do
		grep -q "\b$v\b" "$T/man.txt" || { echo "$v is not documented"; bad=1; }
	done
	return $bad
}

@test "docs: every configuration key is in snp-certctl.conf(5), its variable in snp-certctl(1)" {
	render_man "$MAN5" > "$T/conf.txt"
	render_man "$MAN1" > "$T/man.txt"
	local key env bad=0 n=0
	while read -r key env; do
		n=$((n + 1))
		grep -q "^ \{7\}$key = " "$T/conf.txt" || { echo "key $key not in the KEYS"; bad=1; }
		grep -q "\b$env\b" "$T/conf.txt" || { echo "$env not in snp-certctl.conf(5)"; bad=1; }
		grep -q "^ \{7\}$env\$" "$T/man.txt" || { echo "$env not in snp-certctl(1)"; bad=1; }
	done < <(sed -nE 's/^\s*\[SET_[A-Z_]+\] = \{ "([a-z_]+)", "([A-Z_]+)".*/\1 \2/p' \
		"$REPO/snp-certctl/settings.c")
	[ "$n" -ge 8 ] || fail "found only $n keys in settings.c"
	return $bad
}

@test "docs: EXIT STATUS lists every code of cmd.h" {
	render_man "$MAN1" | awk '/^[^ ]/ { on = ($0 == "EXIT STATUS"); next } on' > "$T/exit.txt"
	local code bad=0
	for code in $(sed -nE 's/^\s*EXIT_[A-Z]+ = ([0-9]+),.*/\1/p' "$REPO/snp-certctl/cmd.h"); do
		grep -Eq "^ {7}$code( |\$)" "$T/exit.txt" || { echo "exit status $code missing"; bad=1; }
	done
	grep -q '128+N' "$T/exit.txt"
	return $bad
}

# ---- installed where the tools look -----------------------------------------

@test "install: man pages and completions under their names" {
	make -s -C "$REPO" O="$SNPCERT_O" install DESTDIR="$T/root" PREFIX=/usr > "$T/install.log" 2>&1 ||
		fail "$(cat "$T/install.log")"
	local f
	for f in share/man/man1/snp-certctl.1 share/man/man5/snp-certctl.conf.5 \
		share/man/man3/libsnpcert.3 share/bash-completion/completions/snp-certctl \
		share/zsh/vendor-completions/_snp-certctl \
		share/fish/vendor_completions.d/snp-certctl.fish; do
		[ -f "$T/root/usr/$f" ] || fail "missing /usr/$f"
	done
	cmp "$T/root/usr/share/bash-completion/completions/snp-certctl" "$BASH_COMP"
	# man finds the installed pages.
	if command -v man > /dev/null; then
		MANPATH="$T/root/usr/share/man" run -0 man -w snp-certctl.conf
		assert_output "$T/root/usr/share/man/man5/snp-certctl.conf.5"
	fi
}

# ---- the configuration keys everywhere ---------------------------------------

# The configuration keys of settings.c, one per line, in its order.
settings_keys() {
	sed -nE 's/^\s*\[SET_[A-Z_]+\] = \{ "([a-z_]+)", "([A-Z_]+)".*/\1/p' \
		"$REPO/snp-certctl/settings.c"
}

# The keys of the README's configuration table: rows "| `key` | ...".
readme_keys() {
	awk '/^## / { on = ($0 == "## Configuration"); next } on' "$REPO/README.md" |
		sed -nE 's/^\| `([a-z_]+)` \|.*/\1/p'
}

# The keys of snp-certctl.conf(5)'s KEYS section (tags "key = VALUE").
man5_keys() {
	render_man "$MAN5" | awk '/^[^ ]/ { on = ($0 == "KEYS"); next } on' |
		sed -nE 's/^ {7}([a-z_]+) = .*/\1/p'
}

# The keys of a configuration file, set or commented out ("#key = ").
example_keys() {
	sed -nE 's/^#?([a-z_]+) = .*/\1/p' "$1"
}

# same_keys WHAT: stdin lists the same keys as settings.c (any order).
same_keys() {
	local got want
	want=$(settings_keys | sort)
	got=$(sort)
	[ "$want" = "$got" ] && return 0
	echo "$1 and settings.c differ (< settings.c, > $1):"
	diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^/  /'
	return 1
}

@test "docs: the README, snp-certctl.conf(5) and the example list exactly the keys of settings.c" {
	local bad=0
	[ "$(settings_keys | wc -l)" -ge 8 ] || fail "found only $(settings_keys | wc -l) keys"
	settings_keys | grep -qx hook_timeout
	readme_keys | same_keys README.md || bad=1
	man5_keys | same_keys snp-certctl.conf.5 || bad=1
	example_keys "$REPO/snp-certctl/snp-certctl.conf.example" |
		same_keys snp-certctl.conf.example || bad=1
	return $bad
}

@test "docs: the key checks fail on a README or an example without hook_timeout" {
	sed '/^| `hook_timeout` |/d' "$REPO/README.md" > "$T/README.md"
	run same_keys README.md < <(awk '/^## / { on = ($0 == "## Configuration"); next } on' \
		"$T/README.md" | sed -nE 's/^\| `([a-z_]+)` \|.*/\1/p')
	assert_failure
	assert_line "  < hook_timeout"
	sed '/^hook_timeout = /d' "$REPO/snp-certctl/snp-certctl.conf.example" > "$T/x.conf"
	run same_keys x.conf < <(example_keys "$T/x.conf")
	assert_failure
	assert_line "  < hook_timeout"
}

@test "docs: the example configuration parses, with every key set (install.bats: it is installed)" {
	local ex="$REPO/snp-certctl/snp-certctl.conf.example" key
	sample_table "$T/t.certs"
	# As shipped (its paths are the defaults; nothing here reads them).
	install -m 0644 "$ex" "$T/ex.conf"
	run -0 certctl -C "$T/ex.conf" show "$T/t.certs"
	# With the commented keys set too, each checked as it is read.
	install -m 0644 "$REPO/formats/amd-roots/milan/ark.pem" "$T/root.pem"
	sed -e 's/^#product = .*/product = Milan/' -e "s|^#trust_root = .*|trust_root = $T/root.pem|" \
		-e "s|^#sev_trust_root = .*|sev_trust_root = $REPO/formats/sev-roots/milan/ark.cert|" \
		-e 's|^#kds_mirror = |kds_mirror = |' \
		-e "s|^#metrics_dir = .*|metrics_dir = $T|" "$ex" > "$T/all.conf"
	for key in $(settings_keys); do
		grep -q "^$key = " "$T/all.conf" || fail "$key not set in $T/all.conf"
	done
	run -0 certctl -C "$T/all.conf" verify --quiet "$T/t.certs"
	# It is really read: a bad value in it is an error naming its line.
	sed 's/^hook_timeout = .*/hook_timeout = soon/' "$T/all.conf" > "$T/bad.conf"
	run certctl -C "$T/bad.conf" show "$T/t.certs"
	assert_failure 2
	assert_output --partial "$T/bad.conf:$(grep -n '^hook_timeout' "$T/bad.conf" | cut -d: -f1): invalid hook_timeout 'soon'"
}
