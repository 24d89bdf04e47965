#!/usr/bin/env bash
# The manual page (docs/jitmem.1) against the program: every subcommand of `jitmem --help`
# has a section; every option each subcommand accepts (its getopt_long table) and every
# option its --help lists is documented in that section, and the section documents no
# option the subcommand does not accept; the --help texts list every option accepted; the
# exit-status table has every status the --help texts and README.md give, for the commands
# they give it for; the page renders without warnings. And README.md's package list is the one
# .ci/run installs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/options.sh"

MAN=docs/jitmem.1

# unroff: roff source to plain words: font escapes dropped, \- and \(aq to ASCII.
unroff() { sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/\\\(aq/'"'"'/g; s/\\e/\\/g'; }

# man_options SUB: the options named in the tags (the line after .TP) of the .SS SUB section
# of COMMANDS.
man_options() {
        awk -v sub_="$1" '
                /^\.SH / { sh = substr($0, 5); gsub(/"/, "", sh); ss = ""; next }
                /^\.SS / { ss = substr($0, 5); gsub(/"/, "", ss); next }
                /^\.TP/ { tag = 1; next }
                tag { tag = 0; if (sh == "COMMANDS" && ss == sub_) print }
        ' "$MAN" | unroff | tr ' ,"|' '\n' | grep -E '^--?[A-Za-z0-9][A-Za-z0-9-]*$' | sort -u
}

# man_exit: one line per entry of EXIT STATUS: "STATUS<TAB>its text, in roff".
man_exit() {
        awk '
                function flush() { if (st != "") print st "\t" body; st = ""; body = "" }
                /^\.SH / { flush(); sh = substr($0, 5); gsub(/"/, "", sh); next }
                sh != "EXIT STATUS" { next }
                /^\.TP/ { flush(); tag = 1; next }
                tag { tag = 0; st = $0; next }
                st != "" { body = body " " $0 }
                END { flush() }
        ' "$MAN"
}

# exit_clauses OWN: reads an exit-status text on stdin; prints "STATUS NAME..." for each
# status, NAME being each command named "NAME:" in its clauses, or OWN when none is.
exit_clauses() {
        tr ';,' '\n' | awk -v own="$1" -v subs="${SUBS//$'\n'/ }" '
                BEGIN { n = split(subs, S, " ") }
                {
                        if (match($0, /^[ \t]*[0-9]+([ \t.]|$)/)) {
                                st = $0; sub(/^[ \t]*/, "", st); sub(/[^0-9].*/, "", st)
                                if (!(st in names)) { order[++k] = st; names[st] = "" }
                        }
                        if (st == "") next
                        for (i = 1; i <= n; i++)
                                if (index($0, S[i] ":") && $0 ~ ("(^|[^a-z])`?" S[i] "`?:"))
                                        names[st] = names[st] " " S[i]
                }
                END { for (i = 1; i <= k; i++) { s = order[i]; print s (names[s] == "" ? " " own : names[s]) } }
        '
}

# help_exit SUB: the exit-status text of SUB's --help (from "Exit status:" to the end of its
# paragraph); SUB empty: of `jitmem --help`.
help_exit() {
        help_of "$1" | awk '/Exit status:/ { on = 1; sub(/.*Exit status:/, ""); print; next }
                            on && /^$/ { exit } on { print }'
}

# check_exit_entry SOURCE STATUS NAME...: the manual's entry for STATUS exists and names each
# NAME in bold (or says it holds in every command).
check_exit_entry() {
        local src=$1 st=$2 body name; shift 2
        body=$(awk -F '\t' -v s="$st" '$1 == s { print $2 }' "$TMP/man-exit.txt")
        check "man EXIT STATUS has $st ($src gives it)" -- test -n "$body"
        [ -n "$body" ] || return
        for name in "$@"; do
                case $body in
                *"\\fB$name\\fR"* | *"every command"*) ok 0 "" ;;
                *) ok 1 "man EXIT STATUS $st names $name ($src gives $st for $name)" ;;
                esac
        done
}

SUBS=$(subcommands)
man_exit > "$TMP/man-exit.txt"
check "jitmem --help lists subcommands" -- test -n "$SUBS"
for sub in $SUBS; do
        "$JITMEM" "$sub" --help > "$TMP/help-$sub.txt" 2>&1
        ok $? "jitmem $sub --help exits 0"
        G=$(accepted "$sub")
        H=$(help_listed "$sub")
        M=$(man_options "$sub")
        check "src/cli/cmd_$sub.c has a getopt_long table" -- test -n "$(getopt_long_opts "$sub")"
        check "man SYNOPSIS shows jitmem $sub" -- grep -qxF ".B jitmem $sub" "$MAN"
        check "man has a section for $sub" -- test -n "$M"

        m=$(missing "$H" "$G")
        check_eq "options jitmem $sub --help lists but does not accept" "$m" ""
        m=$(missing "$(getopt_long_opts "$sub")" "$(help_mentioned "$sub")")
        check_eq "options jitmem $sub accepts that its --help never names" "$m" ""
        m=$(missing "$(getopt_short_opts "$sub")" "$H")
        check_eq "short options jitmem $sub accepts that its --help does not list" "$m" ""
        m=$(missing "$(printf '%s\n%s\n' "$G" "$H")" "$M")
        check_eq "options of jitmem $sub missing from the man page's $sub section" "$m" ""
        m=$(missing "$M" "$G")
        check_eq "options in the man page's $sub section that jitmem $sub does not accept" "$m" ""
done

# Exit statuses: every status each --help and the README's table give is in the manual's table,
# named for the commands they give it for.
while read -r st names; do
        # shellcheck disable=SC2086
        check_exit_entry "jitmem --help" "$st" $names
done < <(help_exit "" | exit_clauses "")
for sub in $SUBS; do
        n=$(help_exit "$sub" | exit_clauses "$sub" | wc -l)
        check "jitmem $sub --help gives exit statuses" -- test "$n" -ge 2
        while read -r st names; do
                # shellcheck disable=SC2086
                check_exit_entry "jitmem $sub --help" "$st" $names
        done < <(help_exit "$sub" | exit_clauses "$sub")
done
readme_rows=$(grep -E '^\| *[0-9]+ *\|' README.md | sed -E 's/^\| *([0-9]+) *\|/\1 /')
check "README.md has an exit-status table" -- test -n "$readme_rows"
while read -r st names; do
        # shellcheck disable=SC2086
        check_exit_entry "README.md" "$st" $names
done < <(printf '%s\n' "$readme_rows" | exit_clauses "")

# The README's package list is CI's (.ci/run installs what a fresh Debian lacks).
readme_pkgs=$(grep -E '^(sudo )?apt-get install ' README.md | head -n 1 | sed -E 's/^(sudo )?apt-get install //; s/#.*//' | tr ' ' '\n' | grep -v '^-')
ci_pkgs=$(sed -nE 's/^[[:space:]]*for pkg in (.*); do.*/\1/p' .ci/run | head -n 1 | tr ' ' '\n')
check "README.md has an apt-get install line" -- test -n "$readme_pkgs"
check ".ci/run has a package list" -- test -n "$ci_pkgs"
check_eq "packages .ci/run installs that README.md's apt-get line lacks" "$(missing "$ci_pkgs" "$readme_pkgs")" ""
check_eq "packages README.md's apt-get line has that .ci/run does not install" "$(missing "$readme_pkgs" "$ci_pkgs")" ""

# Rendering.
if command -v groff >/dev/null; then
        warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
        check_eq "groff -man -Tutf8 -ww warnings" "$warn" ""
        groff -man -Tascii -P-c -P-b -P-u -P-o "$MAN" > "$TMP/man.txt" 2>/dev/null
        shown=$(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$TMP/man.txt" | sort -u)
        for sub in $SUBS; do
                m=$(missing "$(getopt_long_opts "$sub")" "$shown")
                check_eq "options of jitmem $sub the rendered page does not show" "$m" ""
        done
        check "the rendered page has EXIT STATUS" -- grep -q '^EXIT STATUS' "$TMP/man.txt"
else
        skip "groff is not installed (Debian: groff-base): the page's rendering is not checked"
fi
if command -v man >/dev/null; then
        warn=$(MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >"$TMP/man-l.txt")
        check_eq "man -l warnings" "$warn" ""
        check "man -l renders the page" -- grep -q 'jitmem analyze' "$TMP/man-l.txt"
else
        skip "man is not installed (Debian: man-db): man -l is not tried"
fi

finish test_docs
