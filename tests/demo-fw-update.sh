#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo-fw-update`: a firmware update on a simulated SEV-SNP host, end
# to end, with nothing real at stake.  The firmware is the LD_PRELOAD
# simulation (tests/fakes/sev.so), AMD KDS is the loopback stand-in
# (tests/fakes/kds-server.py) serving VCEKs of a generated Milan test chain.
# snp-certctl itself is the real program, that of SNPCERT_BUILD (default:
# build/ in the tree).  Writes only below DEMO_DIR (default: demo/fw-update
# in that build directory) and the fixtures (SNPCERT_FIXTURES, default
# build/fixtures).
#
# Every command the demo runs is printed first ("$ ..."), exactly as the
# shell runs it: run CODE prints CODE, then evaluates it, in DEMO_DIR, with
# the build's snp-certctl first in PATH.
# shellcheck disable=SC2016 # CODE is quoted as printed; run expands it
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SNPCERT_BUILD:-$top/build}
fx=${SNPCERT_FIXTURES:-$top/build/fixtures}
dir=${DEMO_DIR:-$build/demo/fw-update}

step() {
	printf '\n==> %s\n' "$*"
}
run() {
	printf '$ %s\n' "$1"
	eval "$1"
}

step "Generate a test chain (ARK, ASK, VCEKs) with the openssl CLI (once, ~30 s)"
run "'$top/tests/fixtures/gen-chains.sh' '$fx'"

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
PATH=$build/snp-certctl:$PATH

step "The simulated host: firmware, KDS stand-in, store, cache, hooks; the test root trusted"
run 'mkdir store cache hooks && : > demo.conf'
run "cat > sev.state <<EOT
api_major=1
api_minor=55
build_id=21
state=1
current_tcb=0x7308000000000103
reported_tcb=0x7308000000000103
chip_id=$(printf '%02x' $(seq 0 63))
guest_count=2
EOT"
kds=
run "python3 '$top/tests/fakes/kds-server.py' --fixtures '$fx' --port-file kds.port \\
	--log kds.log --idle 120 --parent-pid $$ > kds.out 2>&1 & kds=\$!"
trap 'kill "$kds" 2>/dev/null || true' EXIT
run 'i=0; until [ -s kds.port ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat kds.out >&2; exit 1; }; sleep 0.1
done'
run "export LD_PRELOAD='$build/tests/fakes/sev.so' FAKE_SEV_STATE=\"\$PWD/sev.state\" \\
	FAKE_SEV_LOG=\"\$PWD/sev.log\" FAKE_SEV_DEVICE=\"\$PWD/sev\" SNP_CERTCTL_DEVICE=\"\$PWD/sev\" \\
	SNP_CERTCTL_CONFIG=\"\$PWD/demo.conf\" SNP_CERTCTL_STORE=\"\$PWD/store\" \\
	SNP_CERTCTL_CACHE_DIR=\"\$PWD/cache\" SNP_CERTCTL_HOOKS_DIR=\"\$PWD/hooks\" \\
	SNP_CERTCTL_KDS_URL=\"http://127.0.0.1:\$(cat kds.port)\" SNP_CERTCTL_PRODUCT=Milan \\
	SNP_CERTCTL_TRUST_ROOT=\"\$PWD/ark.pem\" ASAN_OPTIONS=verify_asan_link_order=0"

step "A table for the host's current reported TCB (bl=3,tee=1,snp=8,ucode=115)"
run "cp '$fx/milan/vcek.pem' '$fx/milan/ask.pem' '$fx/milan/ark.pem' ."
run 'snp-certctl build -o store/host.certs --vcek vcek.pem --ask ask.pem --ark ark.pem'
run 'snp-certctl status'

step "A hook that logs each event (hooks run at pre-update, locked, post-update)"
run "cat > hooks/50-log <<'EOT'
#!/bin/sh
echo \"hook: \$SNP_CERTCTL_EVENT old=\${SNP_CERTCTL_OLD_TCB:-?} new=\${SNP_CERTCTL_NEW_TCB:-?}\" >&2
EOT"
run 'chmod 755 hooks hooks/50-log'

step "The firmware update: the locks are held across the firmware step, then SNP_COMMIT and SNP_SET_CONFIG, then the new VCEK"
run "cat > apply-firmware <<'EOT'
#!/bin/sh
# Stands in for the vendor's firmware tool: the new firmware raises the TCB.
echo \"firmware step: installing firmware with TCB bl=4,tee=2,snp=9,ucode=116\"
sed -i 's/^current_tcb=.*/current_tcb=0x7409000000000204/' \"\$FAKE_SEV_STATE\"
EOT"
run 'chmod 755 apply-firmware'
run 'snp-certctl fw-update --commit --reported-tcb current -- ./apply-firmware'

step "The table now carries the VCEK for the new reported TCB, in place"
run "snp-certctl show store/host.certs | sed -n '1,2p;/tcb/p'"
run 'snp-certctl status | tail -n 2'
step "The firmware commands issued, and the KDS requests made"
run "grep -o 'SNP_[A-Z_]*' sev.log | sort -u | paste -sd ' '"
run 'wc -l < kds.log'

step "A refresh now has nothing to do: no KDS request, no lock"
run 'snp-certctl refresh'
run 'wc -l < kds.log'
printf '\nDemo done (files under %s)\n' "$dir"
