# Shared setup for the bats files: which build to test, fixtures, and a
# private store, cache, hooks directory and configuration per test.
#
#   SNPCERT_BUILD     the build directory (O=) to test; default: the tree
#   SNPCERT_FIXTURES  generated test chains (tests/fixtures/gen-chains.sh)

: "${BATS_LIB_PATH:=/usr/lib/bats}"
export BATS_LIB_PATH
bats_load_library bats-support
bats_load_library bats-assert
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${SNPCERT_BUILD:=$REPO}"
SNPCERT_BUILD=$(cd "$SNPCERT_BUILD" && pwd)
: "${SNPCERT_FIXTURES:=$REPO/tests/fixtures/out}"
export SNPCERT_BUILD SNPCERT_FIXTURES REPO
SNP_CERTCTL="$SNPCERT_BUILD/snp-certctl/snp-certctl"
SAMPLE_VCEK="$REPO/tests/data/milan-vcek.pem"
# A sanitizer build under LD_PRELOAD fakes: the fake comes first.
export ASAN_OPTIONS="${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

common_setup() {
	T="$BATS_TEST_TMPDIR"
	mkdir -p "$T/store" "$T/cache" "$T/hooks"
	: > "$T/empty.conf"
	export SNP_CERTCTL_CONFIG="$T/empty.conf"
	export SNP_CERTCTL_STORE="$T/store"
	export SNP_CERTCTL_CACHE_DIR="$T/cache"
	export SNP_CERTCTL_HOOKS_DIR="$T/hooks"
	unset SNP_CERTCTL_KDS_URL SNP_CERTCTL_PRODUCT SNP_CERTCTL_TRUST_ROOT \
		SNP_CERTCTL_LOCK_TIMEOUT SNP_CERTCTL_DEVICE SNPCERT_FAILPOINT
}

# The program, as `run` sees it; stderr kept apart in $stderr.
certctl() {
	"$SNP_CERTCTL" "$@"
}

# A table from the real sample VCEK and the built-in Milan roots.
sample_table() {
	"$SNP_CERTCTL" build -q -o "$1" --vcek "$SAMPLE_VCEK"
}

# A table from a generated test chain (product milan|genoa|turin).
test_table() {
	local product=$1 out=$2
	shift 2
	"$SNP_CERTCTL" build -q -o "$out" --vcek "$SNPCERT_FIXTURES/$product/vcek.pem" \
		--ask "$SNPCERT_FIXTURES/$product/ask.pem" \
		--ark "$SNPCERT_FIXTURES/$product/ark.pem" \
		--trust-root "$SNPCERT_FIXTURES/$product/ark.pem" "$@"
}

# sha256 and inode of a file, to prove it did (not) change.
fingerprint() {
	printf '%s %s\n' "$(sha256sum < "$1" | cut -d' ' -f1)" "$(stat -c %i "$1")"
}
