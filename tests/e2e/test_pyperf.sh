#!/usr/bin/env bash
# End-to-end tests of `jitmem compare --pyperf PREFIX` (docs/pyperf.md): the files written after
# comparison.json, checked against pyperf's rules by pyperf_check.py (written from pyperf 2.10's
# source), their values against comparison.json, what is left out and warned of on stderr, the
# prefix's forms, and a file that cannot be written. With JITMEM_TEST_PYPERF naming a directory
# that holds pyperf's source (its pyperf/ package), pyperf itself reads them too: stats, show,
# dump and compare_to.
. "$(dirname "$0")/lib.sh"
FJ="$FIX/fakejit"
CHECK=tests/e2e/pyperf_check.py
PYPERF=${JITMEM_TEST_PYPERF:-}
# valid FILE...: the checker passes them (what it found wrong, on stderr)
valid() { "$PY" "$CHECK" "$@" >"$TMP/valid.out" || { cat "$TMP/valid.out" >&2; return 1; }; }

# 1. The recorded comparison, judged again (--resume runs nothing), exported.
cp -r tests/data/compare/fakejit-debug "$TMP/cmp"
mkdir "$TMP/py"
"$JITMEM" compare --resume --runs 3 --interval 100ms --limit 512M --no-report --out "$TMP/cmp" \
        --pyperf "$TMP/py/fake" -- "$FJ" --units 200 --debug-image 32768 >"$TMP/c.txt" 2>"$TMP/c.err"
check_eq "compare --pyperf exits 0" $? 0
check "a file per mode" -- test -f "$TMP/py/fake-off.json" -a -f "$TMP/py/fake-on.json"
check "nothing else written" -- test "$(ls "$TMP/py" | wc -l)" -eq 2
check "each path said" -- grep -qx "pyperf: $TMP/py/fake-on.json" "$TMP/c.err"
check "the files follow pyperf's rules" -- valid "$TMP/py/fake-off.json" "$TMP/py/fake-on.json"
check "JIT code with the JIT off left out, and why" -- grep -q "^jitmem: pyperf: JIT off: jit_code left out: 3 of 3 runs measured 0 bytes, and pyperf takes only values above 0$" "$TMP/c.err"
check "a run without a steady state counted" -- grep -q "^jitmem: pyperf: JIT on: steady_pss: 1 of 3 runs left out: they did not measure it$" "$TMP/c.err"
check "counts that differ warned of" -- grep -q "^jitmem: warning: pyperf: off against on: steady_pss has 3 values against 2, and pyperf compare_to's t-test needs as many on each side" "$TMP/c.err"
check "no warning where the t-test runs" -- test "$(grep -c "warning: pyperf: off against on: peak_pss" "$TMP/c.err")" -eq 0
c="$TMP/cmp/comparison.json"
jcheck "values: each run's figure, in the runs' order" "$TMP/py/fake-on.json" "[r['values'][0] for b in d['benchmarks'] if b['metadata']['name'] == 'peak_pss' for r in b['runs']] == [r['figures']['peak_pss_bytes'] for r in __import__('json').load(open('$c'))['runs'] if r['mode'] == 'on']"
jcheck "duration: each run's wall time" "$TMP/py/fake-off.json" "[r['metadata']['duration'] for b in d['benchmarks'] if b['metadata']['name'] == 'peak_rss' for r in b['runs']] == [r['figures']['wall_s'] for r in __import__('json').load(open('$c'))['runs'] if r['mode'] == 'off']"
jcheck "date: each run's start" "$TMP/py/fake-off.json" "[r['metadata']['date'] for r in d['benchmarks'][0]['runs']] == [r['started_at'].replace('Z', '+00:00') for r in __import__('json').load(open('$c'))['runs'] if r['mode'] == 'off']"
jcheck "the benchmarks" "$TMP/py/fake-on.json" "[b['metadata']['name'] for b in d['benchmarks']] == ['peak_rss', 'peak_pss', 'steady_rss', 'steady_pss', 'peak_anon', 'jit_code']"
jcheck "the suite's metadata" "$TMP/py/fake-on.json" "d['version'] == '1.0' and d['metadata']['python_jit'] == '1' and d['metadata']['jitmem_mode'] == 'on' and d['metadata']['jitmem_version'] and d['metadata']['jitmem_command'].endswith('fakejit --units 200 --debug-image 32768')"

# 2. The prefix: a final .json dropped, a directory when it ends with '/'; a directory that does
# not exist refused before anything runs.
"$JITMEM" compare --resume --runs 3 --interval 100ms --no-report --out "$TMP/cmp" --pyperf "$TMP/py/x.json" \
        -- "$FJ" --units 200 --debug-image 32768 >/dev/null 2>&1
check "PREFIX.json writes PREFIX-off.json" -- test -f "$TMP/py/x-off.json" -a -f "$TMP/py/x-on.json"
mkdir "$TMP/pd"
"$JITMEM" compare --resume --runs 3 --interval 100ms --no-report --out "$TMP/cmp" --pyperf "$TMP/pd/" \
        -- "$FJ" --units 200 --debug-image 32768 >/dev/null 2>&1
check "DIR/ writes DIR/off.json" -- test -f "$TMP/pd/off.json" -a -f "$TMP/pd/on.json"
"$JITMEM" compare --runs 3 --out "$TMP/never" --pyperf "$TMP/nowhere/p" -- "$FJ" --units 5 >/dev/null 2>"$TMP/e.err"
check_eq "a prefix in no directory: usage error" $? 2
check "said before anything ran" -- test ! -e "$TMP/never"
check "the reason" -- grep -q "bad --pyperf '$TMP/nowhere/p': cannot open the directory $TMP/nowhere" "$TMP/e.err"
"$JITMEM" compare --runs 3 --pyperf "" -- "$FJ" --units 5 >/dev/null 2>&1
check_eq "an empty prefix: usage error" $? 2

# 3. A file that cannot be written is a warning, not a failed comparison: the other is written.
mkdir -p "$TMP/pw/p-off.json/full"
"$JITMEM" compare --resume --runs 3 --interval 100ms --no-report --out "$TMP/cmp" --pyperf "$TMP/pw/p" \
        -- "$FJ" --units 200 --debug-image 32768 >/dev/null 2>"$TMP/w.err"
check_eq "a file not written: compare exits 0" $? 0
check "said as a warning" -- grep -q "^jitmem: warning: cannot write $TMP/pw/p-off.json: " "$TMP/w.err"
check "the other file written" -- valid "$TMP/pw/p-on.json"
check "no temporary file left" -- test "$(ls -A "$TMP/pw" | wc -l)" -eq 2

# 4. A comparison run now (its runs' start times from their meta.json), exported.
"$JITMEM" compare --runs 3 --interval 20ms --no-report --out "$TMP/new" --pyperf "$TMP/py/new" -- "$FJ" --units 60 \
        --iters 400000 >/dev/null 2>"$TMP/n.err"
check_eq "a new comparison with --pyperf exits 0" $? 0
check "its files follow pyperf's rules" -- valid "$TMP/py/new-off.json" "$TMP/py/new-on.json"
jcheck "each run's date and duration" "$TMP/py/new-on.json" "all('date' in r['metadata'] and r['metadata']['duration'] > 0 for b in d['benchmarks'] for r in b['runs']) and len(d['benchmarks'][0]['runs']) == 3"

# 5. The checker refuses what pyperf refuses.
bad() { # bad NAME PYTHON-EDIT: a copy of fake-on.json edited, which the checker must refuse
        "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); b = d["benchmarks"][0]; r = b["runs"][0]
exec(sys.argv[2]); json.dump(d, open(sys.argv[3], "w"))' "$TMP/py/fake-on.json" "$2" "$TMP/bad.json"
        "$PY" "$CHECK" "$TMP/bad.json" >"$TMP/bad.out"
        check_eq "the checker refuses $1" $? 1
}
bad "a zero" 'r["values"] = [0]'
bad "a version that is a number" 'd["version"] = 1.0'
bad "a run without duration" 'del r["metadata"]["duration"]'
bad "an empty string" 'd["metadata"]["jitmem_mode"] = "  "'
bad "a line break" 'd["metadata"]["jitmem_mode"] = "a\nb"'
bad "a unit pyperf has not" 'b["metadata"]["unit"] = "bytes"'
bad "a benchmark without a name" 'del b["metadata"]["name"]'
bad "a list value" 'd["metadata"]["x"] = [1]'
bad "a date Python cannot read" 'r["metadata"]["date"] = "04/12/2026"'

# 6. pyperf itself.
if [ -n "$PYPERF" ] && [ -d "$PYPERF/pyperf" ]; then
        pp() { PYTHONPATH="$PYPERF" "$PY" -m pyperf "$@"; }
        (cd "$TMP/py" && pp stats fake-on.json) >"$TMP/stats.txt" 2>&1
        check_eq "pyperf stats reads the file" $? 0
        check "pyperf stats: the runs' durations, not the values as seconds" -- grep -q "^Total duration: 3.3 sec$" "$TMP/stats.txt"
        check "pyperf stats: in bytes" -- grep -q "^Mean +- std dev: 1115.7 KiB +- 1182 bytes$" "$TMP/stats.txt"
        (cd "$TMP/py" && pp compare_to fake-off.json fake-on.json) >"$TMP/cmpto.txt" 2>&1
        check_eq "pyperf compare_to compares the modes" $? 0
        check "compare_to: higher memory is \"slower\"" -- grep -q "^peak_pss: Mean +- std dev: \[fake-off\] 151.7 KiB +- 5823 bytes -> \[fake-on\] 1115.7 KiB +- 1182 bytes: 7.36x slower$" "$TMP/cmpto.txt"
        check "compare_to: JIT code only with the JIT on" -- grep -q "^Ignored benchmarks (1) of fake-on.json: jit_code$" "$TMP/cmpto.txt"
        check "compare_to: the ERROR jitmem warned of, and only there" -- test "$(grep -c "^ERROR when testing if values are significant$" "$TMP/cmpto.txt")" -eq 2
        for f in fake-off.json fake-on.json new-off.json new-on.json; do
                (cd "$TMP/py" && pp show "$f" && pp dump "$f" && pp metadata "$f") >/dev/null 2>"$TMP/show.err"
                check_eq "pyperf show, dump and metadata read $f" $? 0
        done
        (cd "$TMP/py" && pp compare_to --table new-off.json new-on.json) >"$TMP/table.txt" 2>&1
        check_eq "pyperf compare_to --table of a new comparison" $? 0
        check "compare_to --table: peak_pss compared (a row, or among those not significant)" -- grep -Eq "^\| peak_pss |^Benchmark hidden because not significant .*peak_pss" "$TMP/table.txt"
else
        skip "pyperf itself did not read the files: set JITMEM_TEST_PYPERF to a directory holding pyperf's source (docs/pyperf.md)"
fi

finish test_pyperf
