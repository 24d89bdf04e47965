#!/usr/bin/env bash
# End-to-end tests of `jitmem watch --record DIR`: a watch of a JIT-like fixture recorded as a run
# directory in `jitmem run`'s format (samples.csv's header and rows, meta.json, summary.json), read
# back by `jitmem analyze`; a directory holding a run refused without --force; ended by --count,
# --duration, SIGINT and SIGTERM, each said in summary.json, the rows written kept.
. "$(dirname "$0")/lib.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
K64=65536

# rows FILE SCOPE: how many rows of that scope samples.csv holds
rows() { grep -c "^[0-9.]*,$2," "$1"; }

# 1. Usage.
"$JITMEM" watch --help | grep -q -- "--record DIR"; ok $? "watch --help names --record"
"$JITMEM" watch --force --count 1 $$ 2>/dev/null; check_eq "--force without --record -> 2" $? 2
err=$("$JITMEM" watch --count 1 --record= $$ 2>&1); check_eq "empty --record -> 2" $? 2
check "empty --record: said so ($err)" -- grep -q "^jitmem: empty --record" <<<"$err"
"$JITMEM" watch --count 1 --record "$TMP/none" 999999999 2>/dev/null; check_eq "no such process -> 1" $? 1
check "no such process: no directory made" -- test ! -e "$TMP/none"

# 2. A master and two workers with known JIT code, 5 ticks recorded.
"$FIX/jitlike" --regions 8 --size $K64 --step-ms 1 --hold-ms 60000 --workers 2 --worker-regions 4 > "$TMP/jl.out" &
JL=$!; pids+=($JL)
for _ in $(seq 1 50); do grep -q ready "$TMP/jl.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
D=$TMP/rec
"$JITMEM" watch --count 5 --interval 100ms --record "$D" $JL > "$TMP/w.out"
check_eq "watch --record --count 5 exits 0" $? 0
check "the lines on stdout are still printed" -- grep -q " 3 processes  RSS" "$TMP/w.out"
for f in meta.json samples.csv summary.json; do check "$f written" -- test -s "$D/$f"; done
"$JITMEM" run -q --interval 50ms --out "$TMP/run" -- true > /dev/null 2>&1
check_eq "samples.csv's header is run's" "$(head -n 1 "$D/samples.csv")" "$(head -n 1 "$TMP/run/samples.csv")"
check_eq "5 tree rows" "$(rows "$D/samples.csv" tree)" 5
check_eq "3 process rows a tick" "$(rows "$D/samples.csv" process)" 15
check "the tree rows sum the JIT code exactly: (8 + 2 * 12) x 64 KiB" -- \
        "$PY" -c 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["scope"] == "tree"]
sys.exit(0 if all(int(r["jit_code_bytes"]) == 32 * 65536 and r["processes"] == "3" and r["pid"] == sys.argv[2] for r in rows) else 1)' "$D/samples.csv" "$JL"
jcheck "meta.json: the run schema, source watch, what was watched" "$D/meta.json" \
        "d['schema'] == 'jitmem.run.meta/1' and d['source'] == 'watch' and d['watched'] == {'pids': [$JL], 'match': None, 'cgroup': None}"
jcheck "meta.json: the interval, the PSS cadence, the limit" "$D/meta.json" \
        "d['interval_s'] == 0.1 and d['pss_interval_s'] == 'auto' and 'limit_bytes' in d and d['machine']['cpus_online'] > 0"
jcheck "summary.json: ended by --count, exit status 0" "$D/summary.json" \
        "d['schema'] == 'jitmem.run.summary/1' and d['source'] == 'watch' and d['ended'] == {'reason': 'count', 'signal': None, 'error': None} and d['exit_status'] == 0"
jcheck "summary.json: 5 ticks, the tree's JIT peak exact, 3 processes" "$D/summary.json" \
        "d['ticks']['count'] == 5 and d['tree']['peak_jit_code_bytes'] == 32 * $K64 and sorted(p['peak_jit_code_bytes'] for p in d['processes']) == [8 * $K64, 12 * $K64, 12 * $K64]"
jcheck "summary.json: every process sampled 5 times, times within the watch" "$D/summary.json" \
        "all(p['samples'] == 5 and 0 <= p['first_t_s'] <= p['last_t_s'] <= d['duration_s'] + 0.5 for p in d['processes'])"
"$JITMEM" analyze --json "$D" > "$TMP/an.json"
check_eq "analyze reads the recording" $? 0
jcheck "analyze sees the 5 ticks and the 3 processes" "$TMP/an.json" "d['ticks'] == 5 and len(d['processes']) == 3"
"$JITMEM" analyze "$D" > "$TMP/an.txt"
check "analyze's table lists the processes" -- grep -q "jitlike" "$TMP/an.txt"
check "analyze says what was watched ($(head -1 "$TMP/an.txt"))" -- grep -q "^watch recording $D: PIDs [0-9]" "$TMP/an.txt"

# 3. A directory holding a run: refused, then replaced with --force.
before=$(cksum < "$D/samples.csv")
err=$("$JITMEM" watch --count 1 --interval 100ms --record "$D" $JL 2>&1 >/dev/null); check_eq "a directory holding a run -> 1" $? 1
check "refused: said so ($err)" -- grep -q "already holds a run: choose another --record, or add --force to replace it" <<<"$err"
check_eq "refused: samples.csv untouched" "$(cksum < "$D/samples.csv")" "$before"
"$JITMEM" run -q --interval 50ms --out "$TMP/run" --force -- true > /dev/null 2>&1
err=$("$JITMEM" watch --count 1 --interval 100ms --record "$TMP/run" $JL 2>&1 >/dev/null); check_eq "a directory of jitmem run -> 1" $? 1
"$JITMEM" watch --count 2 --interval 100ms --record "$D" --force $JL > /dev/null
check_eq "--force replaces it -> 0" $? 0
check_eq "--force: the new recording's 2 ticks" "$(rows "$D/samples.csv" tree)" 2
jcheck "--force: the new summary" "$D/summary.json" "d['ticks']['count'] == 2"

# 4. --duration.
"$JITMEM" watch --duration 500ms --interval 100ms --record "$TMP/dur" $JL > /dev/null
check_eq "--duration -> 0" $? 0
jcheck "ended by --duration" "$TMP/dur/summary.json" "d['ended']['reason'] == 'duration' and d['ticks']['count'] >= 1"

# 5. Interrupted: SIGINT and SIGTERM mid-watch leave whole rows and a summary that says so.
for sig in INT TERM; do
        R=$TMP/sig-$sig
        "$JITMEM" watch --interval 100ms --record "$R" $JL > /dev/null 2> "$TMP/sig-$sig.err" &
        W=$!; pids+=($W)
        for _ in $(seq 1 200); do [ -f "$R/samples.csv" ] && [ "$(rows "$R/samples.csv" tree)" -ge 3 ] && break; sleep 0.05; done
        kill -$sig $W
        wait $W; st=$?
        check_eq "SIG$sig mid-watch -> 0" $st 0
        check "SIG$sig: summary.json written" -- test -s "$R/summary.json"
        jcheck "SIG$sig: ended by the signal, said" "$R/summary.json" "d['ended'] == {'reason': 'signal', 'signal': 'SIG$sig', 'error': None}"
        n=$(rows "$R/samples.csv" tree)
        check "SIG$sig: 3 ticks or more kept ($n)" -- test "$n" -ge 3
        jcheck "SIG$sig: summary.json counts the ticks samples.csv holds" "$R/summary.json" "d['ticks']['count'] == $n"
        check_eq "SIG$sig: samples.csv ends with a whole row" "$(tail -c 1 "$R/samples.csv" | od -An -c | tr -d ' ')" '\n'
        "$JITMEM" analyze --json "$R" > "$TMP/an-$sig.json"
        check_eq "SIG$sig: analyze reads it" $? 0
        jcheck "SIG$sig: analyze sees every tick" "$TMP/an-$sig.json" "d['ticks'] == $n and len(d['processes']) == 3"
done

# 6. The cost in disk: bytes per tick per process (the figure docs/watch.md gives).
"$PY" - "$D/samples.csv" <<'PYEOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[1:-1]
proc = [len(l) + 1 for l in lines if b",process," in l]
tree = [len(l) + 1 for l in lines if b",tree," in l]
print("samples.csv: %.0f bytes per process row, %.0f per tree row" % (sum(proc) / len(proc), sum(tree) / len(tree)))
sys.exit(0 if max(proc) <= 400 and max(tree) <= 400 else 1)
PYEOF
ok $? "a row is at most 400 bytes (docs/watch.md)"

finish test_watch_record
