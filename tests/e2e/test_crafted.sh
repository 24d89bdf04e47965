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

finish test_crafted
