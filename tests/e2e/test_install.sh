#!/usr/bin/env bash
# `make install` into a staging DESTDIR, then `make uninstall`: what install puts where, that
# the installed binary finds its shim, that the bash completion loads and completes each
# subcommand's options (the same as its --help and getopt table), workload names and values;
# and that uninstall leaves no file behind. Needs no root: everything goes below $TMP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/options.sh"

DEST="$TMP/stage"
P=/usr/local
D="$DEST$P"
COMP="$D/share/bash-completion/completions/jitmem"

# mk TARGET: make TARGET with this DESTDIR and PREFIX, installing $BUILD as built (-o: never
# rebuilt here, whatever its flags), outside any make that runs this test.
mk() {
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -o "$BUILD/jitmem" -o "$BUILD/libjitshim.so" \
                BUILD="$BUILD" DESTDIR="$DEST" PREFIX="$P" "$1"
}

if ! command -v make >/dev/null; then
        skip "make is not installed: make install is not tried"
        finish test_install
        exit
fi
check "$BUILD/jitmem and $BUILD/libjitshim.so are built" -- test -x "$BUILD/jitmem" -a -f "$BUILD/libjitshim.so"

mk install > "$TMP/install.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=$P exits 0 ($(head -c 300 "$TMP/install.out"))"
check "the binary is installed, executable" -- test -x "$D/bin/jitmem"
check "the shim is installed" -- test -f "$D/lib/jitmem/libjitshim.so"
check "the man page is installed" -- test -f "$D/share/man/man1/jitmem.1"
check "the bash completion is installed" -- test -f "$COMP"
check "the workloads' common module is installed" -- test -f "$D/share/jitmem/workloads/_common.py"
check "webapp's request mix is installed" -- test -f "$D/share/jitmem/workloads/webapp-mix.txt"
WORKLOADS=$(workloads_in_help)
check "compare --help names workloads" -- test -n "$WORKLOADS"
for w in $WORKLOADS; do
        check "workload $w is installed" -- test -f "$D/share/jitmem/workloads/$w.py"
done
cmp -s "$BUILD/jitmem" "$D/bin/jitmem"; ok $? "the installed binary is $BUILD/jitmem"

# The installed binary finds its shim beside itself (../lib/jitmem).
env -u JITMEM_SHIM "$D/bin/jitmem" run --trace-jit --no-probe -q --out "$TMP/traced" -- true 2> "$TMP/traced.err"
ok $? "the installed jitmem runs --trace-jit with its installed shim ($(head -c 300 "$TMP/traced.err"))"
check "the traced run wrote events.jsonl" -- test -f "$TMP/traced/events.jsonl"

if command -v man >/dev/null; then
        found=$(man -M "$D/share/man" -w jitmem 2>/dev/null)
        check_eq "man finds the installed page" "$found" "$D/share/man/man1/jitmem.1"
else
        skip "man is not installed (Debian: man-db): the installed page is not looked up"
fi

# The completion.
spec=$(bash -c 'source "$1" && complete -p jitmem' _ "$COMP" 2>&1)
check "the completion loads and registers a function for jitmem ('$spec')" -- \
        grep -qE '^complete( -[a-zA-Z]+)* -F [A-Za-z_][A-Za-z0-9_]* jitmem$' <<< "$spec"
FN=$(sed -nE 's/.* -F ([A-Za-z_][A-Za-z0-9_]*) jitmem$/\1/p' <<< "$spec")

# comp WORD...: what the completion offers for the last WORD of the command line WORD...,
# one per line, sorted (the function driven as readline drives it: COMP_WORDS, COMP_CWORD).
comp() {
        (cd "$TMP" && bash -c '
                source "$1"; fn=$2; shift 2
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                "$fn" jitmem "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$FN" "$@") 2>/dev/null | sed '/^$/d' | sort -u
}
words() { printf '%s\n' "$@" | sort -u; }

if [ -n "$FN" ]; then
        check_eq "jitmem com<TAB>" "$(comp jitmem com)" "compare"
        check_eq "jitmem run --j<TAB>" "$(comp jitmem run --j)" "--jit"
        SUBS=$(subcommands)
        check_set "jitmem <TAB>: the subcommands of jitmem --help" "$(comp jitmem '')" "$SUBS"
        for sub in $SUBS; do
                check_set "jitmem $sub -<TAB>: the options src/cli/cmd_$sub.c accepts" "$(comp jitmem "$sub" -)" "$(accepted "$sub")"
                longs=$(comp jitmem "$sub" --)
                check_set "jitmem $sub --<TAB>: the long options src/cli/cmd_$sub.c accepts" "$longs" "$(getopt_long_opts "$sub")"
                check_eq "options jitmem $sub --help lists that jitmem $sub --<TAB> does not offer" \
                        "$(missing "$(help_listed "$sub" | grep -- '^--')" "$longs")" ""
                check_eq "options jitmem $sub --<TAB> offers that jitmem $sub --help never names" \
                        "$(missing "$longs" "$(help_mentioned "$sub")")" ""
                # Which options take an argument: after one, the completion completes its value.
                want=$( { grep -oE '\{ *"[a-z0-9-]+", *required_argument' "src/cli/cmd_$sub.c" | sed -E 's/\{ *"([^"]*)".*/--\1/'
                          grep -oE 'getopt_long\(argc, argv, "[^"]*"' "src/cli/cmd_$sub.c" | head -n 1 |
                                sed -E 's/.*"([^"]*)"/\1/' | grep -oE '[A-Za-z0-9]:' | sed -E 's/(.):/-\1/'; } | sort -u)
                got=$(bash -c 'source "$1"; for o in $(_jitmem_options "$2" flags) $(_jitmem_options "$2" args); do
                                _jitmem_takes_arg "$2" "$o" && printf "%s\n" "$o"; done' _ "$COMP" "$sub" | sort -u)
                check_set "the options of jitmem $sub the completion takes an argument for" "$got" "$want"
        done
        # run and compare stop at the command: an option's argument is not the command, a word
        # after a flag is.
        for sub in run compare; do
                longs=$(getopt_long_opts "$sub")
                args=$(bash -c 'source "$1"; _jitmem_options "$2" args' _ "$COMP" "$sub")
                for o in $args; do
                        check_set "jitmem $sub $o VALUE --<TAB>: still options" "$(comp jitmem "$sub" "$o" value --)" "$longs"
                done
                check "jitmem $sub --force prog --<TAB>: prog's arguments, not jitmem's options" -- \
                        test "$(comp jitmem "$sub" --force prog --)" != "$longs"
                check "jitmem $sub -- prog --<TAB>: prog's arguments, not jitmem's options" -- \
                        test "$(comp jitmem "$sub" -- prog --)" != "$longs"
        done
        check "jitmem run -- ba<TAB> offers commands (bash)" -- grep -qx bash <<< "$(comp jitmem run -- ba)"

        # Values.
        jitvals=$(help_of run | sed -nE 's/.*--jit ([a-z|]+).*/\1/p' | head -n 1 | tr '|' '\n' | sort -u)
        check "run --help gives --jit's values" -- test -n "$jitvals"
        check_set "jitmem run --jit <TAB>: the values of run --help" "$(comp jitmem run --jit '')" "$jitvals"
        check_set "jitmem run --jit=o<TAB> (split at '=')" "$(comp jitmem run --jit = o)" "$(words off on)"
        check_set "jitmem run --jit=<TAB> (split at '=')" "$(comp jitmem run --jit =)" "$jitvals"
        check_set "jitmem compare --workload <TAB>: the workloads of compare --help" "$(comp jitmem compare --workload '')" "$WORKLOADS"
        check_eq "jitmem compare --workload d<TAB>" "$(comp jitmem compare --workload d)" "dynamic"
        mkdir -p "$TMP/runs/r-one" "$TMP/runs/r-two"
        printf '1 GET /\n' > "$TMP/runs/mix.txt"
        check_set "jitmem analyze runs/r<TAB>: directories" "$(comp jitmem analyze runs/r)" "$(words runs/r-one runs/r-two)"
        check_eq "jitmem compare --requests runs/m<TAB>: files" "$(comp jitmem compare --requests runs/m)" "runs/mix.txt"
        check_set "jitmem run --out runs/<TAB>: directories" "$(comp jitmem run --out runs/)" "$(words runs/r-one runs/r-two)"
        check "jitmem watch <TAB> offers this shell's PID" -- grep -qx "$$" <<< "$(comp jitmem watch '')"
fi

mk uninstall > "$TMP/uninstall.out" 2>&1
ok $? "make uninstall DESTDIR=... PREFIX=$P exits 0 ($(head -c 300 "$TMP/uninstall.out"))"
left=$(cd "$DEST" && find . ! -type d | sort | tr '\n' ' ')
check_eq "files left after make uninstall" "$left" ""
check "uninstall removes share/jitmem" -- test ! -e "$D/share/jitmem"
check "uninstall removes lib/jitmem" -- test ! -e "$D/lib/jitmem"

# Installed again, with the bytecode caches Python writes beside the workloads it runs.
mk install > "$TMP/install.out" 2>&1
ok $? "make install a second time exits 0"
"$PY" -m py_compile "$D/share/jitmem/workloads/_common.py"
check "Python wrote a bytecode cache beside the workloads" -- test -d "$D/share/jitmem/workloads/__pycache__"
mk uninstall > "$TMP/uninstall.out" 2>&1
ok $? "make uninstall a second time exits 0"
left=$(cd "$DEST" && find . ! -type d | sort | tr '\n' ' ')
check_eq "files left after make uninstall of a tree whose workloads ran" "$left" ""
check "share/jitmem removed with its bytecode cache" -- test ! -e "$D/share/jitmem"
mk uninstall > "$TMP/uninstall.out" 2>&1
ok $? "make uninstall of a tree already uninstalled exits 0"

finish test_install
