# fish completion for snp-certctl(1)
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installed as $datadir/fish/vendor_completions.d/snp-certctl.fish.  The
# commands come from the program being completed, which prints its command
# table with the hidden `snp-certctl help --commands` ("NAME<TAB>SUMMARY"
# lines, what fish shows as candidate and description); when it cannot be
# run, no command is offered.  The option lists are those of
# `snp-certctl COMMAND --help`; tests/cli/docs.bats checks them against the
# program.

# The program's command table: "NAME<TAB>SUMMARY" per command, or nothing.
function __snp_certctl_commands
    set -l prog (commandline -opc)[1]
    set prog (string replace -r '^~' -- $HOME $prog)
    if string match -q -- '*/*' $prog
        test -x $prog; or return 0
    else
        command -q -- $prog; or return 0
    end
    $prog help --commands 2>/dev/null
end

# The command on the line (the first word that is not a global option or its
# argument), or nothing.
function __snp_certctl_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -C --config --store
                set skip 1
            case '-*'
            case '*'
                echo $t
                return 0
        end
    end
    return 1
end

function __snp_certctl_needs_command
    not __snp_certctl_command >/dev/null
end

# Is the command one of $argv (and, for lock and fw-update, are we before '--')?
function __snp_certctl_using
    set -l cmd (__snp_certctl_command); or return 1
    contains -- $cmd $argv; or return 1
    not __snp_certctl_after_dd
end

# Is the command one the program has (and are we before a '--')?
function __snp_certctl_using_any
    set -l cmd (__snp_certctl_command); or return 1
    contains -- $cmd (__snp_certctl_commands | string replace -r '\t.*' ''); or return 1
    not __snp_certctl_after_dd
end

# After '--' of lock or fw-update: a command line of its own.
function __snp_certctl_after_dd
    set -l cmd (__snp_certctl_command); or return 1
    contains -- $cmd lock fw-update; or return 1
    contains -- -- (commandline -opc)
end

function __snp_certctl_complete_after_dd
    set -l tokens (commandline -opc)
    set -l i (contains -i -- -- $tokens)
    set -e tokens[1..$i]
    if test (count $tokens) -eq 0
        __fish_complete_command
    else
        __fish_complete_subcommand --commandline $tokens (commandline -ct)
    end
end

# The tables of the store: --store on the line, $SNP_CERTCTL_STORE or the
# default; its regular files whose names do not start with '.'.
function __snp_certctl_store_tables
    set -l store /var/lib/snp-certctl
    set -q SNP_CERTCTL_STORE[1]; and test -n "$SNP_CERTCTL_STORE"; and set store $SNP_CERTCTL_STORE
    set -l tokens (commandline -opc)
    set -l i (contains -i -- --store $tokens)
    and set -q tokens[(math $i + 1)]
    and set store $tokens[(math $i + 1)]
    for f in $store/*
        test -f $f; and echo $f\ttable
    end
end

set -l table_commands show verify extract update lock locks recover refresh fw-update vlek-load

complete -c snp-certctl -f

# Global options.
complete -c snp-certctl -n __snp_certctl_needs_command -s C -l config -r -F -d 'configuration file'
complete -c snp-certctl -n __snp_certctl_needs_command -l store -x -a '(__fish_complete_directories)' -d 'directory of managed tables'
complete -c snp-certctl -n __snp_certctl_needs_command -l json -d 'machine-readable output on stdout'
complete -c snp-certctl -n __snp_certctl_needs_command -s q -l quiet -d 'only errors on stderr'
complete -c snp-certctl -n __snp_certctl_needs_command -s v -l verbose -d 'more detail on stderr'
complete -c snp-certctl -n __snp_certctl_needs_command -s h -l help -d 'list the commands'
complete -c snp-certctl -n __snp_certctl_needs_command -l version -d 'print the version'

# The commands.
complete -c snp-certctl -n __snp_certctl_needs_command -a '(__snp_certctl_commands)'

# Every command: --help; table arguments.
complete -c snp-certctl -n __snp_certctl_using_any -s h -l help -d 'show the usage of the command'
complete -c snp-certctl -n "__snp_certctl_using $table_commands" -F -a '(__snp_certctl_store_tables)'

# build
complete -c snp-certctl -n '__snp_certctl_using build' -s o -l output -r -F -d 'the table to write'
complete -c snp-certctl -n '__snp_certctl_using build' -l vcek -r -F -d 'the VCEK'
complete -c snp-certctl -n '__snp_certctl_using build' -l vlek -r -F -d 'the VLEK'
complete -c snp-certctl -n '__snp_certctl_using build' -l ask -r -F -d 'the ASK that signed the VCEK'
complete -c snp-certctl -n '__snp_certctl_using build' -l asvk -r -F -d 'the ASVK that signed the VLEK'
complete -c snp-certctl -n '__snp_certctl_using build' -l ark -r -F -d 'the AMD root key'
complete -c snp-certctl -n '__snp_certctl_using build' -l crl -r -F -d 'the CRL, signed by the ARK'
complete -c snp-certctl -n '__snp_certctl_using build' -l entry -x -d 'an opaque extra entry: GUID=FILE'
complete -c snp-certctl -n '__snp_certctl_using build' -l from-dir -x -a '(__fish_complete_directories)' -d 'take the files from a certificate directory'
complete -c snp-certctl -n '__snp_certctl_using build' -l no-verify -d 'do not verify the chain'
complete -c snp-certctl -n '__snp_certctl_using build' -l force -d 'replace an existing table in place'
complete -c snp-certctl -n '__snp_certctl_using build' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using build' -l json -d 'print the result as JSON'

# show
complete -c snp-certctl -n '__snp_certctl_using show' -l json -d 'one JSON document on stdout'
complete -c snp-certctl -n '__snp_certctl_using show' -l url -d "this host's KDS URLs instead of a table"
complete -c snp-certctl -n '__snp_certctl_using show' -l product -x -a 'Milan Genoa Turin' -d 'with --url: the product instead of detecting it'

# verify
complete -c snp-certctl -n '__snp_certctl_using verify' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using verify' -l tcb -x -d 'the key must be for this TCB'
complete -c snp-certctl -n '__snp_certctl_using verify' -l hwid -x -d 'the key must be for this chip id'
complete -c snp-certctl -n '__snp_certctl_using verify' -l platform -d "the key must be for this platform"
complete -c snp-certctl -n '__snp_certctl_using verify' -l product -x -a 'Milan Genoa Turin' -d 'the product when CPUID cannot tell'
complete -c snp-certctl -n '__snp_certctl_using verify' -l at -x -d 'check validity at TIME'
complete -c snp-certctl -n '__snp_certctl_using verify' -l json -d 'one JSON document on stdout'
complete -c snp-certctl -n '__snp_certctl_using verify' -l hashstick -r -F -d 'check this hashstick instead of a table'

# broker
complete -c snp-certctl -n '__snp_certctl_using broker' -l listen -x -a 'vsock:5577 unix:' -d 'where to listen'
complete -c snp-certctl -n '__snp_certctl_using broker' -l qmp -r -F -d 'the QMP socket of the VM behind the unix listeners'
complete -c snp-certctl -n '__snp_certctl_using broker' -l qmp-dir -x -a '(__fish_complete_directories)' -d 'vsock guests QMP sockets'
complete -c snp-certctl -n '__snp_certctl_using broker' -s d -l dir -x -a '(__fish_complete_directories)' -d 'the chain directory'
complete -c snp-certctl -n '__snp_certctl_using broker' -l trust-root -r -F -d 'also trust this ARK'
complete -c snp-certctl -n '__snp_certctl_using broker' -l max-connections -x -d 'at most N connections at once'
complete -c snp-certctl -n '__snp_certctl_using broker' -l rate -x -d 'evidence requests per minute per guest'
complete -c snp-certctl -n '__snp_certctl_using broker' -l timeout -x -d 'each connection deadline'
complete -c snp-certctl -n '__snp_certctl_using broker' -l syslog -d 'log to syslog'

# sev-export
complete -c snp-certctl -n '__snp_certctl_using sev-export' -s d -l dir -x -a '(__fish_complete_directories)' -d 'the chain directory'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l product -x -a 'naples rome milan genoa turin' -d 'the generation'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l trust-root -r -F -d 'also trust this ARK (AMD CA format, or ASK and ARK)'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS or a mirror'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l kds-mirror -x -d 'ask this mirror first, then KDS'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l offline -d 'use the cache only'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using sev-export' -l json -d 'one JSON document on stdout'

# sev-verify
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l report -r -F -d 'also check this attestation report'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l mnonce -x -d 'the report must carry this mnonce'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l product -x -a 'naples rome milan genoa turin' -d 'the generation'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l trust-root -r -F -d 'also trust this ARK (AMD CA format)'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -l json -d 'one JSON document on stdout'
complete -c snp-certctl -n '__snp_certctl_using sev-verify' -F -a '(__fish_complete_directories)'

# extract
complete -c snp-certctl -n '__snp_certctl_using extract' -s d -l directory -x -a '(__fish_complete_directories)' -d 'where to write'
complete -c snp-certctl -n '__snp_certctl_using extract' -l der -d 'write certificates as DER'
complete -c snp-certctl -n '__snp_certctl_using extract' -l json -d 'list the files written as JSON'

# status
complete -c snp-certctl -n '__snp_certctl_using status' -l product -x -a 'Milan Genoa Turin' -d 'decode as this product'
complete -c snp-certctl -n '__snp_certctl_using status' -l json -d 'one JSON document on stdout'

# check
complete -c snp-certctl -n '__snp_certctl_using check' -l online -d 'also check the cache and that KDS answers'
complete -c snp-certctl -n '__snp_certctl_using check' -l product -x -a 'Milan Genoa Turin' -d 'take the product to be this'
complete -c snp-certctl -n '__snp_certctl_using check' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS or a mirror'
complete -c snp-certctl -n '__snp_certctl_using check' -l kds-mirror -x -d 'the mirror for kds-mirror'
complete -c snp-certctl -n '__snp_certctl_using check' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using check' -l json -d 'one JSON document on stdout'

# fetch
complete -c snp-certctl -n '__snp_certctl_using fetch; and not __fish_seen_subcommand_from vcek ca crl vlek hashsticks cek' -a 'vcek ca crl vlek hashsticks cek'
complete -c snp-certctl -n '__snp_certctl_using fetch; and not __fish_seen_subcommand_from cek' -l product -x -a 'Milan Genoa Turin' -d 'the product'
complete -c snp-certctl -n '__snp_certctl_using fetch; and __fish_seen_subcommand_from cek' -l product -x -a 'naples rome milan genoa turin' -d 'the generation'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l id -x -d 'cek: the chip id, all of GET_ID2'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l hwid -x -d 'the chip id'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l tcb -x -d 'the reported TCB'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l platform -d "the platform's chip id and reported TCB"
complete -c snp-certctl -n '__snp_certctl_using fetch' -l vlek -d 'the VLEK chain (ASVK) instead of the VCEK chain'
complete -c snp-certctl -n '__snp_certctl_using fetch' -s o -l output -r -F -d 'write the result to PATH'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS or a mirror'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l kds-mirror -x -d 'ask this mirror first, then KDS'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l offline -d 'use the cache only'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l json -d 'describe the result as JSON'
complete -c snp-certctl -n '__snp_certctl_using fetch' -l client-cert -r -F -d "vlek, hashsticks: the provider's client certificate"
complete -c snp-certctl -n '__snp_certctl_using fetch' -l client-key -r -F -d "the client certificate's private key"
complete -c snp-certctl -n '__snp_certctl_using fetch' -l csp-url -x -a 'https://kdsintf.amd.com:444' -d 'the KDS endpoint for providers'

# update
complete -c snp-certctl -n '__snp_certctl_using update' -l vcek -r -F -d 'put this VCEK into the table'
complete -c snp-certctl -n '__snp_certctl_using update' -l vlek -r -F -d 'put this VLEK into the table'
complete -c snp-certctl -n '__snp_certctl_using update' -l ask -r -F -d 'put this ASK into the ASK/ASVK slot'
complete -c snp-certctl -n '__snp_certctl_using update' -l asvk -r -F -d 'put this ASVK into the ASK/ASVK slot'
complete -c snp-certctl -n '__snp_certctl_using update' -l ark -r -F -d 'put this ARK into the table'
complete -c snp-certctl -n '__snp_certctl_using update' -l crl -r -F -d 'put this CRL into the table'
complete -c snp-certctl -n '__snp_certctl_using update' -l entry -x -d 'put this opaque entry into the table: GUID=FILE'
complete -c snp-certctl -n '__snp_certctl_using update' -l remove -x -a 'vcek vlek ask asvk ark crl' -d 'remove an entry: GUID or kind'
complete -c snp-certctl -n '__snp_certctl_using update' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using update' -l no-verify -d 'do not verify the resulting chain'
complete -c snp-certctl -n '__snp_certctl_using update' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using update' -l json -d 'print the result as JSON'

# lock
complete -c snp-certctl -n '__snp_certctl_using lock' -s x -l exclusive -d "the exclusive (writer's) lock, the default"
complete -c snp-certctl -n '__snp_certctl_using lock' -s s -l shared -d "the shared (reader's) lock"
complete -c snp-certctl -n '__snp_certctl_using lock' -s w -l timeout -x -d 'wait at most SEC seconds for all the locks'

# locks
complete -c snp-certctl -n '__snp_certctl_using locks' -l json -d 'print the result as JSON'

# recover
complete -c snp-certctl -n '__snp_certctl_using recover' -l timeout -x -d "wait at most SEC seconds for each table's locks"
complete -c snp-certctl -n '__snp_certctl_using recover' -l json -d 'print the result as JSON'

# refresh
complete -c snp-certctl -n '__snp_certctl_using refresh' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS or a mirror'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l kds-mirror -x -d 'ask this mirror first, then KDS'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l offline -d 'use the cache only'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l dry-run -d 'say what would be done, change nothing'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l splay -x -d 'first wait a random time below SEC seconds'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l product -x -a 'Milan Genoa Turin' -d 'the product instead of detecting it'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using refresh' -l json -d 'one JSON document on stdout'

# fw-update
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l commit -d 'SNP_COMMIT after COMMAND: no rollback'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l force -d '--commit even while a table does not match the platform'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l reported-tcb -x -a current -d 'SNP_SET_CONFIG: report this TCB (SPEC or current)'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS or a mirror'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l kds-mirror -x -d 'ask this mirror first, then KDS'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l offline -d 'use the cache only'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l product -x -a 'Milan Genoa Turin' -d 'the product instead of detecting it'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using fw-update' -l json -d 'one JSON document on stdout'

# vlek-load
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l hashstick -r -F -d 'the wrapped VLEK (432 bytes) from the KDS'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l vlek -r -F -d 'the VLEK certificate'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l asvk -r -F -d 'the ASVK that signed it'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l ark -r -F -d 'the ARK'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l product -x -a 'Milan Genoa Turin' -d 'the product instead of detecting it'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using vlek-load' -l json -d 'one JSON document on stdout'

# mirror
complete -c snp-certctl -n '__snp_certctl_using mirror' -l hosts -r -F -d 'the fleet: status --json documents or lines'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l kds-url -x -a 'https://kdsintf.amd.com' -d 'KDS'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l cache -x -a '(__fish_complete_directories)' -d 'the cache directory'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l rate -x -d 'at most N requests per second'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l offline -d 'never ask KDS'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l trust-root -r -F -d 'also trust this AMD root'
complete -c snp-certctl -n '__snp_certctl_using mirror' -l json -d 'one JSON document on stdout'
complete -c snp-certctl -n '__snp_certctl_using mirror' -x -a '(__fish_complete_directories)'

# config
complete -c snp-certctl -n '__snp_certctl_using config' -l mask-chip-id -x -a 'on off' -d 'mask the chip id in reports, or stop'
complete -c snp-certctl -n '__snp_certctl_using config' -l mask-chip-key -x -a 'on off' -d 'stop signing reports with the VCEK, or sign again'
complete -c snp-certctl -n '__snp_certctl_using config' -l force -d 'mask even while a table holds a VCEK'
complete -c snp-certctl -n '__snp_certctl_using config' -l timeout -x -d 'wait at most SEC seconds for the locks'
complete -c snp-certctl -n '__snp_certctl_using config' -l product -x -a 'Milan Genoa Turin' -d 'the product instead of detecting it'
complete -c snp-certctl -n '__snp_certctl_using config' -l json -d 'one JSON document on stdout'

# metrics
complete -c snp-certctl -n '__snp_certctl_using metrics' -s o -l output -r -F -d 'write this file atomically instead of stdout'
complete -c snp-certctl -n '__snp_certctl_using metrics' -l product -x -a 'Milan Genoa Turin' -d 'the product instead of detecting it'

# help COMMAND
complete -c snp-certctl -n '__snp_certctl_using help' -a '(__snp_certctl_commands)'

# lock ... -- COMMAND, fw-update ... -- COMMAND
complete -c snp-certctl -n __snp_certctl_after_dd -x -a '(__snp_certctl_complete_after_dd)'
