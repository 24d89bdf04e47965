#!/usr/bin/env bash
# End-to-end tests of `jitmem compare --python A --python B ...`: interpreters side by side, each
# with the JIT off and (when it has one) on, every cell run once per round and every other round
# in reverse; comparison.json jitmem.compare/2 with each interpreter's own comparison, the
# matrix of medians and each interpreter against the first. Without JIT-enabled interpreters it
# runs on the system's Python (JIT off only); with JITMEM_TEST_PYTHON it runs them side by side.
. "$(dirname "$0")/lib.sh"

# A little work with progress, for the command form ({python} is each interpreter).
cat >"$TMP/work.py" <<'PY'
import os, sys
fd = int(os.environ.get("JITMEM_PROGRESS_FD", "-1"))
data = []
for i in range(40):
    data.append(bytearray(64 * 1024))
    sum(range(20000))
    if fd >= 0:
        os.write(fd, b"1\n")
PY

# 1. Usage: several --python with a command that does not say where the interpreter goes, with
#    --max-runs, and more interpreters than a comparison takes.
"$JITMEM" compare --python "$PY" --python "$PY" --out "$TMP/u1" -- "$PY" "$TMP/work.py" >/dev/null 2>"$TMP/u1.err"
check_eq "a command without {python}: usage error" $? 2
check "a command without {python}: says how" -- grep -q "the command says where the interpreter goes: -- {python} app.py" "$TMP/u1.err"
check "a command without {python}: nothing created" -- test ! -e "$TMP/u1"
"$JITMEM" compare --python "$PY" --python "$PY" --max-runs 9 --out "$TMP/u2" -- {python} "$TMP/work.py" >/dev/null 2>"$TMP/u2.err"
check_eq "--max-runs with several interpreters: usage error" $? 2
args=()
for _ in 1 2 3 4 5 6 7 8 9; do args+=(--python "$PY"); done
"$JITMEM" compare "${args[@]}" --out "$TMP/u3" -- {python} "$TMP/work.py" >/dev/null 2>"$TMP/u3.err"
check_eq "nine interpreters: usage error" $? 2
check "nine interpreters: says the most" -- grep -q "at most 8 interpreters" "$TMP/u3.err"
"$JITMEM" compare --python "$PY" --python /bin/true --out "$TMP/u4" -- {python} "$TMP/work.py" >/dev/null 2>"$TMP/u4.err"
check_eq "an --python that is not an interpreter: refused" $? 1
check "an --python that is not an interpreter: says which" -- grep -q "/bin/true is not a Python interpreter jitmem can probe" "$TMP/u4.err"

# 2. The same interpreter twice, no JIT: JIT off only, labels made unique, the order in rounds.
out="$TMP/m1"
"$JITMEM" compare --python "$PY" --python "$PY" --runs 3 --interval 20ms --no-report --out "$out" -- {python} "$TMP/work.py" \
        >"$TMP/m1.txt" 2>"$TMP/m1.err"
check_eq "no JIT, two interpreters: exits 0" $? 0
c="$out/comparison.json"
ver=$("$PY" -c 'import platform; print(platform.python_version())')
jcheck "schema 2, complete, 3 runs per cell" "$c" "d['schema'] == 'jitmem.compare/2' and d['complete'] and d['runs_per_cell'] == 3 and d['runs_completed'] == 6"
jcheck "labels: the version, made unique" "$c" "[i['label'] for i in d['interpreters']] == ['$ver', '$ver (2)']"
jcheck "no JIT: the JIT off only" "$c" "all(i['modes'] == ['off'] and i['jit'] is False for i in d['interpreters'])"
jcheck "the order: every cell once a round, every other round in reverse" "$c" "d['order'] == ['py1/off', 'py2/off', 'py2/off', 'py1/off', 'py1/off', 'py2/off']"
jcheck "the command with {python} in it" "$c" "d['command'][0] == '{python}' and d['command'][1].endswith('work.py')"
jcheck "each interpreter's own comparison (schema 1, its 3 runs, its command)" "$c" "all(i['comparison']['schema'] == 'jitmem.compare/1' and i['comparison']['runs_per_mode'] == 3 and i['comparison']['runs_completed'] == 3 and i['comparison']['command'][0] != '{python}' and i['comparison']['python']['version'] == '$ver' for i in d['interpreters'])"
jcheck "no verdict without a JIT" "$c" "all(i['comparison']['control'] for i in d['interpreters'])"
jcheck "the matrix: a cell per interpreter and mode, the medians of its runs" "$c" "[(m['interpreter'], m['mode'], m['runs']) for m in d['matrix']] == [(0, 'off', 3), (1, 'off', 3)] and all(m['figures']['peak_pss_bytes'] == d['interpreters'][m['interpreter']]['comparison']['metrics']['peak_pss_bytes']['off'] for m in d['matrix'])"
jcheck "between: the second against the first, JIT off only" "$c" "[(b['base'], b['other'], b['mode']) for b in d['between']] == [(0, 1, 'off')]"
jcheck "between: its medians are each interpreter's" "$c" "d['between'][0]['metrics']['peak_pss_bytes']['base'] == d['interpreters'][0]['comparison']['metrics']['peak_pss_bytes']['off'] and d['between'][0]['metrics']['peak_pss_bytes']['other'] == d['interpreters'][1]['comparison']['metrics']['peak_pss_bytes']['off'] and d['between'][0]['metrics']['peak_pss_bytes']['n_base'] == 3"
check "the runs' directories name the interpreter" -- test "$(cd "$out/runs" && ls -d 0[1-6]-py[12]-off | wc -l)" = 6
check "the command ran with the interpreter in place of {python}" -- grep -q "\"$PY\"" "$out/runs/01-py1-off/meta.json"
check "summary: a row per cell" -- grep -Eq "^  $ver +off +3 " "$TMP/m1.txt"
check "summary: the second interpreter's row" -- grep -Eq "^  $ver \(2\) +off +3 " "$TMP/m1.txt"
check "summary: no verdict without a JIT" -- grep -q "^$ver: no JIT machine code .*run with the JIT off only: no verdict" "$TMP/m1.txt"
check "summary: the second against the first" -- grep -q "^$ver (2) against $ver, both with the JIT off:" "$TMP/m1.txt"
check "a note on stderr for each interpreter without a JIT" -- test "$(grep -c "has no JIT machine code.*it runs with the JIT off only" "$TMP/m1.err")" = 2

# The history: a row per interpreter, one subject for both (the command with {python} in it).
"$JITMEM" history --workload "{python} $TMP/work.py" --json >"$TMP/m1h.json" 2>/dev/null
jcheck "history: both interpreters under the command with {python}" "$TMP/m1h.json" "[(r['label'], r['jit_mode']) for r in d['results']] == [('$ver', 'off'), ('$ver (2)', 'off')] and len(set(r['experiment'] for r in d['results'])) == 1"

# The report of a matrix: the table of cells, each interpreter's comparison with its charts drawn
# from its runs' samples (report_check.py), every chart's id once.
"$JITMEM" report "$out" -o "$TMP/m1.html" >/dev/null 2>&1
check_eq "report of a matrix: exits 0" $? 0
"$PY" "$(dirname "$0")/report_check.py" "$TMP/m1.html" "$out/runs" --min-lines 4 >"$TMP/m1.check" 2>&1
ok $? "report of a matrix: every line drawn is its run's samples ($(tail -n 1 "$TMP/m1.check"))"
check "report of a matrix: the table of cells and the difference" -- grep -q "<h2>$ver (2) against $ver, both with the JIT off</h2>" "$TMP/m1.html"
check "report of a matrix: each interpreter's charts, ids unique" -- test "$(grep -o ' id="[^"]*"' "$TMP/m1.html" | sort | uniq -d | wc -l)" = 0

# 3. --resume finds every run done; --json prints the same document; --force replaces it. With
#    --pyperf, a file per interpreter and mode, named by its label, that pyperf reads.
mkdir -p "$TMP/pp"
"$JITMEM" compare --python "$PY" --python "$PY" --runs 3 --interval 20ms --no-report --resume --json --pyperf "$TMP/pp/" \
        --out "$out" -- {python} "$TMP/work.py" >"$TMP/m1r.json" 2>"$TMP/m1r.err"
check_eq "resume: exits 0" $? 0
check "resume: every run already done" -- test "$(grep -c "already done" "$TMP/m1r.err")" = 6
jcheck "resume --json: the matrix on stdout" "$TMP/m1r.json" "d['schema'] == 'jitmem.compare/2' and d['runs_completed'] == 6"
check "pyperf: a file per interpreter, the JIT off only" -- test "$(cd "$TMP/pp" && ls | tr '\n' ' ')" = "${ver}-off.json ${ver}__2_-off.json "
"$PY" "$(dirname "$0")/pyperf_check.py" "$TMP/pp/${ver}-off.json" "$TMP/pp/${ver}__2_-off.json" >"$TMP/pp.check" 2>&1
ok $? "pyperf: both files keep pyperf's rules ($(tr '\n' ' ' <"$TMP/pp.check"))"
jcheck "pyperf: each interpreter's own runs, 3 of them, numbered as in the comparison (2, 3, 6)" "$TMP/pp/${ver}__2_-off.json" "all(len(b['runs']) == 3 for b in d['benchmarks']) and all(r['metadata']['jitmem_run_dir'].split('/')[-1] == '%02d-py2-off' % r['metadata']['jitmem_run'] for b in d['benchmarks'] for r in b['runs']) and sorted(r['metadata']['jitmem_run'] for r in d['benchmarks'][0]['runs']) == [2, 3, 6]"
"$JITMEM" compare --python "$PY" --python "$PY" --runs 1 --interval 20ms --no-report --force --out "$out" -- {python} "$TMP/work.py" >/dev/null 2>&1
check_eq "force: exits 0" $? 0
check "force: the earlier matrix's runs are gone" -- test "$(ls "$out/runs" | tr '\n' ' ')" = "01-py1-off 02-py2-off "

# 4. JIT-enabled interpreters side by side, with a Python without a JIT beside them.
if [ ${#JIT_PYTHONS[@]} -ge 1 ]; then
        args=()
        for p in "${JIT_PYTHONS[@]}"; do args+=(--python "$p"); done
        n=${#JIT_PYTHONS[@]}
        out="$TMP/m2"
        "$JITMEM" compare "${args[@]}" --python "$PY" --workload numeric --scale 0.1 --runs 2 --out "$out" >"$TMP/m2.txt" 2>"$TMP/m2.err"
        check_eq "JIT interpreters and a Python without: exits 0" $? 0
        c="$out/comparison.json"
        jcheck "the JIT ones with the JIT off and on, the last off only" "$c" "[i['modes'] for i in d['interpreters']] == [['off', 'on']] * $n + [['off']]"
        jcheck "runs: 2 per cell" "$c" "d['runs_completed'] == 2 * (2 * $n + 1) and all(m['runs'] == 2 for m in d['matrix'])"
        jcheck "the JIT's code with the JIT on only, in every JIT interpreter" "$c" "all(i['comparison']['metrics']['peak_jit_code_bytes']['on'] > 0 and i['comparison']['metrics']['peak_jit_code_bytes']['off'] == 0 for i in d['interpreters'][:$n])"
        jcheck "a verdict per JIT interpreter" "$c" "all(i['comparison']['verdict']['overall'] in ('GO', 'GO WITH CONDITIONS', 'NO-GO') for i in d['interpreters'][:$n])"
        jcheck "between: each against the first, off for all, on for the JIT ones" "$c" "sorted((b['other'], b['mode']) for b in d['between']) == sorted([(k, 'off') for k in range(1, $n + 1)] + [(k, 'on') for k in range(1, $n)])"
        jcheck "between, JIT on: base is the first's JIT code" "$c" "all(b['metrics']['peak_jit_code_bytes']['base'] == d['interpreters'][0]['comparison']['metrics']['peak_jit_code_bytes']['on'] for b in d['between'] if b['mode'] == 'on')"
        jcheck "a bundled workload runs on each interpreter itself" "$c" "all(i['comparison']['command'][0] == i['python']['executable'] for i in d['interpreters'])"
        "$JITMEM" history --workload numeric >"$TMP/m2h.txt" 2>&1
        ok $? "jitmem history --workload numeric"
        for p in "${JIT_PYTHONS[@]}"; do
                v=$("$p" -c 'import platform; print(platform.python_version())')
                check "history: $v's comparison in the table and in the trend" -- test "$(grep -cE "^ +[0-9]+ .*compare +numeric +$v |^ +[0-9]+ +$v " "$TMP/m2h.txt")" = 2
                check "summary: $v with the JIT on" -- grep -Eq "^  $v +on +2 " "$TMP/m2.txt"
                check "summary: $v's verdict" -- grep -q "^$v, the JIT on against off: " "$TMP/m2.txt"
        done
        "$PY" "$(dirname "$0")/report_check.py" "$out/report.html" "$out/runs" --min-lines 8 >"$TMP/m2.check" 2>&1
        ok $? "the report of the matrix: every line drawn is its run's samples ($(tail -n 1 "$TMP/m2.check"))"
else
        skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): interpreters with a JIT side by side did not run"
fi

finish test_compare_matrix
