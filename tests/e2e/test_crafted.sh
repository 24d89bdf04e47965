#!/usr/bin/env bash
# Run and comparison directories crafted to hold what jitmem never writes (numbers out of any
# type's range, negative, not numbers, rows of the wrong shape) and options with such numbers:
# each gives a clear message or a correct result, never a crash or a sanitizer's report (the
# sanitized build aborts at the first undefined conversion).
. "$(dirname "$0")/lib.sh"
RUN=tests/data/runs/pyenv-shim

# clean NAME STATUSES -- COMMAND...: COMMAND exits with one of STATUSES (a '|'-separated list)
# and says nothing of a sanitizer; its stdout and stderr are kept in $TMP/NAME.out and .err.
clean() {
        local name=$1 want=$2 st; shift 3
        "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
        st=$?
        if grep -qE 'runtime error|Sanitizer|SUMMARY:' "$TMP/$name.err"; then
                failed=$((failed + 1)); echo "FAIL: $name: a sanitizer's report:" >&2; head -n 5 "$TMP/$name.err" >&2
        elif [[ "|$want|" != *"|$st|"* ]]; then
                failed=$((failed + 1)); echo "FAIL: $name: exit status $st, expected $want:" >&2; head -n 5 "$TMP/$name.err" >&2
        else
                passed=$((passed + 1))
        fi
}

# crafted NAME: a copy of $RUN in $TMP/NAME, to be edited.
crafted() {
        rm -rf "${TMP:?}/$1"
        cp -r "$RUN" "$TMP/$1"
}

# meta.json's limit: out of uint64_t's range, negative, a fraction; read as no limit.
for v in 1e20 1e300 -1 -1e300 0.5 '"384M"'; do
        crafted limit
        "$PY" - "$TMP/limit/meta.json" "$v" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1])); m["limit_bytes"] = json.loads(sys.argv[2]); json.dump(m, open(sys.argv[1], "w"))
PYEOF
        clean "limit-$v" 0 -- "$JITMEM" analyze --json "$TMP/limit"
        check_eq "meta.json limit_bytes $v: no limit" "$(jget "$TMP/limit-$v.out" 'd["limit_bytes"]')" None
done
crafted limit
clean limit-kept 0 -- "$JITMEM" analyze --json --limit 1G "$TMP/limit"
check_eq "--limit over meta.json's" "$(jget "$TMP/limit-kept.out" 'd["limit_bytes"]')" 1073741824

# Numbers in options: a plain decimal within the option's range, or a usage error (2) that
# names the option; never a NaN, an infinity or a negative taken.
for v in nan inf -inf 1e3 -1 0x10 '' ' 5' '5 ' 5% 1.2.3 1e400 \
        99999999999999999999999999999999999999999999999999999999999999999999999999999999; do
        for opt in "load --rate" "compare --scale" "compare --target-width" "compare --min-headroom" \
                "compare --max-delta" "compare --rate"; do
                set -- $opt
                clean "opt$2-$v" 2 -- "$JITMEM" "$1" "$2" "$v" http://127.0.0.1:9/
                check "$1 $2 '$v': the option named" grep -q -- "bad $2 '$v'" "$TMP/opt$2-$v.err"
        done
done
for opt in "load --rate 0.001" "load --rate 20000000" "compare --rate 0.001" "compare --scale 1001" \
        "compare --max-delta 101" "compare --target-width 0"; do
        set -- $opt
        clean "range$2-$3" 2 -- "$JITMEM" "$1" "$2" "$3" http://127.0.0.1:9/
done

# Every number of summary.json replaced (out of range, negative, of another type): the figures
# read as not measured, the analysis is of the samples.
for v in 1e300 -1e300 -1 9223372036854775807 '"x"'; do
        crafted summary
        "$PY" - "$TMP/summary/summary.json" "$v" <<'PYEOF'
import json, sys
v = json.loads(sys.argv[2])
def walk(o):
    for k, x in (o.items() if isinstance(o, dict) else enumerate(o)):
        if isinstance(x, (dict, list)): walk(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool): o[k] = v
s = json.load(open(sys.argv[1])); walk(s); json.dump(s, open(sys.argv[1], "w"))
PYEOF
        clean "summary-$v" 0 -- "$JITMEM" analyze "$TMP/summary"
        clean "summary-json-$v" 0 -- "$JITMEM" analyze --json "$TMP/summary"
done

# samples.csv rows with numbers no jitmem writes: the first named by line and column, the rest
# of the file analysed.
crafted rows
"$PY" - "$TMP/rows/samples.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h = rows[0]
for i, v in zip(range(1, 9), ["1e20", "-1", "nan", "inf", "1e400", "99999999999999999999", "", "0x10"]):
    r = rows[i]
    r[h.index("pid")] = v; r[h.index("ppid")] = v; r[h.index("rss_bytes")] = v
    if r[1] == "tree": r[h.index("processes")] = v
rows[9] = rows[9] + ["extra"]
rows[10] = rows[10][:3]
csv.writer(open(sys.argv[1], "w"), lineterminator="\n").writerows(rows)
PYEOF
clean rows 0 -- "$JITMEM" analyze "$TMP/rows"
check "a crafted cell named by line and column" grep -q 'samples.csv line 2, column pid: "1e20" is not a value jitmem writes there' "$TMP/rows.err"
check "a row of the wrong shape named by its line" grep -q 'samples.csv line 10: 24 fields where the header has 23' "$TMP/rows.err"
check "the rest analysed" grep -q '^tree: ' "$TMP/rows.out"
clean rows-json 0 -- "$JITMEM" analyze --json "$TMP/rows"
# Nothing readable: a clear message, exit status 1.
crafted none
"$PY" - "$TMP/none/samples.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
for r in rows[1:]: r[rows[0].index("rss_bytes")] = "1e400"
csv.writer(open(sys.argv[1], "w"), lineterminator="\n").writerows(rows)
PYEOF
clean none 1 -- "$JITMEM" analyze "$TMP/none"
check "nothing readable said" grep -q 'no sample with a process in samples.csv' "$TMP/none.err"

# compare --resume reads its runs back: a run's summary.json and samples.csv crafted as above.
if [ -x "$FIX/fakejit" ]; then
        rm -rf "$TMP/cmp"
        cp -r tests/data/compare/fakejit-debug "$TMP/cmp"
        "$PY" - "$TMP/cmp/runs" <<'PYEOF'
import csv, json, sys
d = sys.argv[1]
def walk(o):
    for k, x in (o.items() if isinstance(o, dict) else enumerate(o)):
        if isinstance(x, (dict, list)): walk(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and k not in ("exit_status", "code"): o[k] = 1e300
s = json.load(open(d + "/01-off/summary.json")); walk(s); json.dump(s, open(d + "/01-off/summary.json", "w"))
rows = list(csv.reader(open(d + "/02-on/samples.csv")))
h = rows[0]
for r in rows[1:]:
    r[h.index("pid")] = "1e20"; r[h.index("jit_code_bytes")] = "-1"
    if r[1] == "tree": r[h.index("processes")] = "nan"
csv.writer(open(d + "/02-on/samples.csv", "w"), lineterminator="\n").writerows(rows)
PYEOF
        clean compare-resume "0|1" -- "$JITMEM" compare --resume --runs 3 --interval 100ms --limit 512M --out "$TMP/cmp" \
                -- "$FIX/fakejit" --units 200 --debug-image 32768
        check "compare --resume ran nothing" test "$(grep -c 'already done' "$TMP/compare-resume.err")" -eq 6
        check "comparison.json written" "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/cmp/comparison.json"
else
        skip "compare --resume of crafted runs: no $FIX/fakejit"
fi

finish test_crafted
