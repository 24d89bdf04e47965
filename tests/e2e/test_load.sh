#!/usr/bin/env bash
# End-to-end tests of `jitmem load` against a loopback test server (tests/fixtures/httpd.c) that
# counts what it answers, and misbehaves on purpose: chunked, slow, reset, garbage.
. "$(dirname "$0")/lib.sh"

"$FIX/httpd" "$TMP/port" &
HP=$!
trap 'kill $HP 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
U="http://127.0.0.1:$(cat "$TMP/port")"
L() { "$JITMEM" load "$@" --json > "$TMP/out.json"; }

L "$U/ok" --count 1000 -c 4
check_eq "count mode exits 0" $? 0
jcheck "exactly 1000 sent and answered, all 2xx" "$TMP/out.json" "d['requests']['sent'] == 1000 and d['requests']['completed'] == 1000 and d['status']['2xx'] == 1000 and sum(d['errors'].values()) == 0"
jcheck "schema and percentiles" "$TMP/out.json" "d['schema'] == 'jitmem.load/1' and 0 < d['latency_us']['p50'] <= d['latency_us']['p99'] <= d['latency_us']['max']"
L "$U/chunked" --count 300 -c 3
jcheck "chunked bodies (with extensions and trailers) parsed" "$TMP/out.json" "d['status']['2xx'] == 300 and d['errors']['parse'] == 0"
L "$U/big" --count 20 -c 2
jcheck "1 MiB bodies read whole" "$TMP/out.json" "d['status']['2xx'] == 20 and d['bytes_read'] >= 20 * 1048576"
L "$U/status/503" --count 50 -c 2
jcheck "5xx counted" "$TMP/out.json" "d['status']['5xx'] == 50"
L "$U/status/404" --count 50 -c 2
jcheck "4xx counted" "$TMP/out.json" "d['status']['4xx'] == 50"
L "$U/close" --count 40 -c 2
jcheck "Connection: close answers, reconnecting each time" "$TMP/out.json" "d['status']['2xx'] == 40 and sum(d['errors'].values()) == 0"
L "$U/bad" --count 30 -c 2
jcheck "garbage status lines: parse errors" "$TMP/out.json" "d['errors']['parse'] == 30 and d['requests']['completed'] == 0"
L "$U/reset" --count 30 -c 2
jcheck "resets counted" "$TMP/out.json" "d['errors']['reset'] == 30"
L "$U/slow?ms=400" --count 4 -c 2 --timeout 100ms
jcheck "timeouts counted" "$TMP/out.json" "d['errors']['timeout'] == 4 and d['requests']['completed'] == 0"

# The open model: the achieved rate, and latency from the intended send time.
L "$U/ok" --rate 200 --duration 2s -c 4
jcheck "rate 200/s for 2 s: 400 requests, within 1%" "$TMP/out.json" "abs(d['requests']['completed'] - 400) <= 4"
# Connections are opened when a request is due and none is free: one suffices for a keep-alive
# server at a low rate (sixteen opened ahead would hold sixteen workers of a server that serves
# one connection at a time); each request needs its own when the server closes after it. On an
# idle machine 1 or 2 are opened; a busy one that delays an answer past the next send time (a
# request every 20 ms) makes a few more (5 seen with a load average of 4): at most half.
conns() { "$PY" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/conns").read().decode())' "$U"; }
c0=$(conns); L "$U/ok" --rate 50 --duration 1s -c 16; c1=$(conns)
check "open model, keep-alive, 50/s: connections opened on demand, at most 8 of 16 ($((c1 - c0 - 1)))" -- test $((c1 - c0 - 1)) -le 8
jcheck "open model, keep-alive: every request answered" "$TMP/out.json" "d['status']['2xx'] == 50"
c0=$(conns); L "$U/close" --rate 50 --duration 1s -c 16; c1=$(conns)
check_eq "open model, the server closes: one connection per request" $((c1 - c0 - 1)) 50
jcheck "open model, the server closes: no error, latency from the connect on" "$TMP/out.json" "d['status']['2xx'] == 50 and sum(d['errors'].values()) == 0"
L "$U/slow?ms=100" --rate 50 --duration 1s -c 1 --timeout 5s
jcheck "a stalled server shows: latency counted from when each request was due" "$TMP/out.json" "d['latency_us']['max'] > 500000 and d['requests']['unsent_due'] > 30"

# A request mix, replayed identically for a seed.
cat > "$TMP/mix.txt" <<'MIX'
# weight method path [body]
3 GET /ok
1 POST /status/404 {"a": 1}
  X-Test: yes
MIX
L "$U/" --requests "$TMP/mix.txt" --count 400 -c 2 --seed 7; cp "$TMP/out.json" "$TMP/m1.json"
L "$U/" --requests "$TMP/mix.txt" --count 400 -c 2 --seed 7
jcheck "mix: both requests sent, about 3:1" "$TMP/m1.json" "d['status']['2xx'] + d['status']['4xx'] == 400 and 240 < d['status']['2xx'] < 360"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a["status"] == b["status"] else 1)' "$TMP/m1.json" "$TMP/out.json"
ok $? "mix: the same seed sends the same requests"

# The server counted every request exactly.
kill -TERM $HP; wait $HP
expected=$((1000 + 300 + 20 + 50 + 50 + 40 + 30 + 30 + 4 + 4 + 100))
got=$(cat "$TMP/port.count")
check "the server answered what jitmem counted ($got answered)" -- test "$got" -ge $expected

# Errors: refused, bad input.
L http://127.0.0.1:9/ --count 5 -c 1 --timeout 1s --duration 1s 2>/dev/null
check_eq "connection refused: nothing completed -> 1" $? 1
jcheck "connection refused: counted, still a report" "$TMP/out.json" "d['errors']['connect'] > 0 and d['requests']['completed'] == 0"
jcheck "connection refused: no latency figures without a response" "$TMP/out.json" "all(v is None for v in d['latency_us'].values())"
timeout 20 "$JITMEM" load http://127.0.0.1:9/ --count 3 -c 1 > "$TMP/refused.txt" 2> "$TMP/refused.err"
check_eq "refused with --count alone: ends, nothing completed -> 1" $? 1
check "refused: the text report prints no percentile" -- test "$(grep -c 'p50' "$TMP/refused.txt")" = 0
check "refused: says no latency was measured" -- grep -q "Latency: none measured (no response was received)" "$TMP/refused.txt"
check "refused: stderr says why the status is 1" -- grep -q "not one request had a response (errors: 3 connect" "$TMP/refused.err"
"$JITMEM" load ftp://x/ 2>/dev/null; check_eq "bad URL -> 2" $? 2
"$JITMEM" load http://no-such-host.invalid/ --count 1 2>/dev/null; check_eq "host not found -> 1" $? 1
printf 'x GET /\n' > "$TMP/bad.txt"
err=$("$JITMEM" load "$U/" --requests "$TMP/bad.txt" --count 1 2>&1); check_eq "bad mix -> 2" $? 2
check "bad mix: the line is named" -- grep -q "bad.txt:1:" <<<"$err"
"$JITMEM" load 2>/dev/null; check_eq "no URL -> 2" $? 2
"$JITMEM" load "$U/" --rate 0 2>/dev/null; check_eq "bad --rate -> 2" $? 2
err=$("$JITMEM" load "$U/" --duration 5 2>&1); check_eq "a duration without a unit -> 2" $? 2
check "a duration without a unit: the units are named" -- grep -q "units: ns, us, ms, s, m (or min), h" <<<"$err"
"$JITMEM" load "$U/" --timeout 10 2>/dev/null; check_eq "--timeout without a unit -> 2" $? 2
"$JITMEM" load --help | grep -q "coordinated omission"; ok $? "load --help"

finish test_load
