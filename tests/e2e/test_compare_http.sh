#!/usr/bin/env bash
# End-to-end tests of `jitmem compare` with servers under identical HTTP load (a plain server,
# the bundled web service, an open-model load) and on real JIT-enabled interpreters.
. "$(dirname "$0")/lib.sh"

# 6b. A server under identical HTTP load: readiness, the load, requests served as progress.
if command -v python3 >/dev/null; then
        PORT=$(free_port)
        mkdir -p "$TMP/www" && echo hello > "$TMP/www/index.html"
        (cd "$TMP/www" && "$OLDPWD/$JITMEM" compare --control --runs 1 --http "http://127.0.0.1:$PORT/" --duration 1s --connections 2 \
                --out "$TMP/http" -- python3 -m http.server "$PORT" --bind 127.0.0.1 > "$TMP/http.txt" 2>&1)
        st=$?; [ $st -ne 0 ] && tail -n 5 "$TMP/http.txt" >&2
        check_eq "compare --http exits 0" $st 0
        jcheck "each run was driven: ready, load completed" "$TMP/http/comparison.json" "len(d['runs']) == 2"
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
        # Its report draws memory over requests served within the measured load only, as the
        # figures are taken, and says which rows (report_check.py checks them against samples.csv).
        check "report: the lines over requests served name the measured load's rows" -- grep -q 'data-xcol="progress_units" data-ycol="rss_bytes" data-t0=' "$TMP/http/report.html"
        check "report: those lines are samples.csv's rows of the load" -- python3 "$(dirname "$0")/report_check.py" "$TMP/http/report.html" "$TMP/http/runs" --min-lines 2
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
        "$JITMEM" compare --control --workload webapp --python python3 --runs 1 --duration 1s --workers 2 --out "$TMP/web" >/dev/null 2>&1
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
    # (how many crash requests a 2 s load gets through depends on the machine's load: at least one)
    assert logged >= 1 and logged - 1 <= got <= logged, (r["dir"], logged, got)
    assert r["figures"]["workers_at_once"] == 2, r["figures"]
assert d["workers"]["on"]["restarts_in_all_runs"] == d["runs"][1]["figures"]["worker_restarts"], d["workers"]
assert d["control"] and d["verdict"]["rules"] == [], d["verdict"]  # a control: no rule to apply it to
PYEOF
        ok $? "webapp: each worker restart the master logged is counted"
fi

# 7. A real JIT-enabled CPython, when one is named.
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        "$JITMEM" compare --python "$JIT_PY" --workload numeric --scale 0.1 --runs 3 --out "$TMP/real" > /dev/null 2>&1
        check_eq "real JIT comparison exits 0" $? 0
        jcheck "real JIT: code with the JIT on, none off" "$TMP/real/comparison.json" "d['metrics']['peak_jit_code_bytes']['on'] > 0 and d['metrics']['peak_jit_code_bytes']['off'] == 0"
        jcheck "real JIT: probed" "$TMP/real/comparison.json" "d['python']['jit']['machine_code'] is True"
        "$JITMEM" compare --workload webapp --python "$JIT_PY" --runs 1 --duration 1s --workers 2 --out "$TMP/realweb" > /dev/null 2>&1
        jcheck "real JIT: the web service under load compiles JIT code in its workers" "$TMP/realweb/comparison.json" "d['metrics']['peak_jit_code_bytes']['on'] > 0 and d['metrics']['peak_jit_code_bytes']['off'] == 0"
        # (by the last point: at 25% of a 1 s load beside busy CPUs a worker may not have compiled yet)
        jcheck "real JIT: JIT code per worker at equal requests served, none off" "$TMP/realweb/comparison.json" \
                "d['equivalent_points'][-1]['worker_jit_code_bytes']['on'] > 0 and all(p['worker_jit_code_bytes']['off'] == 0 for p in d['equivalent_points'])"
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): the comparison on a JIT-enabled CPython did not run"

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

finish test_compare_http
