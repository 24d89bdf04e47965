#!/usr/bin/env bash
# End-to-end tests of `jitmem compare`: how runs are made (a leak, adaptive stopping, tracing),
# kept, interrupted and resumed, and refused; with fakejit (see test_compare.sh).
. "$(dirname "$0")/lib.sh"
FJ="$FIX/fakejit"

# 2. A leak shows in both modes, and is called what it is (1000 units that wait 1.5 ms each: over
#    1.5 s a run, past the 1 s span the growth classifier needs).
"$JITMEM" compare --runs 3 --interval 10ms --out "$TMP/leak" -- "$FJ" --units 1000 --iters 100000 --wait-us 1500 --leak-kb 80 > "$TMP/leak.txt" 2>/dev/null
check_eq "leak comparison exits 0" $? 0
jcheck "growth in both modes" "$TMP/leak/comparison.json" "d['growth']['off']['shape'] == 'growing' and d['growth']['on']['shape'] == 'growing'"
check "summary names the leak" -- grep -q "a leak, not the JIT" "$TMP/leak.txt"

# 2b. Adaptive stopping: pairs of runs are added while the interval is too wide, up to --max-runs.
"$JITMEM" compare --runs 2 --max-runs 4 --target-width 0.0001 --out "$TMP/ad1" -- "$FJ" --units 10 >/dev/null 2>&1
jcheck "adaptive: runs added up to --max-runs" "$TMP/ad1/comparison.json" "d['runs_per_mode'] == 4 and len(d['order']) == 8 and d['order'].count('on') == 4 and d['complete']"
"$JITMEM" compare --runs 4 --max-runs 8 --target-width 100 --interval 20ms --out "$TMP/ad2" -- "$FJ" --regions 0 --units 20 >/dev/null 2>&1
jcheck "adaptive: no run added once the interval is narrow enough" "$TMP/ad2/comparison.json" "d['runs_per_mode'] == 4"

# 2c. With --trace-jit, executors are compared too.
"$JITMEM" compare --trace-jit --runs 2 --interval 20ms --out "$TMP/tj" -- "$FJ" --units 20 >/dev/null 2>&1
jcheck "--trace-jit: executors compiled per mode" "$TMP/tj/comparison.json" "d['metrics']['executors_compiled']['on'] == 10 and d['metrics']['executors_compiled']['off'] == 0"
jcheck "--trace-jit: no run's measurement failed" "$TMP/tj/comparison.json" "d['runs_measurement_failed'] == 0 and not any(r['measurement_failed'] for r in d['runs'])"
# A JIT that makes its code behind the shim's back: the trace of every JIT-on run disagrees with
# /proc; those runs are marked, and said to be, and the comparison goes on.
"$JITMEM" compare --trace-jit --runs 2 --interval 10ms --out "$TMP/tjh" -- "$FJ" --units 40 --iters 1000 --wait-us 10000 --hidden 1 >"$TMP/tjh.txt" 2>"$TMP/tjh.err"
check_eq "--trace-jit, code hidden from the trace: the comparison completes" $? 0
jcheck "--trace-jit, code hidden: the JIT-on runs are marked" "$TMP/tjh/comparison.json" \
        "d['runs_measurement_failed'] == 2 and [r['measurement_failed'] for r in d['runs']] == [r['mode'] == 'on' for r in d['runs']]"
check "--trace-jit, code hidden: the summary says which runs" -- grep -q "^MEASUREMENT FAILED in 2 of 4 runs: [0-9] (JIT on), [0-9] (JIT on)\." "$TMP/tjh.txt"
check "--trace-jit, code hidden: each run as it ends" -- grep -q "JIT on: MEASUREMENT FAILED" "$TMP/tjh.err"

# 3. --json on stdout.
"$JITMEM" compare --runs 1 --json --out "$TMP/j" -- "$FJ" --units 10 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["schema"] == "jitmem.compare/1" else 1)'
ok $? "--json prints the comparison"

# 4. Interrupted, then resumed: completed runs are kept and reused.
"$JITMEM" compare --runs 3 --interval 50ms --out "$TMP/int" -- "$FJ" --units 300 --iters 200000 --wait-us 3000 > /dev/null 2> "$TMP/int.err" &
cpid=$!
for _ in $(seq 1 600); do [ -e "$TMP/int/runs/02-on/summary.json" ] && break; sleep 0.1; done # 2 runs of about 1 s each
sleep 0.3
kill -INT $cpid
wait $cpid; st=$?
check_eq "interrupted comparison -> 130" $st 130
check "says how to resume" -- grep -q "add --resume" "$TMP/int.err"
jcheck "partial comparison written" "$TMP/int/comparison.json" "d['complete'] is False and d['runs_completed'] >= 2"
"$JITMEM" compare --runs 3 --resume --interval 50ms --out "$TMP/int" -- "$FJ" --units 300 --iters 200000 --wait-us 3000 > /dev/null 2> "$TMP/res.err"
check_eq "resumed comparison -> 0" $? 0
check "resumed: completed runs reused" -- grep -q "already done" "$TMP/res.err"
jcheck "resumed: complete" "$TMP/int/comparison.json" "d['complete'] is True and d['runs_completed'] == 6"

# 4b. The comparison directory: parents created; one that holds a comparison is refused, unless
# --resume or --force; --force removes the earlier runs, and nothing else.
"$JITMEM" compare --runs 1 --interval 20ms --out "$TMP/nest/a/b" -- "$FJ" --units 5 >/dev/null 2>&1
check_eq "compare --out a/b/c: parents created -> 0" $? 0
check "compare --out a/b/c: comparison written" -- test -s "$TMP/nest/a/b/comparison.json"
"$JITMEM" compare --runs 2 --interval 20ms --out "$TMP/ow" -- "$FJ" --units 5 >/dev/null 2>&1
touch "$TMP/ow/notes.txt"
err=$("$JITMEM" compare --runs 1 --interval 20ms --out "$TMP/ow" -- "$FJ" --units 5 2>&1); st=$?
check_eq "compare into a comparison -> 1" $st 1
check "compare into a comparison: says how to go on" -- grep -q "already holds a comparison.*--resume.*--force" <<<"$err"
check "compare into a comparison: the earlier runs kept" -- test -d "$TMP/ow/runs/04-off"
"$JITMEM" compare --runs 1 --force --interval 20ms --out "$TMP/ow" -- "$FJ" --units 5 >/dev/null 2>&1
check_eq "compare --force into a comparison -> 0" $? 0
check_eq "compare --force: only the new runs" "$(ls "$TMP/ow/runs" | tr '\n' ' ')" "01-off 02-on "
jcheck "compare --force: the comparison counts them" "$TMP/ow/comparison.json" "d['runs_completed'] == 2"
check "compare --force: other files left" -- test -e "$TMP/ow/notes.txt"
mkdir -p "$TMP/empty"
"$JITMEM" compare --runs 1 --interval 20ms --out "$TMP/empty" -- "$FJ" --units 5 >/dev/null 2>&1
check_eq "compare into an empty directory -> 0" $? 0

# 5. An interpreter without a JIT: refused, unless as a control experiment.
if command -v python3 >/dev/null && [ "$(jget <("$JITMEM" env --no-startup --json) "d['python']['jit']['build']")" = not_built ]; then
        err=$("$JITMEM" compare --runs 2 --out "$TMP/nojit" -- python3 -c 'pass' 2>&1); st=$?
        check_eq "no JIT -> 1" $st 1
        check "no JIT: said plainly" -- grep -q "has no JIT machine code" <<<"$err"
        "$JITMEM" compare --control --runs 4 --interval 20ms --out "$TMP/control" -- python3 -c 'sum(i*i for i in range(300000))' >/dev/null 2>&1
        check_eq "control experiment runs" $? 0
        jcheck "control: no JIT code in either mode" "$TMP/control/comparison.json" "d['metrics']['peak_jit_code_bytes']['off'] == 0 and d['metrics']['peak_jit_code_bytes']['on'] == 0 and not d['metrics']['peak_jit_code_bytes']['significant']"
        jcheck "control: labelled, and said plainly" "$TMP/control/comparison.json" "d['control'] is True and d['metrics']['peak_jit_code_bytes']['finding'] == 'no measurable difference'"
else
        skip "python3 here has a JIT: the no-JIT refusal was not tested"
fi

# 6. Usage errors.
"$JITMEM" compare --runs 0 -- "$FJ" 2>/dev/null; check_eq "--runs 0 -> 2" $? 2
"$JITMEM" compare --workload numeric -- "$FJ" 2>/dev/null; check_eq "workload and command -> 2" $? 2
"$JITMEM" compare --workload nope 2>/dev/null; check_eq "unknown workload -> 2" $? 2
"$JITMEM" compare 2>/dev/null; check_eq "nothing to compare -> 2" $? 2
"$JITMEM" compare --limit big -- "$FJ" 2>/dev/null; check_eq "bad --limit -> 2" $? 2
"$JITMEM" compare --help | grep -q -- "--restart-every"; ok $? "compare --help"
"$JITMEM" compare --runs 2 --out "$TMP/fail" -- sh -c 'echo the workload says why; exit 3' 2> "$TMP/fail.err"; st=$?
check_eq "a failing run stops the comparison -> 1" $st 1
check "the failure is named, with where to look" -- grep -q "exited with status 3 (JIT off): see .*/runs/01-off/output.log" "$TMP/fail.err"
check "the command's output is kept" -- grep -q "the workload says why" "$TMP/fail/runs/01-off/output.log"

# 6c'. A framework is found where it is: a Django app named by its WSGI module (gunicorn
#      mysite.wsgi:application) imports django; the command line itself never says so.
mkdir -p "$TMP/dj/mysite" && touch "$TMP/dj/mysite/__init__.py"
printf 'import os\n\nfrom django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n' > "$TMP/dj/mysite/wsgi.py"
(cd "$TMP/dj" && "$OLDPWD/$JITMEM" compare --runs 1 --out "$TMP/dj/out" -- sh -c 'exec "$0" --units 10' "$OLDPWD/$FJ" mysite.wsgi:application >/dev/null 2>&1)
jcheck "frameworks: django found in the WSGI module the command names" "$TMP/dj/out/comparison.json" \
        "[r for r in d['verdict']['rules'] if r['name'] == 'dynamic_frameworks'][0]['reason'].startswith('django (imported by mysite.wsgi')"
(cd "$TMP/dj" && "$OLDPWD/$JITMEM" compare --runs 1 --out "$TMP/dj/none" -- sh -c 'exec "$0" --units 10' "$OLDPWD/$FJ" other.wsgi >/dev/null 2>&1)
jcheck "frameworks: none where none is imported" "$TMP/dj/none/comparison.json" \
        "[r for r in d['verdict']['rules'] if r['name'] == 'dynamic_frameworks'][0]['passed']"

# 6d. jitmem's own CPU is each run's, not what the process spent since the comparison began:
#     the runs' figures add up to no more than jitmem used, and do not climb run after run.
"$PY" - "$JITMEM" "$TMP/selfcpu" <<'PYEOF'
import glob, json, resource, subprocess, sys
subprocess.run([sys.argv[1], "compare", "--control", "--runs", "2", "--interval", "2ms", "--out", sys.argv[2], "--", "sleep", "1"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = [json.load(open(f))["observer"]["cpu_s"] for f in sorted(glob.glob(sys.argv[2] + "/runs/*/summary.json"))]
assert len(cpu) == 4 and sum(cpu) <= ru.ru_utime + ru.ru_stime, (cpu, ru.ru_utime + ru.ru_stime)
# accumulated, the figures would climb run after run to about 4 times the first; one run slowed
# by a busy machine (more ticks in its second) is no such climb
assert not (cpu[0] < cpu[1] < cpu[2] < cpu[3] and cpu[3] > 3 * cpu[0]), cpu
PYEOF
ok $? "observer CPU per run: each run's own, not accumulated across the comparison"

# 9. With 3 runs per mode: no bounded interval, and the verdict's conditions (docs/compare.md,
#    Statistics, The verdict).
"$JITMEM" compare --runs 3 --interval 20ms --out "$TMP/few" -- "$FJ" --units 20 > "$TMP/few.txt" 2>/dev/null
jcheck "3 v 3: no bounded 95% interval, too few runs said, nothing significant" "$TMP/few/comparison.json" \
        "all(m['ci95'] == [None, None] and m['finding'] == 'too few runs for a 95% interval' and not m['significant'] for m in d['metrics'].values() if 'ci95' in m)"
check "3 v 3: the summary prints the unbounded interval" -- grep -q "peak_jit_code_bytes .*(-inf, +inf) ?" "$TMP/few.txt"
jcheck "GO WITH CONDITIONS names its conditions on the verdict line" "$TMP/few/comparison.json" \
        "d['verdict']['overall'] == 'GO WITH CONDITIONS' and len(d['verdict']['conditions']) >= 2 and all(x in d['verdict']['sentence'] for x in d['verdict']['conditions'])"
check "... the limit and the runs, in the summary's first line" -- grep -q "^GO WITH CONDITIONS: .*on condition that .*--limit.*--runs 5" <(head -n 1 "$TMP/few.txt")
if command -v python3 >/dev/null && [ "$(jget <("$JITMEM" env --no-startup --json) "d['python']['jit']['build']")" = not_built ]; then
        "$JITMEM" compare --control --runs 2 --interval 20ms --out "$TMP/ctl" -- python3 -c 'pass' > "$TMP/ctl.txt" 2>/dev/null
        check_eq "control: exits 0" $? 0
        check_eq "control: the verdict line" "$(head -n 1 "$TMP/ctl.txt")" "CONTROL: this interpreter has no JIT"
        check "control: no GO or NO-GO anywhere in the summary" -- bash -c "! grep -q GO '$TMP/ctl.txt' && ! grep -qi 'no-go' '$TMP/ctl.txt'"
        jcheck "control: comparison.json says CONTROL, with no rule" "$TMP/ctl/comparison.json" \
                "d['control'] is True and d['verdict']['overall'] == 'CONTROL' and d['verdict']['rules'] == [] and d['verdict']['sentence'] == 'CONTROL: this interpreter has no JIT'"
fi

finish test_compare_runs
