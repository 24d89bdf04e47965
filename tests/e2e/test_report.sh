#!/usr/bin/env bash
# jitmem report: the HTML page of recorded runs and comparisons (tests/data) and of fresh ones
# (fakejit), checked against samples.csv point by point (report_check.py); no network
# reference; a 1-hour watch recording reduced under a size bound; hostile process names
# escaped; compare's report.html; the exit statuses; and, where Chromium is installed, the page
# rendered to a PNG that is not blank with no console error.
. "$(dirname "$0")/lib.sh"

CHECK_PY="$(dirname "$0")/report_check.py"
SIZE_BOUND=1572864 # 1.5 MiB for a 1-hour recording at 1 s of 8 processes

# the recorded fixtures
for d in tests/data/runs/*/; do
        d=${d%/}
        n=$(basename "$d")
        out=$("$JITMEM" report "$d" -o "$TMP/$n.html" 2>"$TMP/$n.err")
        ok $? "report of $d exits 0"
        check_eq "report of $d prints the path written" "$out" "$TMP/$n.html"
        check "report of $d: its lines are samples.csv's rows, no http(s) reference" -- \
                sh -c '"$1" "$2" "$3" "$4" --min-lines 3 >"$5"' _ "$PY" "$CHECK_PY" "$TMP/$n.html" "$d" "$TMP/$n.check"
done
cp -r tests/data/compare/fakejit-debug "$TMP/cmp"
out=$("$JITMEM" report "$TMP/cmp")
ok $? "report of the recorded comparison exits 0"
check_eq "the default output is DIR/report.html" "$out" "$TMP/cmp/report.html"
check "the comparison's median lines (RSS, PSS, JIT code, debug images, both modes) and process lines are samples.csv's rows" -- \
        sh -c '"$1" "$2" "$3" "$4" --min-lines 10 >"$5"' _ "$PY" "$CHECK_PY" "$TMP/cmp/report.html" "$TMP/cmp/runs" "$TMP/cmp.check"
check "the verdict and its rules are at the top" -- grep -q 'GO WITH CONDITIONS' "$TMP/cmp/report.html"
check "each rule is named with its status" -- grep -q 'per_worker_limit</td><td class="na">not evaluated' "$TMP/cmp/report.html"
check "a band per mode" -- grep -q 'data-series="pss-on-band"' "$TMP/cmp/report.html"
check "the equivalent points with their deltas" -- grep -q 'data-series="delta-pss_bytes"' "$TMP/cmp/report.html"
check "an absent figure is shown as not measured, never 0" -- grep -q 'latency_p50_us</td><td class="absent">not measured' "$TMP/cmp/report.html"

# the check fails when a point is wrong: one RSS value of the median run changed after the report
run=$("$PY" -c 'import re,sys; print(re.search(r"data-run=\"([^\"]+)\" data-xcol=\"[a-z_]+\" data-ycol=\"rss_bytes\"", open(sys.argv[1]).read()).group(1))' "$TMP/cmp/report.html")
"$PY" - "$TMP/cmp/runs/$run/samples.csv" <<'PYEOF'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
h = lines[0].split(",")
tree = [i for i in range(1, len(lines)) if len(lines[i].split(",")) == len(h) and lines[i].split(",")[1] == "tree"
        and lines[i].split(",")[h.index("processes")] not in ("", "0")]
for i in tree[len(tree) // 2:]:
    f = lines[i].split(",")
    if True:
        f[h.index("rss_bytes")] = str(int(f[h.index("rss_bytes")]) + 300000)
        lines[i] = ",".join(f)
        break
open(p, "w").write("\n".join(lines))
PYEOF
"$PY" "$CHECK_PY" "$TMP/cmp/report.html" "$TMP/cmp/runs" >"$TMP/wrong.txt" 2>&1
check_eq "a plotted point that is not the data's is caught" "$?" 1
check "... naming the line" -- grep -q 'rss-.*-median: point' "$TMP/wrong.txt"

# a 1-hour watch recording at 1 s, 8 processes, hostile names
W="$TMP/watch1h"
mkdir -p "$W"
"$PY" - "$W" <<'PYEOF'
import csv, json, os, sys
d = sys.argv[1]
cols = ("t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,rss_anon_bytes,rss_file_bytes,rss_shmem_bytes,pss_bytes,"
        "uss_bytes,swap_bytes,cpu_user_s,cpu_sys_s,jit_code_bytes,jit_mappings,jit_pss_bytes,exec_other_bytes,threads,"
        "processes,cgroup_usage_bytes,progress_units,read_t_s,read_err_s,execs,jit_debug_images,jit_debug_bytes,"
        "pss_anon_bytes,anon_pagemap_bytes,anon_outside_bytes").split(",")
names = [b"python3", b"</script>", b"<svg onload=alert(1)>", b"\xff\xfe\xc3(evil", b"w&o'r\"k", b"one", b"two", b"three"]
MiB = 1 << 20
with open(os.path.join(d, "samples.csv"), "wb") as f:
    f.write((",".join(cols) + "\n").encode())
    for i in range(3600):
        t = "%.6f" % (i * 1.0 + 0.01)
        heavy = i % 10 == 0
        tr = dict.fromkeys(cols, b"")
        tot = dict(rss=0, pss=0, jit=0)
        for k in range(8):
            rss = 40 * MiB + k * MiB + i * 4096 * (k + 1) + (8 * MiB if (i == 2345 and k == 3) else 0)
            jit = 64 * 1024 * (k + 1) if i > 30 else 0
            row = dict.fromkeys(cols, b"")
            row.update(t_s=t.encode(), scope=b"process", pid=str(1000 + k).encode(),
                       ppid=(b"1" if k == 0 else b"1000"), comm=b'"' + names[k].replace(b'"', b'""') + b'"',
                       rss_bytes=str(rss).encode(), vsz_bytes=str(rss * 3).encode(), jit_code_bytes=str(jit).encode(),
                       threads=b"1", pss_bytes=str(rss // 2).encode() if heavy else b"")
            f.write(b",".join(row[c] for c in cols) + b"\n")
            tot["rss"] += rss; tot["pss"] += rss // 2; tot["jit"] += jit
        tr.update(t_s=t.encode(), scope=b"tree", pid=b"1000", rss_bytes=str(tot["rss"]).encode(),
                  vsz_bytes=str(tot["rss"] * 3).encode(), jit_code_bytes=str(tot["jit"]).encode(), threads=b"8",
                  processes=b"8", pss_bytes=str(tot["pss"]).encode() if heavy else b"")
        f.write(b",".join(tr[c] for c in cols) + b"\n")
json.dump({"schema": "jitmem.run.meta/1", "source": "watch", "limit_bytes": 2 * 1024 * MiB,
           "command": ["jitmem", "watch", "--match", "python3"], "interval_s": 1},
          open(os.path.join(d, "meta.json"), "w"))
PYEOF
"$JITMEM" report "$W" >/dev/null
ok $? "report of a 1-hour watch recording exits 0"
size=$(stat -c %s "$W/report.html")
check "the 1-hour recording's report is under $SIZE_BOUND bytes (it is $size)" -- test "$size" -lt "$SIZE_BOUND"
check "its lines are samples.csv's rows, reduced to 1000 points at most with the peaks kept, and it says so" -- \
        sh -c '"$1" "$2" "$3" "$4" --min-lines 12 --reduced --max-bytes "$5" >"$6"' _ "$PY" "$CHECK_PY" "$W/report.html" "$W" "$SIZE_BOUND" "$TMP/w.check"
check "a watch recording shows the growth per process" -- grep -q 'Growth and the limit' "$W/report.html"
check "the projection to the limit is drawn, dashed" -- grep -q 'class="seg dashed" data-series="projection"' "$W/report.html"
check "the limit is drawn" -- grep -q 'data-series="limit"' "$W/report.html"
check "growth classes per process" -- grep -q '<td>steady_growth</td>' "$W/report.html"
check_eq "no name closes the page's script (one </script>, the page's own)" "$(grep -o '</script>' "$W/report.html" | wc -l)" 1
check "no name opens an element" -- sh -c '! grep -q "<svg onload" "$1"' _ "$W/report.html"
check "a name's < > are escaped" -- grep -q '&lt;svg onload=alert(1)&gt;' "$W/report.html"
check "a name's & ' \" are escaped" -- grep -q 'w&amp;o&#39;r&quot;k' "$W/report.html"
check "bytes that are not UTF-8 become U+FFFD (or escapes), and the page is UTF-8" -- \
        "$PY" -c 'import sys; t = open(sys.argv[1], "rb").read().decode("utf-8"); sys.exit(0 if "\ufffd" in t or "\\xff" in t else 1)' "$W/report.html"

# a fresh run and a fresh comparison of fakejit
FJ="$FIX/fakejit"
"$JITMEM" run --quiet --interval 20ms --out "$TMP/run" -- "$FJ" --units 20 --iters 200000 --wait-us 10000 >/dev/null 2>&1
"$JITMEM" report "$TMP/run" >/dev/null
ok $? "report of a fresh run exits 0"
check "the fresh run's lines are samples.csv's rows" -- \
        sh -c '"$1" "$2" "$3" "$4" --min-lines 3 >"$5"' _ "$PY" "$CHECK_PY" "$TMP/run/report.html" "$TMP/run" "$TMP/run.check"
"$JITMEM" compare --runs 2 --interval 20ms --trace-jit --out "$TMP/fresh" -- "$FJ" --units 20 --iters 200000 --wait-us 10000 \
        >"$TMP/fresh.out" 2>"$TMP/fresh.err"
ok $? "a fresh comparison exits 0"
check "compare writes report.html" -- test -s "$TMP/fresh/report.html"
check "compare prints the report's path on stderr" -- grep -qx "report: $TMP/fresh/report.html" "$TMP/fresh.err"
check "the fresh comparison's lines are samples.csv's rows" -- \
        sh -c '"$1" "$2" "$3" "$4" --min-lines 8 >"$5"' _ "$PY" "$CHECK_PY" "$TMP/fresh/report.html" "$TMP/fresh/runs" "$TMP/fresh.check"
check "executors compiled and freed are drawn when traced" -- grep -q 'data-series="compiled-' "$TMP/fresh/report.html"
"$JITMEM" compare --runs 1 --control --interval 20ms --json --out "$TMP/fjson" -- "$FJ" --units 5 --iters 100000 \
        >"$TMP/fjson.out" 2>"$TMP/fjson.err"
check "with --json stdout stays JSON" -- "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/fjson.out"
check "with --json the report's path is on stderr" -- grep -qx "report: $TMP/fjson/report.html" "$TMP/fjson.err"
"$JITMEM" compare --runs 1 --control --no-report --interval 20ms --out "$TMP/fnone" -- "$FJ" --units 5 --iters 100000 \
        >/dev/null 2>"$TMP/fnone.err"
ok $? "compare --no-report exits 0"
check "compare --no-report writes no report.html" -- test ! -e "$TMP/fnone/report.html"
check "compare --no-report prints no report line" -- sh -c '! grep -q "^report:" "$1"' _ "$TMP/fnone.err"

# an interrupted comparison with a completed run still gets its report
"$JITMEM" compare --runs 3 --interval 50ms --out "$TMP/fint" -- "$FJ" --units 40 --iters 100000 --wait-us 50000 \
        >/dev/null 2>"$TMP/fint.err" &
pid=$!
for _ in $(seq 1 300); do
        [ -f "$TMP/fint/runs/01-off/summary.json" ] && break
        sleep 0.1
done
kill -INT "$pid"
wait "$pid"
check_eq "an interrupted comparison exits 130" "$?" 130
check "an interrupted comparison with a completed run writes its report" -- test -s "$TMP/fint/report.html"
check "... and says where" -- grep -qx "report: $TMP/fint/report.html" "$TMP/fint.err"

# exit statuses
"$JITMEM" report "$TMP/nonexistent" >/dev/null 2>"$TMP/e1"
check_eq "a directory that does not exist: exit 1" "$?" 1
mkdir -p "$TMP/empty"
"$JITMEM" report "$TMP/empty" >/dev/null 2>"$TMP/e2"
check_eq "a directory that is no run or comparison: exit 1" "$?" 1
check "... saying so" -- grep -q 'is not a run directory' "$TMP/e2"
check "... and writing nothing" -- test ! -e "$TMP/empty/report.html"
"$JITMEM" report >/dev/null 2>&1
check_eq "no directory: exit 2" "$?" 2
"$JITMEM" report --bogus "$TMP/run" >/dev/null 2>&1
check_eq "an unknown option: exit 2" "$?" 2
"$JITMEM" report "$TMP/run" "$TMP/run" >/dev/null 2>&1
check_eq "two directories: exit 2" "$?" 2
"$JITMEM" report "$TMP/run" -o "$TMP/nodir/x.html" >/dev/null 2>"$TMP/e3"
check_eq "an output that cannot be written: exit 1" "$?" 1
"$JITMEM" report --help >"$TMP/help"
ok $? "--help exits 0"
check "--help teaches the command" -- grep -q 'Usage: jitmem report' "$TMP/help"

# Chromium renders the comparison's page to a PNG, not blank, with no console error; two
# launches: the report, and a page with a deliberate error, which the same check must flag
if command -v chromium >/dev/null 2>&1; then
        chrome() { # chrome PNG URL: renders, console messages on stderr
                timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
                        --disable-component-update --disable-sync --user-data-dir="$(mktemp -d "$TMP/chr.XXXXXX")" \
                        --enable-logging=stderr --v=0 --screenshot="$1" --window-size=1280,2400 "$2"
        }
        console_errors() { grep -E ':CONSOLE[:(]' "$1"; }
        chrome "$TMP/report.png" "file://$TMP/fresh/report.html" >/dev/null 2>"$TMP/chrome.log"
        check "Chromium renders the report to a PNG" -- test -s "$TMP/report.png"
        check "the PNG is not blank" -- "$PY" - "$TMP/report.png" <<'PYEOF'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
i, idat = 8, b""
while i < len(b):
    n, kind = struct.unpack(">I4s", b[i:i + 8])
    if kind == b"IDAT":
        idat += b[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat)
sys.exit(0 if len(b) > 20000 and len(set(raw)) > 32 else 1)
PYEOF
        check "no console error from the report ($(console_errors "$TMP/chrome.log" | head -2))" -- sh -c '! grep -qE ":CONSOLE[:(]" "$1"' _ "$TMP/chrome.log"
        printf '<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction();</script></body></html>\n' >"$TMP/bad.html"
        chrome "$TMP/bad.png" "file://$TMP/bad.html" >/dev/null 2>"$TMP/chrome-bad.log"
        check "the console check catches a page with an error" -- grep -qE ':CONSOLE[:(].*undefinedFunction' "$TMP/chrome-bad.log"
else
        skip "chromium not installed: the report is not rendered"
fi

finish test_report
