# Shared helpers for the end-to-end tests: checks that count, and JSON lookups.
# Each test script sources this, runs checks, and ends with `finish NAME`, which prints
# "NAME: N passed, N failed" (the line tests/run adds up).
set -u
BUILD=${BUILD:-build}
JITMEM="$BUILD/jitmem"
FIX="$BUILD/fixtures"
# The Python the checks read JSON with: the interpreter python3 names, found once (a launcher
# such as pyenv's shim runs scripts of its own at every call, hundreds of times a suite).
PY=${E2E_PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)}
PY=${PY:-python3}
passed=0
failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jitmem-e2e.XXXXXX")
trap 'rm -rf "$TMP_TOP"' EXIT
# compare and fit append to the history: the test's own, never the user's (docs/history.md)
export JITMEM_HISTORY_DB="$TMP/history.db"

# The JIT-enabled interpreters the JIT checks run against: JITMEM_TEST_PYTHON names one, or
# several separated by ':'. A script runs its JIT checks once per interpreter between
# jit_begin N and jit_end; JIT_PY is the interpreter, and FAIL lines name it.
JIT_PYTHONS=()
[ -n "${JITMEM_TEST_PYTHON:-}" ] && IFS=: read -r -a JIT_PYTHONS <<<"$JITMEM_TEST_PYTHON"
CTX=""
JIT_PY=""
TMP_TOP=$TMP
jit_begin() { # jit_begin INDEX: sets JIT_PY, a TMP of its own, and the FAIL prefix; 1 if none
        JIT_PY=${JIT_PYTHONS[$1]:-}
        TMP=$TMP_TOP
        CTX=""
        [ -n "$JIT_PY" ] || return 1
        TMP="$TMP_TOP/jit$1"
        mkdir -p "$TMP"
        CTX="[$JIT_PY] "
        if [ ! -f "$JIT_PY" ] || [ ! -x "$JIT_PY" ]; then
                failed=$((failed + 1)); echo "FAIL: ${CTX}JITMEM_TEST_PYTHON names a file that is not an executable" >&2
                return 1
        fi
        return 0
}
jit_end() { TMP=$TMP_TOP; CTX=""; JIT_PY=""; }
jit_none() { [ ${#JIT_PYTHONS[@]} -eq 0 ]; }
# free_port: a TCP port free on 127.0.0.1 now, below the ephemeral range (client ports of
# earlier tests).
free_port() {
        "$PY" -c 'import socket, random
for _ in range(100):
    p = random.randint(20000, 32000); s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()'
}
ok() { # ok CONDITION-RESULT(0/1 as exit status of the previous command) MESSAGE
        if [ "$1" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $CTX$2" >&2; fi
}
check() { # check MESSAGE -- COMMAND...
        local msg=$1; shift; [ "$1" = "--" ] && shift
        if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $CTX$msg" >&2; fi
}
check_eq() { # check_eq MESSAGE ACTUAL EXPECTED
        if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $CTX$1: got '$2', expected '$3'" >&2; fi
}
skip() { echo "SKIP: $*" >&2; }
# jget FILE EXPR: evaluates a Python expression over the JSON document `d`.
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# jcheck MESSAGE FILE EXPR: the expression over `d` must be true.
jcheck() {
        if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>/dev/null; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1)); echo "FAIL: $CTX$1 ($3)" >&2
        fi
}
finish() { echo "$1: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
