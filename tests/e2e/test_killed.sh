#!/usr/bin/env bash
# jitmem itself killed outright (SIGKILL, which it cannot catch), at several moments of `run`
# and `compare`: nothing it started outlives it, neither the command (PR_SET_PDEATHSIG) nor the
# command's own children in its process group (the group's guard). And a run directory that
# could not be written at all (a full file system at the start) is removed, and said so.
. "$(dirname "$0")/lib.sh"

# survivors MARK: the PIDs of processes whose command line holds MARK (pgrep leaves itself out).
survivors() { pgrep -f -- "$1" | tr '\n' ' '; }

# gone MARK: waits up to 5 s for every process holding MARK to be gone; 0 when they are.
gone() {
        local i
        for i in $(seq 1 50); do
                [ -z "$(survivors "$1")" ] && return 0
                sleep 0.1
        done
        return 1
}

# A command whose own child stays in its group, both holding a marker of their own:
# sh -c 'heapgrow MARK & heapgrow MARK; :'
tree_cmd() { echo "\"$FIX/heapgrow\" --mb 1 --hold-ms 60000 $1 & \"$FIX/heapgrow\" --mb 1 --hold-ms 60000 $1; :"; }

# 1. run: killed before the command starts, while it starts, and while it runs.
for at in 0.02 0.2 1; do
        mark="jitmem-killed-run-$$-$at"
        "$JITMEM" run -q --interval 20ms --out "$TMP/run-$at" -- sh -c "$(tree_cmd "$mark")" >/dev/null 2>&1 &
        jpid=$!
        sleep "$at"
        [ "$at" = 1 ] && before=$(survivors "$mark")
        kill -KILL $jpid
        wait $jpid 2>/dev/null
        check "run killed at $at s: nothing it started survives (left: $(survivors "$mark"))" -- gone "$mark"
done
# (the last moment had the whole tree up: the command, its child and the guard)
check "run killed at 1 s: the tree was up before ($before)" -- test "$(wc -w <<<"$before")" -ge 3

# 2. compare: killed in its first run, and in a later one.
for at in 0.5 2.5; do
        mark="jitmem-killed-compare-$$-$at"
        "$JITMEM" compare --runs 2 --interval 50ms --out "$TMP/cmp-$at" -- sh -c "$(tree_cmd "$mark")" >/dev/null 2>&1 &
        jpid=$!
        sleep "$at"
        kill -KILL $jpid
        wait $jpid 2>/dev/null
        check "compare killed at $at s: nothing it started survives (left: $(survivors "$mark"))" -- gone "$mark"
done

# 3. A run that ends normally leaves no guard behind, and its figures count only the command's
#    tree (the guard is jitmem's, not the command's).
mark="jitmem-killed-normal-$$"
"$JITMEM" run -q --interval 20ms --out "$TMP/normal" -- sh -c "\"$FIX/heapgrow\" --mb 1 --hold-ms 300 $mark" >/dev/null
check_eq "a normal run exits with the command's status" $? 0
check "a normal run: nothing left ($(survivors "$mark"))" -- test -z "$(survivors "$mark")"
jcheck "a normal run: the command and its child only" "$TMP/normal/summary.json" "d['tree']['max_processes'] == 2"

# 4. A full file system at the start (a 64 KiB tmpfs, filled): nothing can be recorded, and
#    the directories jitmem created for it are removed again, said in the error; a directory
#    that was there before is left.
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/tiny" && mount -t tmpfs -o size=64k tmpfs "$TMP/tiny" 2>/dev/null; then
        trap 'umount "$TMP_TOP/tiny" 2>/dev/null; rm -rf "$TMP_TOP"' EXIT
        dd if=/dev/zero of="$TMP/tiny/fill" bs=4k count=64 2>/dev/null
        err=$("$JITMEM" run -q --out "$TMP/tiny/r/one" -- true 2>&1); st=$?
        check_eq "full at the start: run -> 125" $st 125
        check_eq "full at the start: run says what failed and what it removed" "$err" \
                "jitmem: cannot write $TMP/tiny/r/one/meta.json: No space left on device (nothing was recorded: $TMP/tiny/r/one, which jitmem had created, was removed)"
        check "full at the start: no empty run directory left ($(ls "$TMP/tiny"))" -- test ! -e "$TMP/tiny/r"
        err=$("$JITMEM" compare --runs 1 --out "$TMP/tiny/c" -- true 2>&1); st=$?
        check_eq "full at the start: compare -> 1" $st 1
        check "full at the start: compare says what it removed (${err##*$'\n'})" -- \
                test "${err##*$'\n'}" = "jitmem: cannot write $TMP/tiny/c/runs/01-off/meta.json: No space left on device (nothing was recorded: $TMP/tiny/c, which jitmem had created, was removed)"
        check "full at the start: no empty comparison directory left ($(ls "$TMP/tiny"))" -- test ! -e "$TMP/tiny/c"
        mkdir "$TMP/tiny/mine"
        err=$("$JITMEM" run -q --out "$TMP/tiny/mine" -- true 2>&1); st=$?
        check_eq "full at the start, a directory of the user's: run -> 125" $st 125
        check "full at the start: a directory jitmem did not create is left ($err)" -- test -d "$TMP/tiny/mine"
        check "full at the start: and not said to be removed" -- test "${err%% (nothing*}" = "$err"
        umount "$TMP/tiny"
else
        skip "a full file system needs root and mount (tmpfs)"
fi

finish test_killed
