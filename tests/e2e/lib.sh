# Shared helpers for the end-to-end tests: checks that count, and JSON lookups.
# Each test script sources this, runs checks, and ends with `finish NAME`, which prints
# "NAME: N passed, N failed" (the line tests/run adds up).
set -u
BUILD=${BUILD:-build}
JITMEM="$BUILD/jitmem"
FIX="$BUILD/fixtures"
PY=${E2E_PYTHON:-python3}
passed=0
failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jitmem-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { # ok CONDITION-RESULT(0/1 as exit status of the previous command) MESSAGE
        if [ "$1" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $2" >&2; fi
}
check() { # check MESSAGE -- COMMAND...
        local msg=$1; shift; [ "$1" = "--" ] && shift
        if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $msg" >&2; fi
}
check_eq() { # check_eq MESSAGE ACTUAL EXPECTED
        if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1: got '$2', expected '$3'" >&2; fi
}
skip() { echo "SKIP: $*" >&2; }
# jget FILE EXPR: evaluates a Python expression over the JSON document `d`.
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# jcheck MESSAGE FILE EXPR: the expression over `d` must be true.
jcheck() {
        if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>/dev/null; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1)); echo "FAIL: $1 ($3)" >&2
        fi
}
finish() { echo "$1: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
