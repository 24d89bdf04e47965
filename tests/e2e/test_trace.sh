#!/usr/bin/env bash
# End-to-end tests of --trace-jit: the shim's counts against fixtures whose JIT-like calls are
# known exactly, across threads and forked workers, and their agreement with /proc.
. "$(dirname "$0")/lib.sh"

# 1. 3 processes x 4 threads x 50 attempts: every 5th a failed compile, frees in batches of 7.
out="$TMP/churn"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitchurn" --workers 3 --threads 4 --compiles 50 --batch 7 --fail-every 5 --hold-ms 300 >/dev/null
check_eq "traced run exits 0" $? 0
# per thread: 40 compiled, 35 freed (5 batches of 7), 10 never executable; 12 threads
jcheck "executors compiled, exactly" "$out/summary.json" "d['jit']['executors_compiled'] == 480"
jcheck "executors freed, exactly" "$out/summary.json" "d['jit']['executors_freed'] == 420"
jcheck "failed compiles apart, exactly" "$out/summary.json" "d['jit']['never_executable_mappings'] == 120"
jcheck "three processes traced" "$out/summary.json" "d['jit']['processes_traced'] == 3"
jcheck "sizes of 1 to 3 pages" "$out/summary.json" "d['jit']['bytes_per_executor']['min'] == $(getconf PAGESIZE) and d['jit']['bytes_per_executor']['max'] == 3 * $(getconf PAGESIZE)"
jcheck "churn: every freed executor was freed within a second" "$out/summary.json" "abs(d['jit']['churn_ratio'] - 420 / 480) < 1e-9"
"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))["jit"]["cross_check"]
sys.exit(0 if c["disagreed"] == 0 and c["agreed"] > 10 else "cross-check: %r" % c)' "$out/summary.json"
ok $? "the shim agrees with /proc at every sample not in flight"
# Each process holds its leftovers for its last 300 ms: its last sample shows, in /proc, what
# the shim says it held at its end, and these add up to the summary's live_bytes_final.
"$PY" - "$out" <<'PYEOF'
import csv, json, sys, collections
d = json.load(open(sys.argv[1] + "/summary.json"))
live = collections.Counter(); last_ev = {}
for l in open(sys.argv[1] + "/events.jsonl"):
    e = json.loads(l)
    live[e["pid"]] += e["bytes"] if e["event"] == "compile" else -e["bytes"]
    last_ev[e["pid"]] = max(last_ev.get(e["pid"], 0), e["t_s"])
last = {}
for r in csv.DictReader(open(sys.argv[1] + "/samples.csv")):
    if r["scope"] == "process":
        last[int(r["pid"])] = (float(r["read_t_s"]), int(r["jit_code_bytes"]))
assert len(last) == 3 and set(last) == set(live), (last, live)
for pid, (t, jit) in last.items():
    assert t > last_ev[pid] and jit == live[pid], (pid, t, last_ev[pid], jit, live[pid])
assert sum(live.values()) == d["jit"]["live_bytes_final"], (live, d["jit"]["live_bytes_final"])
PYEOF
ok $? "leftover executors of each process match its last sample in /proc, and the summary's sum"
"$PY" - "$out/events.jsonl" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert sum(e['event'] == 'compile' for e in ev) == 480 and sum(e['event'] == 'free' for e in ev) == 420, len(ev)
assert all(e['bytes'] > 0 and e['addr'].startswith('0x') for e in ev)
assert len({e['tid'] for e in ev if e['event'] == 'compile'}) == 12
PYEOF
ok $? "events.jsonl: every compile and free, from 12 threads"

# 1b. An allocator that hands out pages of a reservation (jitarena.c says what it does, and the
#     figures below): executors made by mprotect of page ranges, one mprotect across two
#     mappings, part of an executor unmapped, one moved by mremap, workers forked from it.
out="$TMP/arena"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitarena" --workers 2 --step-ms 20 --hold-ms 300 >/dev/null
check_eq "arena: traced run exits 0" $? 0
P=$(getconf PAGESIZE)
jcheck "arena: executors compiled, exactly" "$out/summary.json" "d['jit']['executors_compiled'] == 11 + 2 * 2"
jcheck "arena: freed while running, and the workers' inherited ones apart, exactly" "$out/summary.json" \
        "d['jit']['executors_freed'] == 5 and d['jit']['inherited_executors_freed'] == 2 and d['jit']['executors_freed_at_exit'] == 0"
jcheck "arena: live at the end, exactly" "$out/summary.json" \
        "d['jit']['executors_live_final'] == 6 + 2 * 7 and d['jit']['live_bytes_final'] == (11 + 2 * 12) * $P"
jcheck "arena: sizes of 1 to 4 pages" "$out/summary.json" "d['jit']['bytes_per_executor']['min'] == $P and d['jit']['bytes_per_executor']['max'] == 4 * $P"
"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))["jit"]["cross_check"]
sys.exit(0 if c["disagreed"] == 0 and c["untraced_with_jit"] == 0 and c["agreed"] > 10 else "cross-check: %r" % c)' "$out/summary.json"
ok $? "arena: the trace agrees with /proc at every sample"

# 2. Inherited executors: workers fork after the parent compiled; /proc and the shim agree.
out="$TMP/fork"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitlike" --regions 4 --size 8192 --step-ms 20 --workers 3 --worker-regions 2 --wx 1 --hold-ms 300 >/dev/null
jcheck "fork: compiles counted once, in the process that made them" "$out/summary.json" "d['jit']['executors_compiled'] == 4 + 3 * 2"
jcheck "fork: writable+executable kept apart" "$out/summary.json" "d['jit']['writable_executable_mappings'] == 1"
jcheck "fork: agreement with /proc" "$out/summary.json" "d['jit']['cross_check']['disagreed'] == 0"
jcheck "fork: live bytes, inherited ones included" "$out/summary.json" "d['jit']['live_bytes_final'] == 4 * 8192 + 3 * 6 * 8192"

# 2a. Every process frees its executors as it exits (an interpreter's finalization), the workers
#     those inherited from the main process too: no churn, and nothing freed twice.
out="$TMP/exitfree"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitlike" --regions 4 --size 8192 --step-ms 20 --workers 3 --worker-regions 2 --hold-ms 300 --free-at-exit >/dev/null
jcheck "exit: compiled once each, in the process that made them" "$out/summary.json" "d['jit']['executors_compiled'] == 4 + 3 * 2"
jcheck "exit: freed at exit, apart from those freed while running (none)" "$out/summary.json" "d['jit']['executors_freed_at_exit'] == 4 + 3 * 2 and d['jit']['executors_freed'] == 0"
jcheck "exit: the workers' inherited copies are not frees of executors they compiled" "$out/summary.json" "d['jit']['inherited_executors_freed'] == 3 * 4"
jcheck "exit: frees at exit are not churn" "$out/summary.json" "d['jit']['churned'] == 0 and d['jit']['churn_ratio'] == 0"
jcheck "exit: freed never exceeds compiled" "$out/summary.json" "d['jit']['executors_freed'] + d['jit']['executors_freed_at_exit'] <= d['jit']['executors_compiled']"

# 2b. Perf trampoline arenas (named cpython:perf_trampoline, as CPython names them; the name is
#     recorded even where the kernel refuses it) and W+X closures are not JIT code.
out="$TMP/perf"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitlike" --regions 3 --perf 2 --wx 1 --hold-ms 200 >/dev/null 2>&1
jcheck "perf: 3 executors, 2 perf arenas, 1 W+X closure, each apart" "$out/summary.json" "d['jit']['executors_compiled'] == 3 and d['jit']['perf_trampoline_arenas'] == 2 and d['jit']['writable_executable_mappings'] == 1"
jcheck "perf: agreement with /proc" "$out/summary.json" "d['jit']['cross_check']['disagreed'] == 0"
jcheck "perf: JIT bytes without the arenas" "$out/summary.json" "d['jit']['live_bytes_final'] == 3 * 4096"

# 3. Exec keeps the shim (LD_PRELOAD), and a program that never maps code shows none.
"$JITMEM" run -q --trace-jit --out "$TMP/exec" -- sh -c "exec \"$FIX/jitlike\" --regions 2 --hold-ms 100 >/dev/null"
jcheck "exec: still traced" "$TMP/exec/summary.json" "d['jit']['executors_compiled'] == 2"
"$JITMEM" run -q --trace-jit --out "$TMP/none" -- "$FIX/heapgrow" --mb 8 --steps 2 --hold-ms 100 >/dev/null
jcheck "no JIT: nothing compiled" "$TMP/none/summary.json" "d['jit']['executors_compiled'] == 0 and d['jit']['cross_check']['disagreed'] == 0"
"$JITMEM" run -q --out "$TMP/plain" -- true
jcheck "without --trace-jit there is no jit object" "$TMP/plain/summary.json" "'jit' not in d"

# 4. The program runs on unharmed when the trace cannot be written.
d2=$(mktemp -d); mkdir "$d2/trace"; chmod 555 "$d2/trace"
JITMEM_TRACE_DIR="$d2/trace" LD_PRELOAD="$PWD/$BUILD/libjitshim.so" setpriv --reuid=65534 --regid=65534 --clear-groups "$FIX/jitlike" --regions 2 --hold-ms 10 >/dev/null 2>&1
check_eq "unwritable trace directory: the program is unharmed" $? 0
rm -rf "$d2"

# 5. The summary on stderr says what the trace found; a disagreement with /proc, loudly.
out="$TMP/told"
"$JITMEM" run --trace-jit --interval 10ms --out "$out" -- "$FIX/jitchurn" --workers 3 --threads 4 --compiles 50 --batch 7 --fail-every 5 --hold-ms 300 >/dev/null 2>"$out.err"
check_eq "summary: a run whose trace agrees exits 0" $? 0
grep -q "JIT trace (3 processes traced): 480 executors compiled, 420 freed, 60 live when their processes ended" "$out.err"
ok $? "summary: executors compiled, freed and live at the end"
grep -q "churn: 420 of 480 freed within 1 s of being compiled (88%)" "$out.err"
ok $? "summary: churn"
grep -q "bytes per executor: mean .*, from $(( $(getconf PAGESIZE) / 1024 )).00 KiB to $(( 3 * $(getconf PAGESIZE) / 1024 )).0 KiB" "$out.err"
ok $? "summary: bytes per executor"
grep -q "cross-check against /proc: every one of $(jget "$out/summary.json" "d['jit']['cross_check']['samples']") samples agrees" "$out.err" &&
        ! grep -q -e WARNING -e FAILED "$out.err"
ok $? "summary: the cross-check's agreement, and no warning"
# Regions made executable with raw system calls, behind the shim's back: /proc sees them.
out="$TMP/hidden"
"$JITMEM" run -q --trace-jit --interval 10ms --out "$out" -- "$FIX/jitlike" --regions 3 --hidden 2 --hold-ms 200 >/dev/null 2>"$out.err"
check_eq "hidden regions: a measurement failure, exit status 125" $? 125
jcheck "hidden regions: summary.json names the failure" "$out/summary.json" "d['measurement_failures'] == ['jit_trace_disagrees_with_proc'] and d['exit_status'] == 0"
jcheck "hidden regions: the trace counts what it saw, the cross-check disagrees" "$out/summary.json" "d['jit']['executors_compiled'] == 3 and d['jit']['cross_check']['disagreed'] > 0 and d['jit']['cross_check']['first_disagreement']['proc_bytes'] > d['jit']['cross_check']['first_disagreement']['events_bytes']"
grep -q "MEASUREMENT FAILED: the JIT trace disagrees with /proc at $(jget "$out/summary.json" "d['jit']['cross_check']['disagreed']") of [0-9]* samples. First: at " "$out.err" &&
        grep -q "/proc shows JIT code the trace does not account for" "$out.err"
ok $? "a disagreement is said loudly, with what it means, even with -q"

# 6. A JIT-enabled CPython, when one is named. dynamic.py mutates its classes as it runs, which
#    invalidates executors: both 3.14 (lazily, through a pending-deletion list: 7 compiled, 1
#    freed at --scale 1) and 3.15 (403 compiled, 273 freed) free some while running.
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        "$JITMEM" run --trace-jit --jit on --out "$TMP/pyn" -- "$JIT_PY" workloads/numeric.py --scale 0.2 >/dev/null 2>"$TMP/pyn.err"
        jcheck "real JIT: executors compiled on numeric, and /proc saw JIT code" "$TMP/pyn/summary.json" "d['jit']['executors_compiled'] > 0 and d['tree']['peak_jit_code_bytes'] > 0"
        jcheck "real JIT: executors are whole pages" "$TMP/pyn/summary.json" "d['jit']['bytes_per_executor']['min'] > 0 and d['jit']['bytes_per_executor']['min'] % $(getconf PAGESIZE) == 0"
        grep -q "JIT trace (1 process traced): $(jget "$TMP/pyn/summary.json" "d['jit']['executors_compiled']") executors compiled, $(jget "$TMP/pyn/summary.json" "d['jit']['executors_freed']") freed" "$TMP/pyn.err"
        ok $? "real JIT: the summary says what was compiled and freed"
        "$JITMEM" run -q --trace-jit --jit on --out "$TMP/pyd" -- "$JIT_PY" workloads/dynamic.py --scale 1 >/dev/null
        for w in pyn pyd; do
                "$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))["jit"]["cross_check"]
sys.exit(0 if c["disagreed"] == 0 and c["untraced_with_jit"] == 0 and c["samples"] > 0 else "cross-check: %r" % c)' "$TMP/$w/summary.json"
                ok $? "real JIT ($w): the shim agrees with /proc at every sample"
        done
        jcheck "real JIT: no more executors freed than compiled" "$TMP/pyd/summary.json" "d['jit']['executors_freed'] <= d['jit']['executors_compiled']"
        jcheck "real JIT: frees counted, while running or at exit, never more than compiled" "$TMP/pyd/summary.json" \
                "d['jit']['executors_freed'] + d['jit']['executors_freed_at_exit'] <= d['jit']['executors_compiled']"
        jcheck "real JIT: dynamic.py compiles executors and frees some while it runs (invalidated)" "$TMP/pyd/summary.json" \
                "d['jit']['executors_compiled'] > 0 and d['jit']['executors_freed'] > 0"
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): the traced runs on a JIT-enabled CPython did not run"

finish test_trace
