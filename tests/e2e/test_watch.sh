#!/usr/bin/env bash
# End-to-end tests of `jitmem watch` and `jitmem analyze`: processes found by PID, by pattern
# and by cgroup, JIT code counted exactly (tests/fixtures/jitlike), worker restarts of a real
# pre-fork server (workloads/webapp.py), the JSON ticks, the textfile, the /metrics endpoint
# under bad clients, and Debian's Prometheus server scraping it.
. "$(dirname "$0")/lib.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
K64=65536

# 1. Usage.
"$JITMEM" watch --help | grep -q "time left until the limit"; ok $? "watch --help"
"$JITMEM" watch 2>/dev/null; check_eq "nothing to watch -> 2" $? 2
"$JITMEM" watch --match '(' 2>/dev/null; check_eq "bad pattern -> 2" $? 2
"$JITMEM" watch abc 2>/dev/null; check_eq "not a PID -> 2" $? 2
"$JITMEM" watch --interval 1 $$ 2>/dev/null; check_eq "--interval without a unit -> 2" $? 2
"$JITMEM" watch --window 30 $$ 2>/dev/null; check_eq "--window without a unit -> 2" $? 2
err=$("$JITMEM" watch --bogus $$ 2>&1); check_eq "unknown option: one line and the pointer to --help" "$err" "jitmem: unknown option '--bogus'
Try 'jitmem watch --help' for more information."
err=$("$JITMEM" watch --count 1 999999999 2>&1); check_eq "no such process -> 1" $? 1
check "no such process: said so" -- grep -q "no process 999999999" <<<"$err"
err=$("$JITMEM" watch --count 1 --cgroup /nonexistent 2>&1); check_eq "no such cgroup -> 1" $? 1
"$JITMEM" watch --listen 127.0.0.1:99999 $$ 2>/dev/null; check_eq "a port over 65535 is a bad value -> 2" $? 2
for opt in --match --cgroup --textfile --listen; do
        err=$("$JITMEM" watch --count 1 "$opt=" $$ 2>&1); st=$?
        check_eq "empty $opt -> 2" $st 2
        check "empty $opt: said so (${err%%$'\n'*})" -- grep -q "^jitmem: \(empty\|bad\) $opt" <<<"$err"
done
err=$("$JITMEM" watch --match "jitmem-no-such-process-$$" --count 1 2>&1 >/dev/null); check_eq "nothing matched -> 1" $? 1
check "nothing matched: said so ($err)" -- grep -q "no process matched --match 'jitmem-no-such-process-$$' in 1 tick" <<<"$err"

# Another user's processes (here: jitmem as nobody, the targets root's): reported, counted as
# untracked, and a watch of nothing but them ends at once (PIDs) or at its end (--match), exit 1.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
        NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
        sleep 30 & SR=$!; pids+=($SR)
        start=$(date +%s%N)
        err=$(timeout 20 "${NOBODY[@]}" "$JITMEM" watch --interval 100ms $SR 2>&1 >/dev/null); st=$?
        elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
        check_eq "only another user's process named -> 1" $st 1
        check "only another user's process named: ends at the first tick (${elapsed} ms), not at the timeout" -- test "$elapsed" -lt 10000
        check "only another user's process named: said so ($err)" -- grep -q "nothing could be watched: 1 process of another user cannot be read (run jitmem as root or as the owner)" <<<"$err"
        rmark="jitmem-watch-root-$$"
        ( exec -a "$rmark" sleep 30 ) & SR2=$!; pids+=($SR2)
        sleep 0.2
        err=$("${NOBODY[@]}" "$JITMEM" watch --json --match "$rmark" --count 2 --interval 100ms 2>&1 > "$TMP/unread.jsonl"); st=$?
        check_eq "--match of another user's process only -> 1" $st 1
        check "--match of another user's process: said so ($err)" -- grep -q "no process matched --match '$rmark' in 2 ticks that could be read" <<<"$err"
        "$PY" - "$TMP/unread.jsonl" "$SR2" <<'PYEOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
pid = int(sys.argv[2])
assert len(ticks) == 2, ticks
assert all(t["totals"]["processes"] == 0 and t["untracked_processes"] == 1 for t in ticks), [(t["totals"], t["untracked_processes"]) for t in ticks]
assert [(e["event"], e["pid"]) for e in ticks[0]["events"]] == [("unreadable", pid)], ticks[0]["events"]
assert ticks[1]["events"] == [], ticks[1]["events"]
PYEOF
        ok $? "another user's process: one unreadable event, counted in untracked_processes at every tick"
        kill $SR $SR2
else
        skip "another user's processes need root and setpriv"
fi

# 2. By PID: a JIT-like master and two workers; JIT code exact, roles, one JSON object per tick.
"$FIX/jitlike" --regions 8 --size $K64 --step-ms 1 --hold-ms 60000 --workers 2 --worker-regions 4 > "$TMP/jl.out" &
JL=$!; pids+=($JL)
for _ in $(seq 1 50); do grep -q ready "$TMP/jl.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
"$JITMEM" watch --json --count 3 --interval 100ms $JL > "$TMP/w1.jsonl"
check_eq "watch --json --count 3 exits 0" $? 0
check_eq "one JSON object per tick" "$(wc -l < "$TMP/w1.jsonl")" 3
tail -n 1 "$TMP/w1.jsonl" > "$TMP/w1.json"
jcheck "schema and the three processes" "$TMP/w1.json" "d['schema'] == 'jitmem.watch/1' and d['totals']['processes'] == 3"
jcheck "JIT code exact: 8 regions in the master, 8 + 4 in each worker" "$TMP/w1.json" \
        "d['totals']['jit_code_bytes'] == (8 + 2 * 12) * $K64 and sorted(p['jit_code_bytes'] for p in d['processes']) == [8 * $K64, 12 * $K64, 12 * $K64]"
jcheck "roles: one master, two workers" "$TMP/w1.json" "sorted(p['role'] for p in d['processes']) == ['master', 'worker', 'worker']"
jcheck "PSS measured on the first tick" "$TMP/w1.json" "d['totals']['pss_bytes'] > 0 and all(p['pss_bytes'] > 0 for p in d['processes'])"
jcheck "too short a history: not enough data, said so" "$TMP/w1.json" "d['growth']['class'] == 'not_enough_data'"

# Plain lines when stdout is not a terminal.
"$JITMEM" watch --count 2 --interval 100ms $JL > "$TMP/w1.txt"
check_eq "plain output: one line per tick" "$(grep -c ' 3 processes ' "$TMP/w1.txt")" 2
check "plain output: words, not class names ($(head -n 1 "$TMP/w1.txt"))" -- grep -q "JIT [0-9.]* [KMG]iB  growth not judged yet (too short a history)$" "$TMP/w1.txt"
check "plain output: no snake_case class" -- test "$(grep -c "not_enough_data" "$TMP/w1.txt")" = 0
# A process's age is from its start, not from when the watch first saw it.
sleep 30 & SL=$!; pids+=($SL)
sleep 2
"$JITMEM" watch --json --count 1 $SL > "$TMP/age.json"
jcheck "age_s from the process's start (started 2 s before the watch)" "$TMP/age.json" "1.8 <= d['processes'][0]['age_s'] <= 10"
kill $SL
# An ancestor watched (the shell that runs jitmem): jitmem itself is left out of what it watches.
sh -c '"$1" watch --json --count 2 --interval 100ms $$ > "$2"; echo "$?" > "$2.st"' sh "$JITMEM" "$TMP/anc.jsonl"
check_eq "watch of jitmem's own shell exits 0" "$(cat "$TMP/anc.jsonl.st")" 0
tail -n 1 "$TMP/anc.jsonl" > "$TMP/anc.json"
jcheck "watch of an ancestor: the shell alone, never jitmem" "$TMP/anc.json" \
        "d['totals']['processes'] == 1 and [p['comm'] for p in d['processes']] == ['sh'] and d['untracked_processes'] == 0"
err=$(sh -c 'exec "$1" watch --count 1 $$' sh "$JITMEM" 2>&1); st=$?
check_eq "watch of jitmem's own PID -> 2" $st 2
check "watch of jitmem's own PID: said so ($err)" -- grep -q "is jitmem itself" <<<"$err"

# 3. By pattern: a process that appears later is picked up at the next rescan.
marker="jitmem-watch-test-$$"
"$FIX/heapgrow" --mb 4 --steps 2 --hold-ms 60000 "$marker" > /dev/null 2>&1 &
pids+=($!)
( sleep 0.6; exec -a "$marker-late" "$FIX/heapgrow" --mb 4 --steps 2 --hold-ms 60000 > /dev/null 2>&1 ) &
pids+=($!)
"$JITMEM" watch --json --match "$marker" --rescan 200ms --interval 100ms --count 15 > "$TMP/w2.jsonl"
check_eq "watch --match exits 0" $? 0
"$PY" - "$TMP/w2.jsonl" <<'PYEOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
assert ticks[0]["totals"]["processes"] == 1, ticks[0]["totals"]
assert ticks[-1]["totals"]["processes"] == 2, ticks[-1]["totals"]
started = [e for t in ticks for e in t["events"] if e["event"] == "started"]
assert len(started) == 1, started
# jitmem's own command line holds the pattern too: never watched
assert all(p["comm"] != "jitmem" for t in ticks for p in t["processes"])
PYEOF
ok $? "--match: the first process at once, the late one at a rescan, jitmem itself never"

# 4. Worker restarts of a real pre-fork server, and the events.
if command -v python3 > /dev/null; then
        PORT=$(free_port)
        python3 workloads/webapp.py --port "$PORT" --workers 2 > /dev/null 2> "$TMP/web.err" &
        WEB=$!; pids+=($WEB)
        for _ in $(seq 1 50); do grep -q listening "$TMP/web.err" 2>/dev/null && break; sleep 0.1; done
        "$JITMEM" watch --json --interval 100ms --count 25 $WEB > "$TMP/w3.jsonl" &
        WP=$!
        sleep 0.8
        victim=$(pgrep -P $WEB | head -n 1)
        kill -KILL "$victim"
        wait $WP
        "$PY" - "$TMP/w3.jsonl" "$victim" <<'PYEOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
victim = int(sys.argv[2])
ev = [e for t in ticks for e in t["events"]]
assert any(e["event"] == "ended" and e["pid"] == victim for e in ev), ev
assert sum(e["event"] == "restarted" for e in ev) == 1, ev
assert ticks[-1]["worker_restarts"] == 1, ticks[-1]["worker_restarts"]
last = ticks[-1]
assert sorted(p["role"] for p in last["processes"]) == ["master", "worker", "worker"], last["processes"]
assert sum(p["restarted"] for p in last["processes"]) == 1
PYEOF
        ok $? "a killed worker: ended, its replacement counted as a restart"
        kill $WEB 2>/dev/null
else
        skip "python3 not installed: the pre-fork restart test did not run"
fi

# 5. The textfile and the endpoint.
"$JITMEM" watch --count 2 --interval 100ms --textfile "$TMP/jitmem.prom" $JL > /dev/null
check_eq "--textfile exits 0" $? 0
check "textfile written, no temporary file left" -- test -s "$TMP/jitmem.prom" -a "$(ls -A "$TMP" | grep -c '^\.')" = 0
grep -q "^jitmem_total_jit_code_bytes $(( (8 + 24) * K64 ))$" "$TMP/jitmem.prom"; ok $? "textfile: total JIT code exact"
grep -q '^jitmem_process_jit_code_bytes{pid="[0-9]*",role="worker",command="jitlike"} 786432$' "$TMP/jitmem.prom"; ok $? "textfile: per-process labels"
if command -v promtool > /dev/null; then
        promtool check metrics < "$TMP/jitmem.prom" > "$TMP/promtool.out" 2>&1
        ok $? "promtool check metrics: clean ($(head -c 200 "$TMP/promtool.out"))"
else
        skip "promtool not installed (Debian package prometheus): the exposition was not checked by it"
fi

MP=$(free_port)
"$JITMEM" watch --interval 200ms --listen ":$MP" $JL > /dev/null 2>&1 &
WL=$!; pids+=($WL)
for _ in $(seq 1 50); do "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$MP" 2>/dev/null && break; sleep 0.1; done
"$PY" - "$MP" <<'PYEOF'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
def get(path="/metrics"):
    return urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5)
time.sleep(0.5)
body = get().read().decode()
assert "jitmem_total_jit_code_bytes" in body, body[:200]
# bad clients: garbage, a huge header, a slow one, many at once
s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"\x00\x01garbage\r\n\r\n"); s.settimeout(5)
assert s.recv(100).startswith(b"HTTP/1.1 400"); s.close()
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(5)
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 65536 + b"\r\n\r\n")
except OSError:
    pass
assert s.recv(100).startswith(b"HTTP/1.1 431"); s.close()
slow = socket.create_connection(("127.0.0.1", port)); slow.sendall(b"GET /met")
many = [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
for c in many:
    c.close()
assert "jitmem_processes 3" in get().read().decode()
try:
    get("/nope")
    assert False
except urllib.error.HTTPError as e:
    assert e.code == 404
slow.close()
PYEOF
ok $? "/metrics: served, and still served after garbage, a 64 KiB header, a slow client and 150 connections"
"$PY" - "$MP" <<'PYEOF'
import sys
port = "%04X" % int(sys.argv[1])
listening = [l.split()[1] for l in open("/proc/net/tcp").read().splitlines()[1:] if l.split()[3] == "0A" and l.split()[1].endswith(":" + port)]
sys.exit(0 if listening == ["0100007F:" + port] else "listening on %r" % listening)
PYEOF
ok $? "--listen :PORT listens on 127.0.0.1 only"

# Debian's Prometheus scraping jitmem on loopback; the value read back through its HTTP API.
if command -v prometheus > /dev/null; then
        PP=$(free_port)
        cat > "$TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: jitmem
    static_configs: [{targets: ['127.0.0.1:$MP']}]
EOF
        prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
                --web.listen-address="127.0.0.1:$PP" > "$TMP/prometheus.log" 2>&1 &
        PR=$!; pids+=($PR)
        "$PY" - "$PP" "$(( (8 + 24) * K64 ))" <<'PYEOF'
import json, sys, time, urllib.parse, urllib.request
port, want = int(sys.argv[1]), float(sys.argv[2])
deadline = time.time() + 40
got = None
while time.time() < deadline:
    try:
        q = urllib.parse.urlencode({"query": "jitmem_total_jit_code_bytes"})
        r = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query?%s" % (port, q), timeout=2))
        res = r["data"]["result"]
        if res:
            got = float(res[0]["value"][1])
            q = urllib.parse.urlencode({"query": 'count(jitmem_process_jit_code_bytes{role="worker"})'})
            r = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query?%s" % (port, q), timeout=2))
            workers = float(r["data"]["result"][0]["value"][1]) if r["data"]["result"] else 0
            if got == want and workers == 2:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
print("prometheus read back %r, wanted %r" % (got, want), file=sys.stderr)
sys.exit(1)
PYEOF
        ok $? "Prometheus scraped jitmem: the total JIT code and two workers read back through its API"
        kill $PR 2>/dev/null
else
        skip "prometheus not installed (Debian package prometheus): the real scrape did not run"
fi
kill $WL 2>/dev/null

# 6. A memory cgroup (v1 here; v2 through fixture trees in the unit tests).
CG=/sys/fs/cgroup/memory/jitmem-test-$$
if [ "$(id -u)" = 0 ] && [ -d /sys/fs/cgroup/memory ] && mkdir "$CG" 2>/dev/null; then
        echo $((64 << 20)) > "$CG/memory.limit_in_bytes"
        # joins the cgroup before it allocates (v1 does not move charges made before)
        sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" --mb 8 --steps 2 --hold-ms 60000' sh "$CG" "$FIX/heapgrow" > /dev/null 2>&1 &
        HG=$!; pids+=($HG)
        sleep 0.5
        "$JITMEM" watch --json --count 2 --interval 100ms --cgroup "$CG" > "$TMP/w4.jsonl"
        check_eq "watch --cgroup exits 0" $? 0
        tail -n 1 "$TMP/w4.jsonl" > "$TMP/w4.json"
        jcheck "cgroup: its process, usage, and its limit judged against" "$TMP/w4.json" \
                "d['totals']['processes'] == 1 and d['processes'][0]['pid'] == $HG and d['cgroup']['usage_bytes'] > 8 << 20 and d['limit_bytes'] == 64 << 20 and d['limit_source'] == 'cgroup'"
        kill $HG; wait $HG 2>/dev/null
        rmdir "$CG" 2>/dev/null
else
        skip "cannot create a v1 memory cgroup here (not root, or no v1 memory hierarchy): --cgroup tested on fixtures only"
fi

# 7. Another user's processes: said once each, with the fix. A tree of three of its own (the
#    first one's hold may be over by now on a loaded machine).
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
        "$FIX/jitlike" --regions 1 --hold-ms 60000 --workers 2 --worker-regions 1 > "$TMP/jl7.out" &
        JL7=$!; pids+=($JL7)
        for _ in $(seq 1 100); do grep -q ready "$TMP/jl7.out" 2>/dev/null && break; sleep 0.1; done
        sleep 0.3
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$JITMEM" watch --count 2 --interval 100ms $JL7 2>&1)
        check_eq "unreadable, nothing else named: exit 1" $? 1
        check_eq "unreadable: one line per process, once" "$(grep -c "cannot be read (another user's process)" <<<"$out")" 3
        check "unreadable: the fix named" -- grep -q "run jitmem as root or as its owner" <<<"$out"
        check "unreadable: nothing could be watched, said ($(tail -n 1 <<<"$out"))" -- \
                grep -q "^jitmem: nothing could be watched: 3 processes of another user cannot be read" <<<"$out"
else
        skip "not root: the unreadable-process report was not tested"
fi

# 8. jitmem analyze on a recorded run: a leak is a leak, a JIT warm-up is not.
"$JITMEM" run -q --interval 20ms --out "$TMP/leak" -- "$FIX/heapgrow" --mb 64 --steps 60 --step-ms 40 --hold-ms 0 > /dev/null
"$JITMEM" analyze --json "$TMP/leak" > "$TMP/a1.json"
check_eq "analyze exits 0" $? 0
jcheck "analyze: steady growth of a heap that only grows" "$TMP/a1.json" "d['schema'] == 'jitmem.analyze/1' and d['tree']['class'] == 'steady_growth'"
"$JITMEM" run -q --interval 20ms --out "$TMP/warm" -- "$FIX/jitlike" --regions 40 --size $K64 --step-ms 40 --hold-ms 4000 > /dev/null
"$JITMEM" analyze --json "$TMP/warm" > "$TMP/a2.json"
jcheck "analyze: JIT growth then a plateau is not a leak" "$TMP/a2.json" "d['tree']['class'] in ('plateau', 'warming_up') and d['tree']['jit_growth_end_s'] is not None"
"$JITMEM" analyze "$TMP/warm" > "$TMP/a2.txt"
check "analyze: a readable report" -- grep -q "^tree: " "$TMP/a2.txt"
"$JITMEM" analyze "$TMP/nothing" 2>/dev/null; check_eq "analyze: not a run -> 1" $? 1
err=$("$JITMEM" analyze "$TMP/nothing" 2>&1)
check_eq "analyze: a path that does not exist is said to" "$err" "jitmem: $TMP/nothing does not exist"
mkdir -p "$TMP/cmp/runs"; : > "$TMP/cmp/comparison.json"; cp -r "$TMP/leak" "$TMP/cmp/runs/02-on"; cp -r "$TMP/leak" "$TMP/cmp/runs/01-off"
err=$("$JITMEM" analyze "$TMP/cmp" 2>&1); check_eq "analyze: a comparison directory -> 1" $? 1
check "analyze: a comparison directory points to its runs ($err)" -- grep -q "comparison directory (comparison.json): analyze one of its 2 runs, such as" <<<"$err"
"$JITMEM" analyze --json "$(grep -o "$TMP/cmp/runs/[0-9a-z-]*" <<<"$err")" > /dev/null
check_eq "analyze: the run it points to is analyzed" $? 0
"$JITMEM" analyze 2>/dev/null; check_eq "analyze: no directory -> 2" $? 2

# 9. analyze on recorded runs where python3 is pyenv's shim (tests/data/runs): the shim's helpers
# are neither workers nor restarts; a master's workers behind it are; the tick count is the run's;
# no sentence states a trend the class does not.
D=tests/data/runs
"$JITMEM" analyze "$D/pyenv-shim" > "$TMP/shim.txt"
check_eq "analyze (pyenv shim) exits 0" $? 0
check "analyze (pyenv shim): no workers invented from the shim's helpers" -- bash -c "! grep -q 'workers:' '$TMP/shim.txt'"
check "analyze (pyenv shim): the run's 21 ticks" -- grep -q "^21 ticks over" "$TMP/shim.txt"
"$JITMEM" analyze --json "$D/pyenv-shim" > "$TMP/shim.json"
jcheck "analyze --json (pyenv shim): workers null, 21 ticks" "$TMP/shim.json" "d['workers'] is None and d['ticks'] == 21"
"$JITMEM" analyze "$D/pyenv-prefork" > "$TMP/pre.txt"
check "analyze (master behind the shim): 2 workers at once, 3 seen, 1 restart" -- grep -q "workers: 2 at once, 3 seen, 1 restart" "$TMP/pre.txt"
for f in "$TMP/shim.txt" "$TMP/pre.txt"; do
        cls=$(sed -n 's/^tree: \([a-z_]*\).*/\1/p' "$f")
        case $cls in
        plateau|copy_on_write|sawtooth) ;;
        *) check "analyze: no warm-up end beside the class $cls" -- bash -c "! grep -q 'warm-up ended' '$f'" ;;
        esac
        check "analyze: no trend sentence outside the class ($cls)" -- bash -c "! grep -q 'still trending' '$f'"
done
"$JITMEM" run -q --out "$TMP/short" -- "$PY" -c 'import time; x=[0]*10**6; time.sleep(0.5)' 2>/dev/null
"$JITMEM" analyze --json "$TMP/short" > "$TMP/short.json"
check_eq "analyze counts the ticks run recorded" "$(jget "$TMP/short.json" "d['ticks']")" "$(jget "$TMP/short/summary.json" "d['ticks']['count']")"
jcheck "analyze: a one-process run has no workers" "$TMP/short.json" "d['workers'] is None"

finish test_watch
