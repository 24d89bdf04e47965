#!/usr/bin/env bash
# What jitmem prints, and the JSON it writes, from recorded data: `analyze` of recorded run
# directories and `compare --resume` of a recorded comparison (every run already done, so
# nothing is run) against the outputs kept in tests/data/golden/. A change of any printed
# figure, word or column shows here; when one is meant, write the outputs again with
# JITMEM_GOLDEN_WRITE=1 and say what changed in the commit.
. "$(dirname "$0")/lib.sh"
GOLD=tests/data/golden
WRITE=${JITMEM_GOLDEN_WRITE:-}

# same NAME FILE: FILE against $GOLD/NAME (or written there with JITMEM_GOLDEN_WRITE=1).
same() {
        if [ -n "$WRITE" ]; then
                cp "$2" "$GOLD/$1"
                return
        fi
        if cmp -s "$2" "$GOLD/$1"; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
                echo "FAIL: $1 differs from $GOLD/$1:" >&2
                diff "$GOLD/$1" "$2" | head -n 40 >&2
        fi
}

# JSON with the figures rounded to 9 significant digits (a figure read back from a file may
# differ in its last digits from the one computed live) and the paths of this checkout
# replaced, so that the comparison holds wherever the tests run.
normal_json() {
        "$PY" -c '
import json, sys
top, here, build = sys.argv[1], sys.argv[2], sys.argv[3]
def norm(x):
    if isinstance(x, float):
        return float("%.9g" % x)
    if isinstance(x, str):
        return x.replace(top, "TMP").replace(here + "/", "").replace(build + "/", "BUILD/")
    if isinstance(x, list):
        return [norm(v) for v in x]
    if isinstance(x, dict):
        return {k: norm(v) for k, v in x.items() if k != "jitmem_version"}
    return x
print(json.dumps(norm(json.load(sys.stdin)), indent=1, sort_keys=True))' "$TMP" "$PWD" "$BUILD"
}

for run in pyenv-shim pyenv-prefork py315-broad; do
        "$JITMEM" analyze "tests/data/runs/$run" >"$TMP/a.txt" 2>&1
        check_eq "analyze $run exits 0" $? 0
        same "analyze-$run.txt" "$TMP/a.txt"
        "$JITMEM" analyze --json "tests/data/runs/$run" 2>&1 | normal_json >"$TMP/a.json"
        same "analyze-$run.json" "$TMP/a.json"
done

# The recorded comparison was made with --runs 3 --interval 100ms -- fakejit --units 200
# --debug-image 32768 (judged here against --limit 512M, not the cgroup this runs in);
# its runs are all complete, so --resume only reads and judges them.
cp -r tests/data/compare/fakejit-debug "$TMP/cmp"
"$JITMEM" compare --resume --runs 3 --interval 100ms --limit 512M --out "$TMP/cmp" -- "$FIX/fakejit" --units 200 \
        --debug-image 32768 >"$TMP/c.txt" 2>"$TMP/c.err"
check_eq "compare --resume of a recorded comparison exits 0" $? 0
check "compare --resume ran nothing" -- test "$(grep -c 'already done' "$TMP/c.err")" -eq 6
same compare-fakejit-debug.txt "$TMP/c.txt"
normal_json <"$TMP/cmp/comparison.json" >"$TMP/c.json"
same compare-fakejit-debug.json "$TMP/c.json"

finish test_outputs
