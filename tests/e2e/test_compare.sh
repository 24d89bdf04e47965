#!/usr/bin/env bash
# End-to-end tests of `jitmem compare` with fakejit, a C stand-in whose "JIT" (executable
# regions and a faster loop) is switched by PYTHON_JIT, so the whole experiment runs anywhere.
. "$(dirname "$0")/lib.sh"
FJ="$FIX/fakejit"

# 1. A full comparison: 5 runs per mode, interleaved, with a verdict.
out="$TMP/c1"
# 400 units: about 1.5 s with the JIT on on an idle machine, past the 1 s span the growth classifier
# needs to judge a run's warm-up
"$JITMEM" compare --runs 5 --limit 512M --interval 20ms --out "$out" -- "$FJ" --units 400 > "$TMP/c1.txt" 2> "$TMP/c1.err"
check_eq "compare exits 0" $? 0
c="$out/comparison.json"
jcheck "schema and required keys" "$c" "d['schema'] == 'jitmem.compare/1' and all(k in d for k in ('python', 'runs_per_mode', 'metrics', 'warmup_end_s', 'growth', 'verdict')) and d['complete'] is True"
jcheck "ABBA order" "$c" "d['order'] == ['off','on','on','off','off','on','on','off','off','on'] and d['runs_per_mode'] == 5"
jcheck "metric keys" "$c" "all(all(k in m for k in ('off','on','delta','delta_rel','ci95','p_value','significant')) for m in d['metrics'].values() if m.get('off') is not None)"
jcheck "JIT code: 10 regions of 64 KiB with the JIT on, none off" "$c" "d['metrics']['peak_jit_code_bytes']['on'] == 655360 and d['metrics']['peak_jit_code_bytes']['off'] == 0"
jcheck "the JIT-code difference is significant (exact p for 5 v 5 = 2/252)" "$c" "d['metrics']['peak_jit_code_bytes']['significant'] and d['metrics']['peak_jit_code_bytes']['p_value'] < 0.01 and d['metrics']['peak_jit_code_bytes']['finding'] == 'higher with the JIT'"
jcheck "not a control experiment" "$c" "d['control'] is False"
jcheck "the PSS delta covers the JIT code" "$c" "d['metrics']['peak_pss_bytes']['significant'] and d['metrics']['peak_pss_bytes']['delta'] > 500000"
# faster with the JIT: in CPU per unit of work, which waiting for a CPU on a busy machine does not blur
jcheck "throughput measured from progress" "$c" "d['metrics']['throughput_units_per_s']['on'] > 0 and d['metrics']['throughput_units_per_s']['off'] > 0"
jcheck "CPU per unit of work measurably lower with the JIT" "$c" "d['metrics']['cpu_s_per_unit']['significant'] and d['metrics']['cpu_s_per_unit']['on'] < d['metrics']['cpu_s_per_unit']['off']"
jcheck "growth class per mode, from the shared classifier" "$c" "all(d['growth'][m]['class'] in ('plateau', 'warming_up', 'steady_growth', 'sawtooth', 'copy_on_write', 'not_enough_data') and sum(d['growth'][m]['classes'].values()) == d['growth'][m]['runs'] for m in ('off', 'on'))"
jcheck "equal-work points" "$c" "[p['percent'] for p in d['equivalent_points']] == [25, 50, 75, 100] and all(p['basis'] == 'work' for p in d['equivalent_points'])"
jcheck "verdict rules carry value, threshold, pass/fail" "$c" "d['verdict']['overall'] in ('GO', 'GO WITH CONDITIONS', 'NO-GO') and all(all(k in r for k in ('name','value','threshold','passed')) for r in d['verdict']['rules'])"
jcheck "warm-up with the JIT on measured" "$c" "d['warmup_end_s']['on'] is not None and d['growth']['on']['shape'] == 'plateau'"
check "summary: the verdict first" -- grep -Eq "^(GO|GO WITH CONDITIONS|NO-GO): " <(head -n 1 "$TMP/c1.txt")
check "summary: a table of deltas" -- grep -q "peak_jit_code_bytes" "$TMP/c1.txt"
check "summary: memory at equal work done" -- grep -Eq "delta at equal work done +25% +50% +75% +100%" "$TMP/c1.txt"
check "each run recorded" -- test "$(ls -d "$out"/runs/*-on "$out"/runs/*-off | wc -l)" = 10
check "progress reported on each run" -- grep -q '"units": 400' "$out/runs/01-off/summary.json"
check "one process, no workers: the RSS/PSS gap is not put down to pre-forked workers" -- test "$(grep -c "pre-forked workers" "$TMP/c1.txt")" = 0
check "one process: the RSS/PSS gap explained by what it shares" -- grep -q "the pages of the program's files and libraries, which other processes on the machine map too" "$TMP/c1.txt"

# The RSS delta decomposed at equal work: JIT code pages (10 regions of 64 KiB), debug images
# registered with GDB's JIT interface (10 of 32 KiB, new resident memory), and the rest.
"$JITMEM" compare --runs 5 --interval 20ms --no-pagemap --out "$TMP/dbg" -- "$FJ" --units 400 --debug-image 32768 >"$TMP/dbg.txt" 2>/dev/null
check_eq "decomposition: compare exits 0" $? 0
jcheck "decomposition: JIT code pages +640 KiB, images +320 KiB, exactly, at every point" "$TMP/dbg/comparison.json" \
        "all(p['jit_code_bytes']['delta'] == 640 * 1024 and p['jit_debug_bytes']['delta'] == 320 * 1024 and p['jit_debug_bytes']['off'] == 0 for p in d['equivalent_points'])"
jcheck "decomposition: the rest is what is left of the RSS delta (under 128 KiB here)" "$TMP/dbg/comparison.json" \
        "all(abs(p['rss_rest_bytes']['on'] - (p['rss_bytes']['on'] - 960 * 1024)) <= 256 * 1024 and abs(p['rss_rest_bytes']['delta']) < 128 * 1024 for p in d['equivalent_points'])"
jcheck "decomposition: the images' peak and the JIT cost attributed, compared" "$TMP/dbg/comparison.json" \
        "d['metrics']['peak_jit_debug_bytes']['delta'] == 320 * 1024 and d['metrics']['peak_jit_debug_images']['on'] == 10 and d['metrics']['peak_jit_attributed_bytes']['delta'] == 960 * 1024"
grep -q "^    JIT debug images  *320 KiB  *320 KiB  *320 KiB  *320 KiB$" "$TMP/dbg.txt" &&
        grep -q "^    JIT code pages  *640 KiB  *640 KiB" "$TMP/dbg.txt" && grep -q "^    the rest " "$TMP/dbg.txt"
ok $? "decomposition: the table has code pages, debug images and the rest under the RSS delta"
! grep -q "^    JIT debug images" "$TMP/c1.txt" && grep -q "^  RSS = JIT code pages + the rest" "$TMP/c1.txt"
ok $? "decomposition: no debug-image row where none was registered"

# The JIT's cost is judged on the tree's anonymous memory, which other processes do not move:
# another process maps the same 16 MiB file once three runs are done, and takes half of its PSS
# share (started by the comparison's progress, not by the clock: a loaded machine slows both).
head -c $((16 * 1024 * 1024)) /dev/urandom >"$TMP/shared.bin"
(for _ in $(seq 1200); do [ -f "$TMP/outside/runs/03-on/summary.json" ] && break; sleep 0.05; done
 exec "$PY" -c 'import mmap, sys, time
f = open(sys.argv[1], "rb"); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
sum(m[i] for i in range(0, len(m), 4096)); time.sleep(60)' "$TMP/shared.bin") &
sharer=$!
"$JITMEM" compare --runs 5 --interval 20ms --out "$TMP/outside" -- "$FJ" --units 400 --map-file "$TMP/shared.bin" >"$TMP/outside.txt" 2>/dev/null
check_eq "outside sharers: compare exits 0" $? 0
kill "$sharer" 2>/dev/null; pkill -f "$TMP/shared.bin" 2>/dev/null; wait "$sharer" 2>/dev/null
jcheck "outside sharers: the file pages' PSS moved, and the comparison says so" "$TMP/outside/comparison.json" \
        "d['file_pss']['outside_sharers_changed'] is True and d['file_pss']['max_bytes'] - d['file_pss']['min_bytes'] > 6 * 1024 * 1024"
# as root, counted from the page tables; otherwise as the sum of Pss_Anon
if [ "$(id -u)" = 0 ]; then method=pagemap; else method=pss_anon; fi
jcheck "outside sharers: the cost is the anonymous memory, +640 KiB of JIT code, unmoved" "$TMP/outside/comparison.json" \
        "d['cost_figure'] == 'anon_' + ('$method' if '$method' == 'pagemap' else 'pss') and d['anon_method'] == '$method' and abs(d['metrics']['peak_anon_bytes']['delta'] - 640 * 1024) < 128 * 1024 and d['metrics']['peak_anon_bytes']['significant']"
jcheck "outside sharers: no anonymous page of the tree was mapped outside it" "$TMP/outside/comparison.json" \
        "d['anon_outside'] is None if '$method' != 'pagemap' else d['anon_outside']['max_bytes'] == 0"
grep -q "anonymous memory (the JIT's cost) counted once $([ "$method" = pagemap ] && echo "from the page tables" || echo "as the sum of Pss_Anon")" "$TMP/outside.txt"
ok $? "outside sharers: the summary says how the anonymous memory was counted"
jcheck "--no-pagemap: the sum of Pss_Anon, both figures alike" "$TMP/dbg/comparison.json" \
        "d['anon_method'] == 'pss_anon' and d['cost_figure'] == 'anon_pss' and d['metrics']['peak_anon_bytes']['on'] == d['metrics']['peak_anon_pss_bytes']['on'] and all(p['anon_bytes']['on'] == p['anon_pss_bytes']['on'] for p in d['equivalent_points'])"
grep -q "other processes mapping the same files came and went during the comparison" "$TMP/outside.txt" &&
        head -1 "$TMP/outside.txt" | grep -q "anonymous memory"
ok $? "outside sharers: said, and the verdict weighs the anonymous memory"
jcheck "no outside sharers in the first comparison" "$out/comparison.json" "d['file_pss']['outside_sharers_changed'] is False"

# 2. A leak shows in both modes, and is called what it is (1000 units: over 1.5 s with the JIT on).
"$JITMEM" compare --runs 3 --interval 10ms --out "$TMP/leak" -- "$FJ" --units 1000 --iters 1500000 --leak-kb 80 > "$TMP/leak.txt" 2>/dev/null
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

# 3. --json on stdout.
"$JITMEM" compare --runs 1 --json --out "$TMP/j" -- "$FJ" --units 10 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["schema"] == "jitmem.compare/1" else 1)'
ok $? "--json prints the comparison"

# 4. Interrupted, then resumed: completed runs are kept and reused.
"$JITMEM" compare --runs 3 --interval 50ms --out "$TMP/int" -- "$FJ" --units 600 > /dev/null 2> "$TMP/int.err" &
cpid=$!
for _ in $(seq 1 600); do [ -e "$TMP/int/runs/02-on/summary.json" ] && break; sleep 0.1; done # 2 runs of 600 units: 12 s under load
sleep 0.3
kill -INT $cpid
wait $cpid; st=$?
check_eq "interrupted comparison -> 130" $st 130
check "says how to resume" -- grep -q "add --resume" "$TMP/int.err"
jcheck "partial comparison written" "$TMP/int/comparison.json" "d['complete'] is False and d['runs_completed'] >= 2"
"$JITMEM" compare --runs 3 --resume --interval 50ms --out "$TMP/int" -- "$FJ" --units 600 > /dev/null 2> "$TMP/res.err"
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

# 6b. A server under identical HTTP load: readiness, the load, requests served as progress.
if command -v python3 >/dev/null; then
        PORT=$(free_port)
        mkdir -p "$TMP/www" && echo hello > "$TMP/www/index.html"
        (cd "$TMP/www" && "$OLDPWD/$JITMEM" compare --control --runs 2 --http "http://127.0.0.1:$PORT/" --duration 1s --connections 2 \
                --out "$TMP/http" -- python3 -m http.server "$PORT" --bind 127.0.0.1 > "$TMP/http.txt" 2>&1)
        st=$?; [ $st -ne 0 ] && tail -n 5 "$TMP/http.txt" >&2
        check_eq "compare --http exits 0" $st 0
        jcheck "each run was driven: ready, load completed" "$TMP/http/comparison.json" "len(d['runs']) == 4"
        "$PY" - "$TMP/http" <<'PYEOF'
import glob, json, sys
for s in glob.glob(sys.argv[1] + "/runs/*/summary.json"):
    d = json.load(open(s))
    assert d["driver"]["ready"] and d["driver"]["load"]["requests"]["completed"] > 50, s
    assert d["progress"]["units"] == d["driver"]["load"]["requests"]["completed"], s
PYEOF
        ok $? "requests served are each run's progress"
        jcheck "latency and throughput compared" "$TMP/http/comparison.json" "d['metrics']['latency_p99_us']['off'] > 0 and d['metrics']['throughput_units_per_s']['on'] > 0"
        jcheck "memory at equal requests served" "$TMP/http/comparison.json" "d['equivalent_points'][0]['basis'] == 'requests'"
        # The load phase only: the start-up (pyenv's shim and its helpers, the server's imports)
        # and the shutdown tail are left out; the points are at equal request COUNTS, the
        # smallest total any run served bounding them.
        "$PY" - "$TMP/http" <<'PYEOF'
import csv, json, sys
c = json.load(open(sys.argv[1] + "/comparison.json"))
runs = c["runs"]
least = min(r["figures"]["units_total"] for r in runs)
for k, p in enumerate(c["equivalent_points"]):
    assert p["units"] == least * (k + 1) / 4, (p["units"], least)
for r in runs:
    s = json.load(open(r["dir"] + "/summary.json"))
    t0, d = s["t0_monotonic_ns"], s["driver"]
    assert t0 <= d["load_start_monotonic_ns"] < d["load_end_monotonic_ns"], d
    a, b = r["figures"]["load_s"]
    assert abs(a - (d["load_start_monotonic_ns"] - t0) / 1e9) < 1e-6 and abs(b - (d["load_end_monotonic_ns"] - t0) / 1e9) < 1e-6
    tree = [x for x in csv.DictReader(open(r["dir"] + "/samples.csv")) if x["scope"] == "tree" and int(x["processes"]) > 0]
    inside = [x for x in tree if a <= float(x["t_s"]) <= b]
    assert inside and len(inside) < len(tree), (len(inside), len(tree))
    assert r["figures"]["peak_rss_bytes"] == max(int(x["rss_bytes"]) for x in inside), r["figures"]
    assert r["figures"]["units_total"] == float(inside[-1]["progress_units"]) <= s["driver"]["load"]["requests"]["completed"]
    at100 = next(x for x in inside if float(x["progress_units"]) >= least)
    assert r["figures"]["rss_at_100_bytes"] == int(at100["rss_bytes"]), (r["figures"]["rss_at_100_bytes"], at100)
PYEOF
        ok $? "--http: figures from the measured load only, at equal request counts"
        err=$("$JITMEM" compare --control --runs 1 --http "http://127.0.0.1:9/" --ready-timeout 1s --out "$TMP/noans" -- sleep 20 2>&1); st=$?
        check_eq "a server that never answers -> 1" $st 1
        check "never answers: said so" -- grep -q "did not answer within 1 s" <<<"$err"
        err=$("$JITMEM" compare --control --runs 1 --http "http://127.0.0.1:9/" --out "$TMP/dies" -- sh -c 'exit 0' 2>&1); st=$?
        check_eq "a server that exits -> 1" $st 1
        check "exits: said so" -- grep -q "the server exited before" <<<"$err"
fi

# 6c. The bundled web service: refused on a Python without JIT, then a control under load.
if command -v python3 >/dev/null && [ "$(jget <("$JITMEM" env --no-startup --json) "d['python']['jit']['build']")" = not_built ]; then
        "$JITMEM" compare --workload webapp --python python3 --runs 2 --duration 1s --out "$TMP/web0" >/dev/null 2>&1
        check_eq "webapp on a Python without JIT: refused -> 1" $? 1
        "$JITMEM" compare --control --workload webapp --python python3 --runs 2 --duration 1s --workers 2 --out "$TMP/web" >/dev/null 2>&1
        check_eq "webapp control comparison exits 0" $? 0
        jcheck "webapp: master and 2 workers sampled, load served" "$TMP/web/comparison.json" "all(r['figures'] and r['figures']['throughput_units_per_s'] > 100 for r in d['runs'])"
        "$PY" - "$TMP/web" <<'PYEOF'
import glob, json, sys
for s in glob.glob(sys.argv[1] + "/runs/*/summary.json"):
    d = json.load(open(s))
    assert d["tree"]["max_processes"] == 3, d["tree"]["max_processes"]  # the interpreter itself, no launcher
    load = d["driver"]["load"]
    assert load["status"]["2xx"] == load["requests"]["completed"] and sum(load["errors"].values()) == 0, load
PYEOF
        ok $? "webapp: every request of the mix answered 2xx, in a 3-process tree"
        jcheck "webapp: per-worker memory beside the tree's" "$TMP/web/comparison.json" "0 < d['metrics']['worker_peak_pss_bytes']['off'] < d['metrics']['peak_pss_bytes']['off'] and d['metrics']['worker_peak_rss_bytes']['off'] > 0"
        jcheck "webapp: per-worker memory at equal requests served" "$TMP/web/comparison.json" \
                "all(p['basis'] == 'requests' and 0 < p['worker_rss_bytes']['off'] < p['rss_bytes']['off'] and 0 < p['worker_pss_bytes']['on'] < p['pss_bytes']['on'] for p in d['equivalent_points'])"
        jcheck "webapp: 2 workers at once, no restart" "$TMP/web/comparison.json" \
                "d['workers']['off']['workers_at_once'] == 2 and all(r['figures']['worker_restarts'] == 0 for r in d['runs'])"
        # Workers that crash are restarted by the master; each restart is counted.
        printf '300 GET /json?n=20\n300 GET /health\n1 GET /crash\n' > "$TMP/crash-mix.txt"
        "$JITMEM" compare --control --workload webapp --python python3 --runs 1 --duration 2s --workers 2 --interval 10ms \
                --requests "$TMP/crash-mix.txt" --out "$TMP/webcrash" >/dev/null 2>&1
        check_eq "webapp with crashing workers: comparison exits 0" $? 0
        "$PY" - "$TMP/webcrash" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1] + "/comparison.json"))
for r in d["runs"]:
    logged = open(r["dir"] + "/output.log").read().count("restarted as")
    got = r["figures"]["worker_restarts"]
    # a replacement started just before the stop may live less than one tick: never sampled
    assert logged >= 3 and logged - 1 <= got <= logged, (r["dir"], logged, got)
    assert r["figures"]["workers_at_once"] == 2, r["figures"]
assert d["workers"]["on"]["restarts_in_all_runs"] == d["runs"][1]["figures"]["worker_restarts"], d["workers"]
assert d["control"] and d["verdict"]["rules"] == [], d["verdict"]  # a control: no rule to apply it to
PYEOF
        ok $? "webapp: each worker restart the master logged is counted"
fi

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
#     the runs' figures add up to no more than jitmem used, and do not grow run after run.
"$PY" - "$JITMEM" "$TMP/selfcpu" <<'PYEOF'
import glob, json, resource, subprocess, sys
subprocess.run([sys.argv[1], "compare", "--control", "--runs", "2", "--interval", "2ms", "--out", sys.argv[2], "--", "sleep", "1"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = [json.load(open(f))["observer"]["cpu_s"] for f in sorted(glob.glob(sys.argv[2] + "/runs/*/summary.json"))]
assert len(cpu) == 4 and sum(cpu) <= ru.ru_utime + ru.ru_stime, (cpu, ru.ru_utime + ru.ru_stime)
assert max(cpu) < 2.5 * min(cpu), cpu
PYEOF
ok $? "observer CPU per run: each run's own, not accumulated across the comparison"

# 7. A real JIT-enabled CPython, when one is named.
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        "$JITMEM" compare --python "$JIT_PY" --workload numeric --scale 0.1 --runs 3 --out "$TMP/real" > /dev/null 2>&1
        check_eq "real JIT comparison exits 0" $? 0
        jcheck "real JIT: code with the JIT on, none off" "$TMP/real/comparison.json" "d['metrics']['peak_jit_code_bytes']['on'] > 0 and d['metrics']['peak_jit_code_bytes']['off'] == 0"
        jcheck "real JIT: probed" "$TMP/real/comparison.json" "d['python']['jit']['machine_code'] is True"
        "$JITMEM" compare --workload webapp --python "$JIT_PY" --runs 2 --duration 1s --workers 2 --out "$TMP/realweb" > /dev/null 2>&1
        jcheck "real JIT: the web service under load compiles JIT code in its workers" "$TMP/realweb/comparison.json" "d['metrics']['peak_jit_code_bytes']['on'] > 0 and d['metrics']['peak_jit_code_bytes']['off'] == 0"
        jcheck "real JIT: JIT code per worker at equal requests served, none off" "$TMP/realweb/comparison.json" \
                "all(p['worker_jit_code_bytes']['on'] > 0 and p['worker_jit_code_bytes']['off'] == 0 for p in d['equivalent_points'])"
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): the comparison on a JIT-enabled CPython did not run"

# 8. The interval, the p-value and the finding say the same of every figure (docs/compare.md,
#    Statistics): 0 outside the 95% interval (ends open or closed) exactly when p < 0.05.
"$PY" - "$out/comparison.json" "$TMP/leak/comparison.json" <<'PYEOF'
import json, sys
bad, seen = [], 0
for f in sys.argv[1:]:
    d = json.load(open(f))
    figs = [(k, m) for k, m in d["metrics"].items()]
    figs += [("%s@%d%%" % (k, p["percent"]), p[k]) for p in d["equivalent_points"] for k in ("rss_bytes", "pss_bytes")]
    for k, m in figs:
        if m.get("ci95") is None:
            continue
        seen += 1
        (lo, hi), (lc, hc) = m["ci95"], m["ci95_closed"]
        holds = (lo is None or lo < 0 or (lo == 0 and lc)) and (hi is None or hi > 0 or (hi == 0 and hc))
        finding_sig = m["finding"] in ("higher with the JIT", "lower with the JIT")
        if not (m["significant"] == (not holds) == (m["p_value"] < 0.05) == finding_sig):
            bad.append((f, k, m["ci95"], m["ci95_closed"], m["p_value"], m["significant"], m["finding"]))
assert seen > 20 and not bad, (seen, bad)
PYEOF
ok $? "every figure: significant == interval excludes 0 == p < 0.05 == the finding"
"$JITMEM" compare --runs 3 --interval 20ms --out "$TMP/few" -- "$FJ" --units 20 > "$TMP/few.txt" 2>/dev/null
jcheck "3 v 3: no bounded 95% interval, too few runs said, nothing significant" "$TMP/few/comparison.json" \
        "all(m['ci95'] == [None, None] and m['finding'] == 'too few runs for a 95% interval' and not m['significant'] for m in d['metrics'].values() if 'ci95' in m)"
check "3 v 3: the summary prints the unbounded interval" -- grep -q "peak_jit_code_bytes .*(-inf, +inf) ?" "$TMP/few.txt"

# 9. The verdict (docs/compare.md, The verdict): one sentence a person can act on, first; built
#    from the measured figures; the conditions of a GO WITH CONDITIONS named in it.
check_eq "summary: the first line is the verdict sentence" "$(head -n 1 "$TMP/c1.txt")" "$(jget "$c" "d['verdict']['sentence']")"
jcheck "the sentence: the overall, then what the JIT costs in anonymous memory and as a share of peak PSS, from the measured shift" "$c" \
        "d['verdict']['sentence'].startswith(d['verdict']['overall'] + ': ') and ' of anonymous memory (+' in d['verdict']['sentence'] and '% of peak PSS)' in d['verdict']['sentence'] and d['metrics']['peak_anon_pss_bytes']['significant']"
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
# An open-model load (--rate): throughput is the rate; the speed comes from CPU time per request
# served and latency. The server is run through sh, so it is compared as given (not a control);
# the interpreter itself, not a launcher (a pyenv shim runs helpers of its own).
PYEXE=$("$PY" -c 'import sys; print(sys.executable)')
PORT2=$(free_port)
mkdir -p "$TMP/www2" && echo hello > "$TMP/www2/index.html"
(cd "$TMP/www2" && "$OLDPWD/$JITMEM" compare --runs 4 --http "http://127.0.0.1:$PORT2/" --rate 50 --duration 1s --interval 20ms \
        --out "$TMP/open" -- sh -c "exec '$PYEXE' -m http.server $PORT2 --bind 127.0.0.1" > "$TMP/open.txt" 2>&1)
check_eq "open model: compare exits 0" $? 0
jcheck "open model: CPU seconds per request served, per run and compared" "$TMP/open/comparison.json" \
        "all(r['figures']['cpu_s_per_unit'] > 0 for r in d['runs']) and d['metrics']['cpu_s_per_unit']['off'] > 0 and 'ci95' in d['metrics']['cpu_s_per_unit']"
jcheck "open model: the speed rule weighs CPU time per request and latency, not throughput" "$TMP/open/comparison.json" \
        "[r for r in d['verdict']['rules'] if r['name'] == 'speed_vs_memory' and r['evaluated'] and r['reason'].startswith('CPU time per request ') and 'median latency' in r['reason'] and 'throughput' not in r['reason']] and 'throughput' not in d['verdict']['sentence']"

finish test_compare
