# SPDX-License-Identifier: GPL-2.0-or-later
# The simulated host for check and status (load host, after helpers and
# fake_sev_setup): tests/fakes/host.so answers /dev/cpu/0/cpuid and
# /dev/cpu/0/msr, tests/fakes/kvm.so /dev/kvm, from files under $HOST, and the program runs
# in a private mount namespace with $HOST/sys/module bound over /sys/module,
# since libkmod reads that itself (stat, opendir).  fake_host_setup makes a
# ready Milan host: SEV, SEV-ES and SNP in CPUID, SME and SNP in SYSCFG,
# kvm_amd (sev_snp=Y) and ccp loaded, the certificate exit in KVM.

fake_host_setup() {
	HOST_SO="$SNPCERT_BUILD/tests/fakes/host.so"
	KVM_SO="$SNPCERT_BUILD/tests/fakes/kvm.so"
	[ -f "$HOST_SO" ] && [ -f "$KVM_SO" ] || { echo "no $HOST_SO or $KVM_SO: make tests" >&2; return 1; }
	HOST="$T/host"
	HOST_LOG="$T/host.log"
	mkdir -p "$HOST/dev/cpu/0" "$HOST/sys/module"
	host_cpu amd 0x19 0x01
	host_msr 0xc0010010 0x1800000
	echo "has_attr 1 2" > "$HOST/dev/kvm"
	host_module kvm_amd live
	host_module ccp live
	host_param sev_snp Y
}

# host_cpu amd|intel FAMILY MODEL [MEM_ENC_EAX [MAX_EXT_LEAF]]: what CPUID
# leaves 0, 1, 0x80000000 and 0x8000001F answer (default: SME, SEV,
# SEV-ES and SNP; highest extended leaf 0x80000028).
host_cpu() {
	local vendor=$1 family=$(($2)) model=$(($3)) enc=${4:-0x1f} max=${5:-0x80000028}
	local base=$family ext=0 regs
	if [ "$family" -ge 15 ]; then
		base=15 ext=$((family - 15))
	fi
	case $vendor in
	amd) regs="0x68747541 0x444d4163 0x69746e65" ;;  # "Auth" "cAMD" "enti": ebx ecx edx
	intel) regs="0x756e6547 0x6c65746e 0x49656e69" ;; # "Genu" "ntel" "ineI"
	esac
	cat > "$HOST/dev/cpu/0/cpuid" <<-EOF
		0x0 0x10 $regs
		0x1 $(printf '0x%x' $(((ext << 20) | ((model >> 4) << 16) | (base << 8) | ((model & 15) << 4) | 1))) 0 0 0
		0x80000000 $max 0 0 0
		0x8000001f $enc 0 0 0
	EOF
}

# host_msr MSR VALUE: the only MSR /dev/cpu/0/msr answers.
host_msr() {
	echo "$1 $2" > "$HOST/dev/cpu/0/msr"
}

# host_module NAME live|coming|going|absent
host_module() {
	if [ "$2" = absent ]; then
		rm -rf "${HOST:?}/sys/module/$1"
	else
		mkdir -p "$HOST/sys/module/$1"
		echo "$2" > "$HOST/sys/module/$1/initstate"
	fi
}

# host_param NAME VALUE|-: a kvm_amd parameter (-: the kernel has none).
host_param() {
	if [ "$2" = - ]; then
		rm -f "$HOST/sys/module/kvm_amd/parameters/$1"
	else
		mkdir -p "$HOST/sys/module/kvm_amd/parameters"
		echo "$2" > "$HOST/sys/module/kvm_amd/parameters/$1"
	fi
}

# on_host ARG...: the program on the simulated host, with the simulated firmware.
on_host() {
	local ns=(unshare -m --propagation private)
	[ "$(id -u)" = 0 ] || ns=(unshare -Ur -m --propagation private)
	LD_PRELOAD="$HOST_SO $KVM_SO $FAKE_SO" FAKE_HOST_ROOT="$HOST" FAKE_HOST_LOG="$HOST_LOG" \
		FAKE_KVM="$HOST/dev/kvm" FAKE_KVM_LOG="$HOST_LOG" \
		FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" \
		"${ns[@]}" sh -c 'mount --bind "$FAKE_HOST_ROOT/sys/module" /sys/module &&
			exec "$0" "$@"' "$SNP_CERTCTL" "$@"
}
