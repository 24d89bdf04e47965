# shellcheck shell=bash
# Helpers shared by test_docs.sh and test_install.sh: the subcommands and options jitmem
# accepts, read from its --help texts and from the getopt_long tables in src/cli/cmd_*.c.
# Sourced after lib.sh (uses $JITMEM and $TMP). Each function prints one name per line, sorted.

# help_of [SUB]: SUB's --help (none: jitmem --help), run once and kept in $TMP.
help_of() {
        local f="$TMP/help-${1:-jitmem}.txt"
        if [ ! -s "$f" ]; then
                if [ -n "${1:-}" ]; then "$JITMEM" "$1" --help > "$f" 2>&1; else "$JITMEM" --help > "$f" 2>&1; fi
        fi
        cat "$f"
}

# subcommands: the commands listed under "Commands:" in `jitmem --help`.
subcommands() {
        help_of | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort -u
}

# help_listed SUB: the options in the option column of SUB's --help: on a line that begins
# with an option, each option and its one argument word ("-o, --out DIR"), as long as the
# next word is an option again (after two spaces: "--rate R  --duration DUR").
help_listed() {
        help_of "$1" | awk '
                /^  +-/ {
                        line = $0; sub(/^ +/, "", line)
                        n = split(line, seg, /  +/)
                        for (i = 1; i <= n && seg[i] ~ /^-/; i++) {
                                m = split(seg[i], tok, /[ ,]+/)
                                plain = 0
                                for (j = 1; j <= m; j++) {
                                        if (tok[j] ~ /^--?[A-Za-z0-9][A-Za-z0-9-]*$/) { print tok[j]; plain = 0 }
                                        else if (++plain > 1) break
                                }
                        }
                }' | sort -u
}

# help_mentioned SUB: every long option named anywhere in SUB's --help.
help_mentioned() {
        help_of "$1" | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# getopt_long_opts SUB: the long options of the getopt_long table in src/cli/cmd_SUB.c, as --NAME.
getopt_long_opts() {
        grep -oE '\{ *"[a-z0-9][a-z0-9-]*", *(no|required|optional)_argument' "src/cli/cmd_$1.c" |
                sed -E 's/\{ *"([^"]*)".*/--\1/' | sort -u
}

# getopt_short_opts SUB: the short options of the getopt_long call in src/cli/cmd_SUB.c, as -X.
getopt_short_opts() {
        grep -oE 'getopt_long\(argc, argv, "[^"]*"' "src/cli/cmd_$1.c" | head -n 1 |
                sed -E 's/.*"([^"]*)"/\1/; s/[+:-]//g' | grep -oE '.' | sed 's/^/-/' | sort -u
}

# accepted SUB: every option SUB accepts, long and short.
accepted() {
        { getopt_long_opts "$1"; getopt_short_opts "$1"; } | sort -u
}

# workloads_in_help: the workload names compare --help lists for --workload ("a bundled
# workload: A, B, ... or Z (...)").
workloads_in_help() {
        help_of compare | tr '\n' ' ' | tr -s ' ' |
                sed -nE 's/.*--workload NAME a bundled workload: ([^(]*)\(.*/\1/p' |
                sed -E 's/,? or / /g; s/,/ /g' | tr ' ' '\n' | grep -E '^[a-z0-9_-]+$' | sort -u
}

# missing WANT HAVE: the lines of WANT (a list) that are not in HAVE (a list), space-separated.
missing() {
        comm -23 <(printf '%s\n' "$1" | sed '/^$/d' | sort -u) <(printf '%s\n' "$2" | sed '/^$/d' | sort -u) | tr '\n' ' ' | sed 's/ $//'
}

# check_set MESSAGE GOT WANT: the lists GOT and WANT hold the same names (a check of lib.sh's).
check_set() {
        local m e
        m=$(missing "$3" "$2")
        e=$(missing "$2" "$3")
        if [ -z "$m$e" ]; then ok 0 ""; else ok 1 "$1: missing '$m', not expected '$e'"; fi
}
