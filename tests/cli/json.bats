#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# One JSON convention for every command (snp-certctl(1), JSON OUTPUT): the
# error document for every failure, --json refused where there is no JSON
# output, and the schemas (snp-certctl/schema/) and their validator
# (tests/tools/validate-json), which setup_suite.bash runs on every --json
# output of the suite.

load helpers

setup() {
	common_setup
	SCHEMAS="$REPO/snp-certctl/schema"
	VALIDATE="$REPO/tests/tools/validate-json"
}

# json_ok [JQ OPTION]... FILTER: $output is JSON for which FILTER is true
# (jq -e alone takes an empty input for true).
json_ok() {
	[ -n "$output" ] || { echo "no output"; return 1; }
	jq -e "$@" <<<"$output" >/dev/null || { echo "not so: $output"; return 1; }
}

# error_doc STATUS MESSAGE: $output is the error document, exactly.
error_doc() {
	json_ok --argjson st "$1" --arg msg "$2" '. == {error: {message: $msg, exit: $st}}'
}

@test "validate-json: valid documents pass, a wrong one fails and says where" {
	sample_table "$T/t.certs"
	run -0 certctl show --json "$T/t.certs"
	"$VALIDATE" "$SCHEMAS" show <<<"$output"
	# A TCB as a string (the old refresh shape), a table without "path",
	# a key no schema knows, and an error document without "exit".
	run -1 "$VALIDATE" "$SCHEMAS" show <<<"$(jq '.entries[0].tcb = "bl=2,tee=0,snp=5,ucode=68"' <<<"$output")"
	[[ "$output" == *"entries/0/tcb: 'bl=2,tee=0,snp=5,ucode=68' is not of type 'object'"* ]]
	run -0 certctl show --json "$T/t.certs"
	run -1 "$VALIDATE" "$SCHEMAS" show <<<"$(jq 'del(.path)' <<<"$output")"
	[[ "$output" == *"'path' is a required property"* ]]
	run -0 certctl show --json "$T/t.certs"
	run -1 "$VALIDATE" "$SCHEMAS" show <<<"$(jq '.current_tcb = 1' <<<"$output")"
	[[ "$output" == *"'current_tcb' was unexpected"* ]]
	run -1 "$VALIDATE" "$SCHEMAS" lock <<<'{"error": {"message": "x"}}'
	[[ "$output" == *"'exit' is a required property"* ]]
	# Not one JSON document: nothing, or two.
	run -1 "$VALIDATE" "$SCHEMAS" show </dev/null
	[[ "$output" == *"not one JSON document"* ]]
	run -1 "$VALIDATE" "$SCHEMAS" lock <<<'{"error": {"message": "x", "exit": 2}} {}'
	[[ "$output" == *"not one JSON document"* ]]
	run -0 "$VALIDATE" "$SCHEMAS" lock <<<'{"error": {"message": "x", "exit": 2}}'
}

@test "validate-json --log: the exit status and \"error\" must agree" {
	local log="$T/log"
	mkdir -p "$log/run.a"
	printf '%s\0' --json lock > "$log/run.a/args"
	echo '{"error": {"message": "lock: no JSON output", "exit": 2}}' > "$log/run.a/stdout"
	echo 2 > "$log/run.a/status"
	run -0 "$VALIDATE" "$SCHEMAS" --log "$log"
	# A failure whose document says nothing of it, and a success with "error".
	mkdir "$log/run.b" "$log/run.c"
	printf '%s\0' -C /x verify --json t.certs > "$log/run.b/args"
	echo '{"file": "t", "path": "/t", "ok": true, "checks": []}' > "$log/run.b/stdout"
	echo 4 > "$log/run.b/status"
	printf '%s\0' --store /s recover --json > "$log/run.c/args"
	echo '{"tables": [], "error": {"message": "x", "exit": 1}}' > "$log/run.c/stdout"
	echo 0 > "$log/run.c/status"
	run -1 "$VALIDATE" "$SCHEMAS" --log "$log"
	assert_line "snp-certctl -C /x verify --json t.certs (exit 4): exit status 4, but the document has no \"error\""
	assert_line "snp-certctl --store /s recover --json (exit 0): exit status 0, but the document has \"error\""
	assert_line "validate-json: 3 --json runs, 2 violations"
}

@test "the suite's wrapper records a --json run, and only that" {
	[ -n "${JSON_CHECK_DIR-}" ] || fail "no JSON_CHECK_DIR: setup_suite.bash did not run"
	[ "$SNP_CERTCTL" = "$JSON_CHECK_DIR/bin/snp-certctl" ]
	# This test's runs, told from those of the files running beside it by
	# the store they name, $T's.
	mine() { grep -lsF -- "$T/store" "$JSON_CHECK_DIR"/log/run.*/args; }
	run -0 certctl --store "$T/store" --version
	run -0 certctl --store "$T/store" status --product Milan
	assert_equal "$(mine)" ""
	run -0 certctl --store "$T/store" status --json --product Milan
	d=$(mine)
	assert_equal "$(wc -l <<< "$d")" 1
	d=${d%/args}
	assert_equal "$(tr '\0' ' ' < "$d/args")" "--store $T/store status --json --product Milan "
	assert_equal "$(cat "$d/status")" 0
	assert_equal "$(cat "$d/stdout")" "$output"
}

@test "--json: usage errors are the error document, stderr keeps its line" {
	run --separate-stderr certctl --json show --bogus
	assert_failure 2
	error_doc 2 "show: unknown option '--bogus'"
	assert_equal "$stderr" "snp-certctl: show: unknown option '--bogus'
Try 'snp-certctl show --help'."
	run --separate-stderr certctl show --json
	assert_failure 2
	error_doc 2 "show: no table given"
	run --separate-stderr certctl --json fetch vcek --tcb x --hwid 00
	assert_failure 2
	json_ok '.error.exit == 2 and (.error.message | startswith("fetch: "))'
	run --separate-stderr certctl --json nosuch
	assert_failure 2
	error_doc 2 "unknown command 'nosuch'; 'snp-certctl help' lists them"
	run --separate-stderr certctl --json
	assert_failure 2
	error_doc 2 "no command given"
	run --separate-stderr certctl refresh --json --timeout soon
	assert_failure 2
	error_doc 2 "refresh: invalid --timeout 'soon': want seconds, e.g. 10 or 0.5"
	# --json anywhere before "--" counts, also after the option at fault.
	run --separate-stderr certctl show --bogus --json
	assert_failure 2
	error_doc 2 "show: unknown option '--bogus'"
	run --separate-stderr certctl --bogus --json show
	assert_failure 2
	error_doc 2 "unknown option '--bogus'"
}

@test "--json: a command without JSON output refuses it (exit 2)" {
	sample_table "$T/t.certs"
	for args in "lock --json $T/t.certs -- true" "--json lock $T/t.certs -- true" \
		"help --json" "--json help show"; do
		# shellcheck disable=SC2086
		run --separate-stderr certctl $args
		assert_failure 2
		[[ "$stderr" == *": no JSON output; --json is not accepted"* ]]
		json_ok '.error.exit == 2 and (.error.message | test("^(lock|help): no JSON output"))'
	done
	# After --, --json is the command's.
	run -0 certctl lock "$T/t.certs" -- echo --json
	assert_output "--json"
	# Every command that offers --json accepts it and has a schema, and none other.
	local cmd refused
	while IFS=$'\t' read -r cmd _; do
		refused=no
		"$SNP_CERTCTL_REAL" "$cmd" --json --no-such-option 2>&1 | grep -q "no JSON output" &&
			refused=yes
		if "$SNP_CERTCTL_REAL" "$cmd" --help | grep -q -- '--json'; then
			[ "$refused" = no ] || { echo "$cmd offers --json but refuses it"; return 1; }
			[ -f "$SCHEMAS/$cmd.json" ] || { echo "$cmd offers --json: no schema/$cmd.json"; return 1; }
		else
			[ "$refused" = yes ] || { echo "$cmd accepts --json but does not offer it"; return 1; }
			[ ! -e "$SCHEMAS/$cmd.json" ] || { echo "$cmd has no --json, but a schema"; return 1; }
		fi
	done < <("$SNP_CERTCTL_REAL" help --commands)
	for f in "$SCHEMAS"/*.json; do
		cmd=${f##*/}
		cmd=${cmd%.json}
		[ "$cmd" = common ] || "$SNP_CERTCTL_REAL" help --commands | grep -q "^$cmd"$'\t' ||
			{ echo "schema/$cmd.json: no such command"; return 1; }
	done
}

@test "--json: a missing file, the platform, the KDS: the error document" {
	run --separate-stderr certctl show --json "$T/none.certs"
	assert_failure 1
	error_doc 1 "cannot read '$T/none.certs': No such file or directory"
	# (the product named: on a host whose CPU is not an AMD SNP one, detection fails first)
	SNP_CERTCTL_PRODUCT=Milan SNP_CERTCTL_DEVICE="$T/no-sev" run --separate-stderr \
		certctl refresh --json
	assert_failure 5
	error_doc 5 "cannot open '$T/no-sev': No such file or directory"
	assert_equal "$stderr" "snp-certctl: cannot open '$T/no-sev': No such file or directory"
	SNP_CERTCTL_KDS_DEADLINE=1 run --separate-stderr certctl fetch ca --json --product Milan \
		--kds-url http://127.0.0.1:1 -o "$T/ca.pem"
	assert_failure 6
	json_ok --arg url "http://127.0.0.1:1" \
		'.error.exit == 6 and (.error.message | startswith("cannot connect to KDS at '"'"'" + $url))'
	assert_equal "${stderr##*$'\n'}" "snp-certctl: $(jq -r .error.message <<<"$output")"
}

@test "--json: a lock not had in time is the error document (exit 3)" {
	sample_table "$T/t.certs"
	"$SNP_CERTCTL" lock "$T/t.certs" -- sh -c ': >"$0"; exec sleep 3' "$T/.held" 3>&- &
	wait_file "$T/.held"
	run --separate-stderr certctl update --json --timeout 0.2 "$T/t.certs" \
		--vcek "$SAMPLE_VCEK"
	wait
	assert_failure 3
	json_ok --arg f "$T/t.certs" '.error.exit == 3 and
		(.error.message | startswith("cannot lock '"'"'" + $f + "'"'"' within 0.2s: held by "))'
}

@test "--json: verify, locks and recover that fail carry \"error\" after what they report" {
	sample_table "$T/t.certs"
	# A chain that does not verify at a time outside its validity.
	run --separate-stderr certctl verify --json --at 2100-01-01 "$T/t.certs"
	assert_failure 4
	json_ok --arg f "$T/t.certs" '.file == $f and .path == $f and .ok == false
		and .error == {message: ("'"'"'" + $f + "'"'"' failed verification"), exit: 4}'
	run --separate-stderr certctl locks --json "$T/t.certs" "$T/none.certs"
	assert_failure 1
	json_ok --arg f "$T/t.certs" '.files == [{file: $f, path: $f, awaiting_recovery: false, locks: []}]
		and .error.exit == 1 and (.error.message | contains("none.certs"))'
	run --separate-stderr certctl recover --json "$T/t.certs" "$T/none.certs"
	assert_failure 1
	json_ok --arg f "$T/t.certs" '.tables[0] == {file: $f, path: $f, result: "clean"}
		and .tables[1].result == "error" and .error.exit == 1'
}

@test "--json: a table is file as given and path absolute, in every command" {
	sample_table "$T/t.certs"
	mkdir "$T/sub"
	ln -s .. "$T/sub/up"
	cd "$T/sub"
	run -0 certctl show --json up/t.certs
	json_ok --arg p "$T/t.certs" '.file == "up/t.certs" and .path == $p'
	run -0 certctl verify --json ../t.certs
	json_ok --arg p "$T/t.certs" '.file == "../t.certs" and .path == $p'
	run -0 certctl locks --json ../t.certs
	json_ok --arg p "$T/t.certs" '.files[0].file == "../t.certs" and .files[0].path == $p'
	run -0 certctl recover --json ../t.certs
	json_ok --arg p "$T/t.certs" '.tables[0].file == "../t.certs" and .tables[0].path == $p'
	run -0 certctl build --json -o new.certs --vcek "$SAMPLE_VCEK"
	json_ok --arg p "$T/sub/new.certs" '.file == "new.certs" and .path == $p'
	run -0 certctl extract --json -d "$T/sub" ../t.certs
	json_ok --arg p "$T/t.certs" '.file == "../t.certs" and .path == $p'
}
