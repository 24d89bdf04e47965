#!/usr/bin/env bash
# End-to-end tests of text from processes, which is any bytes: a command path and a command
# line that are not UTF-8 (Latin-1 "café") end in valid JSON, the run's summary and exit status
# kept; a process named with ESC and a newline is printed escaped by run, watch and analyze,
# and exported escaped on /metrics, which promtool accepts.
. "$(dirname "$0")/lib.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP_TOP"; }
trap cleanup EXIT

# 1. Not UTF-8: the command is a copy of sh named "sh-caf\xe9" (its comm not UTF-8 either) in a
# directory named "bin\xe9"; its child, a sh, starts another copy with "caf\xe9" in its
# arguments, which lives while a few ticks are taken; then the command exits 3.
bin="$TMP/bin"$'\xe9'
mkdir -p "$bin"
cp /bin/sh "$bin/sh"
cp /bin/sh "$bin/sh-caf"$'\xe9'
q="'"
script="/bin/sh -c $q\"\$0\" -c \"sleep 0.5; : caf"$'\xe9'"\"; :$q \"\$0\"; exit 3"
"$JITMEM" run -q --interval 10ms --out "$TMP/latin1" -- "$bin/sh-caf"$'\xe9' -c "$script" "$bin/sh" > /dev/null 2> "$TMP/latin1.err"
rc=$?
check_eq "a command path and a grandchild's arguments in Latin-1: the command's exit status ($(head -c 300 "$TMP/latin1.err"))" $rc 3
check "no error said" -- test ! -s "$TMP/latin1.err"
jcheck "summary.json written, valid JSON, exit status 3" "$TMP/latin1/summary.json" "d['exit_status'] == 3 and d['recording_error'] is None"
jcheck "every process listed, the grandchild's sleep too; command lines with each byte not UTF-8 as U+FFFD" \
        "$TMP/latin1/summary.json" "len(d['processes']) == 4 and all('caf\ufffd' in p['cmdline'] for p in d['processes'] if 'sleep' not in p['cmdline'])"
jcheck "meta.json: the command path and its arguments, each byte not UTF-8 as U+FFFD" "$TMP/latin1/meta.json" \
        "d['executable'].endswith('/bin\ufffd/sh-caf\ufffd') and d['command'][0] == d['executable'] and d['command'][2].endswith('caf\ufffd\"; :\' \"\$0\"; exit 3')"
# The command itself UTF-8, its grandchild not: summary.json all the same.
"$JITMEM" run -q --interval 10ms --out "$TMP/latin1-grandchild" -- /bin/sh -c "$script" "$bin/sh" > /dev/null 2> "$TMP/latin1-gc.err"
rc=$?
check_eq "a grandchild's command line in Latin-1: the command's exit status ($(head -c 300 "$TMP/latin1-gc.err"))" $rc 3
jcheck "summary.json written, every process listed" "$TMP/latin1-grandchild/summary.json" \
        "d['exit_status'] == 3 and len(d['processes']) == 4 and any('caf\ufffd' in p['cmdline'] for p in d['processes'])"
"$PY" -c 'import sys; sys.exit(0 if open(sys.argv[1], encoding="utf-8").read().count("sh-caf\\xe9") > 0 else 1)' \
        "$TMP/latin1/samples.csv" 2>/dev/null
ok $? "samples.csv is UTF-8, the comm escaped as \\xNN"
"$JITMEM" analyze --json "$TMP/latin1" > "$TMP/latin1.json" 2> "$TMP/latin1-analyze.err"
rc=$?
check_eq "analyze --json of that run exits 0 ($(head -c 300 "$TMP/latin1-analyze.err"))" $rc 0
jcheck "analyze --json lists the process whose comm is not UTF-8" "$TMP/latin1.json" \
        "'sh-caf\\\\xe9' in [p['comm'] for p in d['processes']] and len(d['processes']) == 4"
# A samples.csv with the raw byte, as an earlier jitmem wrote it: the process listed all the same.
cp -r "$TMP/latin1" "$TMP/latin1-raw"
LC_ALL=C sed -i 's/sh-caf\\xe9/sh-caf'$'\xe9''/' "$TMP/latin1-raw/samples.csv"
"$JITMEM" analyze --json "$TMP/latin1-raw" > "$TMP/latin1-raw.json" 2>/dev/null
rc=$?
check_eq "analyze --json of a raw Latin-1 comm exits 0" $rc 0
jcheck "analyze --json lists it, the byte as U+FFFD" "$TMP/latin1-raw.json" \
        "'sh-caf\ufffd' in [p['comm'] for p in d['processes']] and len(d['processes']) == 4"
"$JITMEM" analyze "$TMP/latin1" > "$TMP/latin1.txt" 2>&1
check_eq "analyze (text) exits 0" $? 0
check "analyze (text): the comm escaped in the table" -- grep -q ' sh-caf\\xe9 ' "$TMP/latin1.txt"

# 2. A name with ESC and a newline: a copy of heapgrow named "ev<ESC>[1m<LF>l" (its comm too).
ev="$TMP/ev"$'\e[1m\nl'
esc='ev\x1b[1m\x0al'
cp "$FIX/heapgrow" "$ev"
no_raw() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; } # no control byte but TAB and LF
"$JITMEM" run --interval 10ms --out "$TMP/evil" -- "$ev" --mb 2 --steps 1 --hold-ms 300 > /dev/null 2> "$TMP/evil.err"
rc=$?
check_eq "run of a command named with ESC and a newline exits 0" $rc 0
check "run's table: the command escaped ($(grep -m1 -F "$esc" "$TMP/evil.err" | head -c 120))" -- \
        test "$(grep -cF "/$esc" "$TMP/evil.err")" = 2
check "run's output: no raw control byte" -- no_raw "$TMP/evil.err"
"$JITMEM" analyze "$TMP/evil" > "$TMP/evil.txt" 2>&1
check "analyze (text): the comm and the command escaped, no raw control byte" -- \
        grep -qF " $esc " "$TMP/evil.txt" && grep -qF "/$esc --mb" "$TMP/evil.txt" && no_raw "$TMP/evil.txt"

# watch: its line output while the process lives (and /metrics meanwhile), then its end.
"$ev" --mb 2 --steps 1 --hold-ms 60000 > "$TMP/ev.out" &
EV=$!; pids+=($EV)
for _ in $(seq 1 100); do grep -q ready "$TMP/ev.out" 2>/dev/null && break; sleep 0.05; done
MP=$(free_port)
"$JITMEM" watch --interval 100ms --count 200 --listen "127.0.0.1:$MP" $EV > "$TMP/watch.txt" 2> "$TMP/watch.err" &
WP=$!; pids+=($WP)
got=1
for _ in $(seq 1 100); do # the body kept from the first scrape that holds the process
        "$PY" -c 'import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read()
if b"jitmem_process_resident_memory_bytes{" not in body:
    sys.exit(1)
open(sys.argv[2], "wb").write(body)' "$MP" "$TMP/metrics.txt" 2>/dev/null && { got=0; break; }
        sleep 0.1
done
ok $got "/metrics: the process exported"
check "/metrics: the command label escaped: ESC as the text \\x1b, its backslash escaped, LF as \\n ($(grep -m1 'resident_memory_bytes{' "$TMP/metrics.txt" | head -c 120))" -- \
        grep -qF 'command="ev\\x1b[1m\nl"' "$TMP/metrics.txt"
check "/metrics: no raw control byte" -- no_raw "$TMP/metrics.txt"
if command -v promtool > /dev/null; then
        promtool check metrics < "$TMP/metrics.txt" > "$TMP/promtool.out" 2>&1
        ok $? "promtool check metrics: clean ($(head -c 200 "$TMP/promtool.out"))"
else
        skip "promtool not installed (Debian package prometheus): the exposition was not checked by it"
fi
kill $EV
wait $EV 2>/dev/null
for _ in $(seq 1 50); do grep -q "ended after" "$TMP/watch.txt" && break; sleep 0.1; done
kill $WP 2>/dev/null
wait $WP 2>/dev/null
check "watch's lines: the end of the process, its name escaped ($(grep -m1 'ended' "$TMP/watch.txt"))" -- \
        grep -qF "pid $EV ($esc) ended after" "$TMP/watch.txt"
check "watch's lines: one line per record, each starting with the time, no raw control byte" -- \
        test "$(grep -cvE '^[0-9]{2}:[0-9]{2}:[0-9]{2}  ' "$TMP/watch.txt")" = 0 -a -s "$TMP/watch.txt"
check "watch's output: no raw control byte" -- no_raw "$TMP/watch.txt"

finish test_text
