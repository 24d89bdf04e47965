#!/usr/bin/env bash
# End-to-end tests of `jitmem compare`: the full experiment (runs interleaved, the figures, their
# statistics, the verdict) with fakejit, a C stand-in whose "JIT" (executable regions and a
# faster loop) is switched by PYTHON_JIT, so the whole experiment runs anywhere. How runs are
# made, kept and refused is in test_compare_runs.sh; servers under load in test_compare_http.sh.
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
"$JITMEM" compare --runs 5 --interval 20ms --no-pagemap --out "$TMP/dbg" -- "$FJ" --units 400 --iters 200000 --wait-us 3000 --debug-image 32768 >"$TMP/dbg.txt" 2>/dev/null
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
"$JITMEM" compare --runs 5 --interval 20ms --out "$TMP/outside" -- "$FJ" --units 400 --iters 200000 --wait-us 3000 --map-file "$TMP/shared.bin" >"$TMP/outside.txt" 2>/dev/null
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

# 8. The interval, the p-value and the finding say the same of every figure (docs/compare.md,
#    Statistics): 0 outside the 95% interval (ends open or closed) exactly when p < 0.05.
"$PY" - "$out/comparison.json" "$TMP/dbg/comparison.json" "$TMP/outside/comparison.json" <<'PYEOF'
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

# 9. The verdict (docs/compare.md, The verdict): one sentence a person can act on, first; built
#    from the measured figures; the conditions of a GO WITH CONDITIONS named in it.
check_eq "summary: the first line is the verdict sentence" "$(head -n 1 "$TMP/c1.txt")" "$(jget "$c" "d['verdict']['sentence']")"
jcheck "the sentence: the overall, then what the JIT costs in anonymous memory and as a share of peak PSS, from the measured shift" "$c" \
        "d['verdict']['sentence'].startswith(d['verdict']['overall'] + ': ') and ' of anonymous memory (+' in d['verdict']['sentence'] and '% of peak PSS)' in d['verdict']['sentence'] and d['metrics']['peak_anon_pss_bytes']['significant']"

finish test_compare
