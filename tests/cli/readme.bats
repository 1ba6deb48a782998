#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's examples run as written: every ```sh block of README.md, in
# order, in one shell that stops at the first failing command, from the top
# of the tree (the first block runs `make examples` and goes to the
# examples directory).  A block is left out only when the line just above
# it (blank lines aside) is "<!-- readme-test: not run: REASON -->", and
# REASON must be given.  A block under "<!-- readme-test: simulated host -->"
# runs on the simulated host: the LD_PRELOAD firmware (tests/fakes/sev.so)
# as the sample VCEK's platform, and the KDS stand-in, whose test chains'
# roots it trusts, and its network, where http://mirror.example/kds/ is a
# static HTTP server on loopback for build/examples/www/kds (reached through
# http_proxy); the settings for that are made for that block alone.
# Other fences (```c, plain ```) are not commands.

load helpers

README="$REPO/README.md"

setup() {
	common_setup
	command -v jq > /dev/null || fail "jq is not installed"
}

teardown() {
	stop_kds readme
	[ -n "${QMP_PID:-}" ] && kill "$QMP_PID" 2>/dev/null
	[ -z "${MIRROR_PID-}" ] || kill "$MIRROR_PID" 2>/dev/null || true
	return 0
}

# mirror.example for the simulated host: a static HTTP server (the Python
# standard library's) as its HTTP proxy, serving http://mirror.example/kds/NAME
# from $SNPCERT_O/examples/www/kds/NAME and nothing else (404), each request
# logged to $T/mirror.log; its port in $MIRROR_PORT.
mirror_example() {
	local i
	: > "$T/mirror.log"
	python3 -u - "$SNPCERT_O/examples" > "$T/mirror.out" 2> "$T/mirror.log" 3>&- <<-'EOF' &
		import functools, http.server, sys, urllib.parse
		class H(http.server.SimpleHTTPRequestHandler):
		    def translate_path(self, path):
		        u = urllib.parse.urlsplit(path)
		        if u.netloc != "mirror.example" or not u.path.startswith("/kds/"):
		            return "/nonexistent/"
		        return super().translate_path("/www" + u.path)
		    def list_directory(self, path):
		        self.send_error(404)
		s = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
		print("port", s.server_address[1], flush=True)
		s.serve_forever()
	EOF
	MIRROR_PID=$!
	for i in $(seq 100); do
		MIRROR_PORT=$(sed -n 's/^port //p' "$T/mirror.out")
		[ -n "$MIRROR_PORT" ] && return 0
		sleep 0.1
	done
	cat "$T/mirror.out" "$T/mirror.log" >&2
	return 1
}

# The simulated host, as sim_begin and sim_end (around a simulated-host
# block) in $T/sim.sh: the sample VCEK's chip and reported TCB, a current
# TCB above it, the KDS stand-in, the test roots trusted.
simulated_host() {
	need_fixtures
	fake_sev_setup
	set_state current_tcb=0x7308000000000103
	# Its legacy SEV side: a test platform (sev-gen) as the firmware's, its
	# CEK at the KDS stand-in, its root trusted, and a QMP stand-in for one
	# SEV guest (handle 1) whose reports its PEK signs.
	# One chip: GET_ID2 answers the SNP side's chip id.
	cp -r "$SNPCERT_FIXTURES/sev" "$T/sev-platform"
	echo "$SAMPLE_HWID" | xxd -r -p > "$T/sev-platform/id.bin"
	set_state "sev_chain=$T/sev-platform"
	mkdir -p "$T/cek"
	cp "$T/sev-platform/cek.cert" "$T/cek/${SAMPLE_HWID^^}.cert"
	cat "$T/sev-platform/ask.cert" "$T/sev-platform/ark.cert" > "$T/sev-root.cert"
	chmod 0644 "$T/sev-root.cert"
	python3 "$REPO/tests/fakes/qmp-server.py" --socket "$T/qmp.sock" --handle 1 \
		--pek-key "$T/sev-platform/pek.key" --parent-pid $$ > "$T/qmp.out" 2>&1 3>&- &
	QMP_PID=$!
	start_kds readme --cek-dir "$T/cek"
	wait_kds readme
	for i in $(seq 100); do grep -q ready "$T/qmp.out" && break; sleep 0.05; done
	mirror_example
	cat "$SNPCERT_FIXTURES"/{milan,genoa,turin}/ark.pem > "$T/test-roots.pem"
	chmod 0644 "$T/test-roots.pem"
	cat > "$T/sim.sh" <<-EOF
		sim_begin() {
			export LD_PRELOAD='$FAKE_SO' FAKE_SEV_STATE='$STATE' FAKE_SEV_LOG='$LOG' \\
				FAKE_SEV_DEVICE='$T/sev' SNP_CERTCTL_DEVICE='$T/sev' SNP_CERTCTL_PRODUCT=Milan \\
				SNP_CERTCTL_KDS_URL='http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/readme.port")' \\
				SNP_CERTCTL_KDS_TIMEOUT=10 SNP_CERTCTL_KDS_DEADLINE=20 \\
				SNP_CERTCTL_TRUST_ROOT='$T/test-roots.pem' \\
				SNP_CERTCTL_SEV_TRUST_ROOT='$T/sev-root.cert' QMP='$T/qmp.sock' \\
				http_proxy='http://127.0.0.1:$MIRROR_PORT' no_proxy=127.0.0.1
		}
		sim_end() {
			unset LD_PRELOAD FAKE_SEV_STATE FAKE_SEV_LOG FAKE_SEV_DEVICE SNP_CERTCTL_DEVICE \\
				SNP_CERTCTL_PRODUCT SNP_CERTCTL_KDS_URL SNP_CERTCTL_KDS_TIMEOUT \\
				SNP_CERTCTL_KDS_DEADLINE SNP_CERTCTL_TRUST_ROOT SNP_CERTCTL_SEV_TRUST_ROOT QMP \\
				http_proxy no_proxy
		}
	EOF
	# Outside those blocks, none of it.
	unset SNP_CERTCTL_DEVICE FAKE_SEV_DEVICE
}

# readme_script FILE: a bash script of the runnable blocks of FILE, each
# line at its line number in FILE (everything else blank), so that $LINENO
# is the README's line.  Fails on a marker without a reason, or one that
# marks no sh block.
readme_script() {
	awk '
		function blank() { print "" }
		inother { blank(); if (/^```$/) inother = 0; next }
		inblock && /^```$/ { inblock = 0; if (sim) print "sim_end"; else blank(); next }
		inblock { if (skip) blank(); else print; next }
		/^<!-- readme-test: / {
			if ($0 ~ /^<!-- readme-test: simulated host -->$/) {
				pending = 2
			} else if ($0 ~ /^<!-- readme-test: not run: [^ ].* -->$/) {
				pending = 1
			} else {
				print "readme.bats: " FILENAME ":" NR ": bad marker: " $0 > "/dev/stderr"
				bad = 1
			}
			blank(); next
		}
		/^```sh$/ {
			inblock = 1; skip = (pending == 1); sim = (pending == 2); pending = 0
			if (sim) print "sim_begin"; else blank()
			nblocks++
			if (!skip) nrun++
			if (sim) nsim++
			next
		}
		/^```/ {
			if (pending) {
				print "readme.bats: " FILENAME ":" NR ": marker above a block that is not sh" > "/dev/stderr"
				bad = 1
			}
			pending = 0; inother = 1; blank(); next
		}
		{ blank(); if (!/^[[:space:]]*$/) pending = 0 }
		END {
			if (bad) exit 1
			printf "# %d sh blocks, %d run, %d on the simulated host\n", nblocks, nrun, nsim > "/dev/stderr"
		}' "$1"
}

# The tree to run in: the repository when its build directory is build/,
# else a tree of links to it with build/ the build directory under test.
readme_top() {
	if [ "$SNPCERT_O" = "$REPO/build" ]; then
		echo "$REPO"
		return
	fi
	mkdir -p "$T/top"
	local f
	for f in "$REPO"/* "$REPO"/.ci; do
		[ "${f##*/}" = build ] || ln -s "$f" "$T/top/${f##*/}"
	done
	ln -s "$SNPCERT_O" "$T/top/build"
	echo "$T/top"
}

@test "README: every sh block runs as written, in order" {
	readme_script "$README" > "$T/readme.sh" 2> "$T/parse.err" || fail "$(cat "$T/parse.err")"
	grep -q '^# [0-9]* sh blocks' "$T/parse.err"
	local top
	simulated_host
	top=$(readme_top)
	# The shell: stop at the first failure and say at which README line.
	# snp-certctl is $SNP_CERTCTL whatever PATH says (a function comes
	# first): the build under test, its --json runs validated (setup_suite).
	cd "$top"
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u O -u T bash -e -o pipefail -c "
		trap 'echo \"README.md:\$LINENO: failed (exit \$?)\" >&2' ERR
		snp-certctl() {
			# In a subshell (a pipeline, \$(...), a job): become the program, so
			# that the job's pid is the program's (the README kills one).
			[ \"\$BASHPID\" = \"\$\$\" ] || exec '$SNP_CERTCTL' \"\$@\"
			'$SNP_CERTCTL' \"\$@\"
		}
		source '$T/sim.sh'; source '$T/readme.sh'"
	[ "$status" = 0 ] || fail "$output"
	# What the blocks made is where the README says.
	[ -f "$SNPCERT_O/examples/host.certs" ]
	[ -f "$SNPCERT_O/examples/out/crl.der" ]
	[ -f "$SNPCERT_O/examples/store/host.certs" ]
	assert_line --partial "built test.certs: 5 entries"
	assert_line "PASS crl-revocation: nothing in the chain is revoked"
	assert_line "the firmware step runs here"
	assert_line "evidence verifies"
	# The simulated host's blocks ran there: its firmware and the stand-in.
	grep -q SNP_PLATFORM_STATUS "$LOG"
	[ "$(kds_requests /vcek/)" -ge 1 ]
	[ "$(kds_requests /crl)" -ge 1 ]
	assert_line --partial "host.certs: the VCEK is for the reported TCB bl=2,tee=0,snp=5,ucode=68 and this chip"
	[ -s "$SNPCERT_O/examples/genoa-chain.pem" ]
	[ -s "$SNPCERT_O/examples/turin.crl" ]
	# "Running a fleet": the mirror was written, and the new host's VCEK
	# came from it (mirror.example), not from the KDS stand-in.
	[ -s "$SNPCERT_O/examples/www/kds/index.json" ]
	grep -q '"GET http://mirror.example/kds/vcek/Milan/[0-9a-f]*/[0-9a-f]*.der HTTP/1.1" 200' "$T/mirror.log"
	cmp "$SNPCERT_O/examples/new-host-vcek.der" \
		"$SNPCERT_O/examples/www/kds/vcek/Milan/$SAMPLE_HWID/${SAMPLE_TCB#0x}.der"
}

@test "README: which blocks run; a marker needs a reason and an sh block under it" {
	run -0 --separate-stderr readme_script "$README"
	# The runnable blocks are most of them; the ones left out say why.
	[[ "$stderr" =~ ([0-9]+)\ sh\ blocks,\ ([0-9]+)\ run,\ ([0-9]+)\ on ]]
	local all=${BASH_REMATCH[1]} ran=${BASH_REMATCH[2]} sim=${BASH_REMATCH[3]}
	[ "$ran" -ge 5 ] && [ "$sim" = 5 ] && [ $((all - ran)) -le 6 ] || fail "$stderr"
	[ "$(grep -c '^<!-- readme-test: simulated host -->$' "$README")" = "$sim" ]
	# The simulated host is set up for those blocks alone.
	[ "$(grep -c '^sim_begin$' <<< "$output")" = "$sim" ]
	[ "$(grep -c '^sim_end$' <<< "$output")" = "$sim" ]
	[ "$(grep -c '^<!-- readme-test: not run: ' "$README")" = $((all - ran)) ]
	# The lines kept are the README's, at their line numbers.
	assert_equal "$(sed -n "$(grep -n '^snp-certctl build -o host.certs' "$README" | cut -d: -f1)p" <<< "$output")" \
		"snp-certctl build -o host.certs --vcek vcek.der"
	[ "$(wc -l <<< "$output")" -le "$(wc -l < "$README")" ]
	refute_output --partial "make install"
	refute_output --partial "snpcert_open"
	# A marker without a reason, and one above a C block, are refused.
	printf '%s\n' '<!-- readme-test: not run: -->' '```sh' 'true' '```' > "$T/bad.md"
	run readme_script "$T/bad.md"
	assert_failure
	assert_output --partial "bad marker"
	printf '%s\n' '<!-- readme-test: not run: not shell -->' '```c' 'int x;' '```' > "$T/bad.md"
	run readme_script "$T/bad.md"
	assert_failure
	assert_output --partial "marker above a block that is not sh"
	# A failing command stops the run and names its README line.
	printf '%s\n' 'text' '```sh' 'true' 'false' 'echo not reached' '```' > "$T/fail.md"
	readme_script "$T/fail.md" > "$T/fail.sh" 2> /dev/null
	run bash -e -o pipefail -c "trap 'echo \"README.md:\$LINENO: failed (exit \$?)\" >&2' ERR
		source '$T/fail.sh'"
	assert_failure
	assert_output "README.md:4: failed (exit 1)"
}
