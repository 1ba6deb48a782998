# bash completion for snp-certctl(1)                       -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installed as $datadir/bash-completion/completions/snp-certctl; needs the
# bash-completion helpers (_init_completion, _filedir, _command_offset).
# The commands come from the program being completed (the word typed
# before them), which prints its command table with the hidden
# `snp-certctl help --commands` ("NAME<TAB>SUMMARY" lines); when it cannot
# be run, no command is offered.  The option lists are those of
# `snp-certctl COMMAND --help`; tests/cli/docs.bats checks them against
# the program.

# The commands, in the order of `snp-certctl help`, one per line.
_snp_certctl_commands() {
	local prog=${words[0]/#\~/$HOME} line
	if [[ $prog == */* ]]; then
		[[ -x $prog ]] || return 0
	else
		type -P -- "$prog" > /dev/null || return 0
	fi
	while IFS= read -r line; do
		printf '%s\n' "${line%%$'\t'*}"
	done < <("$prog" help --commands 2>/dev/null)
}

# Every command's options.
_snp_certctl_options() {
	case $1 in
	build)
		echo '-o --output --vcek --vlek --ask --asvk --ark --crl --entry
			--from-dir --no-verify --force --trust-root --json' ;;
	show)
		echo '--json --url --product' ;;
	verify)
		echo '--trust-root --tcb --hwid --platform --product --at --json
			--hashstick' ;;
	broker)
		echo '--listen --qmp --qmp-dir -d --dir --trust-root --max-connections
			--rate --timeout --syslog' ;;
	sev-export)
		echo '-d --dir --product --trust-root --kds-url --kds-mirror --cache --offline
			--timeout --json' ;;
	sev-verify)
		echo '--report --mnonce --product --trust-root --timeout --json' ;;
	extract)
		echo '-d --directory --der --json' ;;
	status)
		echo '--product --json' ;;
	check)
		echo '--online --product --kds-url --kds-mirror --cache --json' ;;
	fetch)
		echo '--product --hwid --id --tcb --platform --vlek -o --output --kds-url
			--kds-mirror --cache --offline --trust-root --json --client-cert --client-key
			--csp-url' ;;
	update)
		echo '--vcek --vlek --ask --asvk --ark --crl --entry --remove
			--timeout --no-verify --trust-root --json' ;;
	lock)
		echo '-x --exclusive -s --shared -w --timeout' ;;
	locks)
		echo '--json' ;;
	recover)
		echo '--timeout --json' ;;
	refresh)
		echo '--kds-url --kds-mirror --cache --offline --dry-run --splay --product
			--trust-root --timeout --json' ;;
	fw-update)
		echo '--commit --force --reported-tcb --timeout --kds-url --kds-mirror --cache --offline
			--product --trust-root --json' ;;
	vlek-load)
		echo '--hashstick --vlek --asvk --ark --timeout --product --trust-root
			--json' ;;
	mirror)
		echo '--hosts --kds-url --cache --rate --offline --trust-root --json' ;;
	config)
		echo '--mask-chip-id --mask-chip-key --force --timeout --product --json' ;;
	metrics)
		echo '-o --output --product' ;;
	help)
		;;
	esac
	# Every command takes these too.
	echo '-h --help'
}

# The tables of the store: --store on the line, $SNP_CERTCTL_STORE, the
# configuration's "store = ...", or the default.
_snp_certctl_store_tables() {
	local store=${_snp_certctl_store:-${SNP_CERTCTL_STORE:-}}
	local conf=${_snp_certctl_conf:-${SNP_CERTCTL_CONFIG:-/etc/snp-certctl/snp-certctl.conf}}
	local f
	if [[ -z $store && -r $conf ]]; then
		store=$(sed -n 's/^[[:space:]]*store[[:space:]]*=[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' \
			"$conf" 2>/dev/null | tail -n 1)
	fi
	: "${store:=/var/lib/snp-certctl}"
	[[ -d $store ]] || return
	for f in "$store"/*; do
		[[ -f $f && ${f##*/} != .* ]] && printf '%s\n' "$f"
	done
}

# Table arguments: files, and the store's tables when what is typed could
# be one of their paths.
_snp_certctl_tables() {
	_filedir
	if [[ -z $cur || $cur == /* ]]; then
		local IFS=$'\n' t c
		for t in $(compgen -W "$(_snp_certctl_store_tables)" -- "$cur"); do
			for c in "${COMPREPLY[@]}"; do
				[[ $c == "$t" ]] && continue 2
			done
			COMPREPLY+=("$t")
		done
	fi
}

_snp_certctl() {
	local cur prev words cword split
	_init_completion -s -n = || return

	local i cmd= cmd_i=0 dd=0 _snp_certctl_store= _snp_certctl_conf=
	# The command: the first word that is not a global option or its argument.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-C | --config)
			_snp_certctl_conf=${words[i + 1]}; ((i++)) ;;
		--store)
			_snp_certctl_store=${words[i + 1]}; ((i++)) ;;
		--config=*)
			_snp_certctl_conf=${words[i]#*=} ;;
		--store=*)
			_snp_certctl_store=${words[i]#*=} ;;
		-*) ;;
		*)
			cmd=${words[i]}; cmd_i=$i; break ;;
		esac
	done
	# After the command: --store/-C again, and where '--' is.
	if [[ -n $cmd ]]; then
		for ((i = cmd_i + 1; i < cword; i++)); do
			case ${words[i]} in
			--store) _snp_certctl_store=${words[i + 1]} ;;
			--store=*) _snp_certctl_store=${words[i]#*=} ;;
			-C | --config) _snp_certctl_conf=${words[i + 1]} ;;
			--) dd=$i; break ;;
			esac
		done
	fi

	# lock FILE... -- COMMAND, fw-update [FILE...] -- COMMAND: a command line.
	if ((dd > 0)) && [[ $cmd == lock || $cmd == fw-update ]]; then
		_command_offset $((dd + 1))
		return
	fi

	# Option arguments (global or the command's).
	case $prev in
	-C | --config | --vcek | --vlek | --ask | --asvk | --ark | --crl | \
		--trust-root | --hashstick | -o | --output | --hosts)
		_filedir
		return ;;
	--store | --cache | --from-dir)
		_filedir -d
		return ;;
	-d | --directory)
		[[ $cmd == extract ]] && _filedir -d
		return ;;
	--product)
		# fetch cek and sev-verify name a SEV generation, the rest a SNP product.
		if [[ $cmd == sev-verify || ($cmd == fetch && " ${words[*]} " == *" cek "*) ]]; then
			COMPREPLY=($(compgen -W 'naples rome milan genoa turin' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'Milan Genoa Turin' -- "$cur"))
		fi
		return ;;
	--kds-url)
		COMPREPLY=($(compgen -W 'https://kdsintf.amd.com' -- "$cur"))
		return ;;
	--reported-tcb)
		COMPREPLY=($(compgen -W 'current' -- "$cur"))
		return ;;
	--remove)
		COMPREPLY=($(compgen -W 'vcek vlek ask asvk ark crl' -- "$cur"))
		return ;;
	--entry)
		# GUID=FILE: the file after the '='.
		if [[ $cur == *=* ]]; then
			cur=${cur#*=}
			_filedir
		fi
		return ;;
	--tcb | --hwid | --at | --timeout | -w | --splay | --rate | --kds-mirror)
		return ;;
	esac
	$split && return

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-C --config --store --json -q --quiet
				-v --verbose -h --help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_snp_certctl_commands)" -- "$cur"))
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_snp_certctl_options "$cmd")" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi

	# Positional arguments.
	case $cmd in
	help)
		((cword == cmd_i + 1)) &&
			COMPREPLY=($(compgen -W "$(_snp_certctl_commands)" -- "$cur")) ;;
	fetch)
		local kind=
		for ((i = cmd_i + 1; i < cword; i++)); do
			case ${words[i]} in
			vcek | ca | crl | vlek | hashsticks | cek) kind=${words[i]} ;;
			esac
		done
		[[ -z $kind ]] &&
			COMPREPLY=($(compgen -W 'vcek ca crl vlek hashsticks cek' -- "$cur")) ;;
	show | verify | extract | update | lock | locks | recover | refresh | \
		fw-update | vlek-load)
		_snp_certctl_tables ;;
	config)
		case $prev in
		--mask-chip-id | --mask-chip-key)
			COMPREPLY=($(compgen -W 'on off' -- "$cur")) ;;
		esac ;;
	mirror)
		_filedir -d ;;
	build | status | check | metrics) ;;
	esac
} &&
	complete -F _snp_certctl snp-certctl

# ex: filetype=sh
