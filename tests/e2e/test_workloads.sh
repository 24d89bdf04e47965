#!/usr/bin/env bash
# End-to-end tests of the bundled workloads (workloads/*.py): the common command line, the
# parent's summary line, the progress protocol (JITMEM_PROGRESS_FD), determinism of the amount
# of work, and failures. Runs each workload at --scale 0.05, so the whole file takes seconds.
. "$(dirname "$0")/lib.sh"
W=workloads
WORKLOADS="numeric dynamic orm broad startup"

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' 2>/dev/null; then
        skip "test_workloads: $PY is missing or older than 3.8"
        finish test_workloads
        exit
fi

# run_workload NAME RUN: runs NAME with its progress on fd 7 into $TMP/NAME.RUN.progress and
# its stdout/stderr into $TMP/NAME.RUN.{out,err}; returns the exit status.
run_workload() {
        local st
        exec 7>"$TMP/$1.$2.progress"
        JITMEM_PROGRESS_FD=7 "$PY" "$W/$1.py" --scale 0.05 --workers 2 >"$TMP/$1.$2.out" 2>"$TMP/$1.$2.err"
        st=$?
        exec 7>&-
        return $st
}

# progress_total FILE: the sum of the lines, or "bad" if a line is not a plain integer.
progress_total() {
        if grep -qvE '^[0-9]+$' "$1"; then echo bad; return; fi
        awk '{ s += $1 } END { print s + 0 }' "$1"
}

for name in $WORKLOADS; do
        run_workload "$name" 1
        ok $? "$name: exits 0"
        check "$name: nothing on stderr" -- test ! -s "$TMP/$name.1.err"
        check "$name: stdout is one line" -- test "$(wc -l < "$TMP/$name.1.out")" -eq 1
        check "$name: summary line format" -- grep -qE "^$name: [0-9]+ units in [0-9]+\.[0-9]+ s\$" "$TMP/$name.1.out"
        total1=$(progress_total "$TMP/$name.1.progress")
        check "$name: progress lines are integers" -- test "$total1" != bad
        n=$total1; [ "$n" = bad ] && n=-1
        check "$name: progress total > 0" -- test "$n" -gt 0
        summary=$(sed -nE 's/^[a-z]+: ([0-9]+) units in .*/\1/p' "$TMP/$name.1.out")
        check_eq "$name: summary units = progress total (both processes)" "$summary" "$total1"
        check "$name: both processes report the same amount" -- test $((n % 2)) -eq 0

        run_workload "$name" 2
        ok $? "$name: second run exits 0"
        check_eq "$name: same total on a second run" "$(progress_total "$TMP/$name.2.progress")" "$total1"

        JITMEM_PROGRESS_FD=99 "$PY" "$W/$name.py" --scale 0.05 >"$TMP/$name.99.out" 2>"$TMP/$name.99.err"
        ok $? "$name: JITMEM_PROGRESS_FD=99 (not open) still exits 0"
        check "$name: ... and prints its summary" -- grep -qE "^$name: [0-9]+ units in" "$TMP/$name.99.out"

        "$PY" "$W/$name.py" --scale abc >"$TMP/$name.bad.out" 2>"$TMP/$name.bad.err"
        check_eq "$name: --scale abc exits 2" $? 2
        check "$name: usage message on stderr" -- grep -q "^usage: $name.py" "$TMP/$name.bad.err"
        check "$name: error names the bad value" -- grep -q "abc" "$TMP/$name.bad.err"
        check "$name: nothing on stdout for a usage error" -- test ! -s "$TMP/$name.bad.out"
done

# Unit counts that follow from each workload's definition.
check_eq "startup: 15 modules per process" "$(progress_total "$TMP/startup.1.progress")" 30
check_eq "numeric: 400 units x 0.05 x 2 processes" "$(progress_total "$TMP/numeric.1.progress")" 40

# A progress pipe whose reader is gone: writes fail with EPIPE, the work goes on.
"$PY" - "$W/numeric.py" <<'PYEOF'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
env = dict(os.environ, JITMEM_PROGRESS_FD=str(w))
p = subprocess.run([sys.executable, sys.argv[1], "--scale", "0.05", "--workers", "2"], env=env,
                   pass_fds=(w,), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
assert p.returncode == 0, p
assert p.stdout.startswith(b"numeric: 40 units in "), p.stdout
assert p.stderr == b"", p.stderr
PYEOF
ok $? "a broken progress pipe (EPIPE) does not stop the work"

# A malformed JITMEM_PROGRESS_FD is ignored.
JITMEM_PROGRESS_FD=seven "$PY" "$W/startup.py" >/dev/null 2>&1
ok $? "JITMEM_PROGRESS_FD=seven is ignored"

# --scale=S and --workers=N forms, --help, other usage errors.
out=$("$PY" "$W/startup.py" --scale=2 --workers=3 2>&1)
ok $? "--scale=S --workers=N accepted"
check "startup: 3 processes x 15 modules" -- test "${out%% in *}" = "startup: 45 units"
"$PY" "$W/numeric.py" --help >"$TMP/help.out" 2>&1
ok $? "--help exits 0"
check "--help shows the usage and the docstring" -- grep -q "usage: numeric.py" "$TMP/help.out"
for bad in "--workers 0" "--workers x" "--scale 0" "--scale -1" "--scale nan" "--scale" "--frobnicate"; do
        # shellcheck disable=SC2086
        "$PY" "$W/dynamic.py" $bad >/dev/null 2>"$TMP/bad.err"
        check_eq "dynamic $bad exits 2" $? 2
done

# A worker that fails makes the parent exit non-zero (the common code in workloads/_common.py).
"$PY" - "$W" >"$TMP/fail.out" 2>"$TMP/fail.err" <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import _common
parent = os.getpid()
def work(scale, progress):
    progress.add(1)
    if os.getpid() != parent:
        raise RuntimeError("worker failure on purpose")
_common.main("failing", work, "", ["failing.py", "--workers", "3"])
PYEOF
check_eq "a failing worker: parent exits 1" $? 1
check "the parent names the failed worker" -- grep -q "^failing: worker [0-9]* exited with status 1" "$TMP/fail.err"
check "the worker's traceback is shown" -- grep -q "worker failure on purpose" "$TMP/fail.err"
check "no summary line after a failure" -- test ! -s "$TMP/fail.out"

finish test_workloads
