#!/usr/bin/env bash
# tests/run itself: a failing check's own output (its FAIL lines and what it printed to explain
# them) reaches make test's output, for unit tests and end-to-end scripts alike; a passing
# script's chatter does not. Run against checks made here, in a temporary directory.
. "$(dirname "$0")/lib.sh"

fake="$TMP/fake"
mkdir -p "$fake/tests" "$fake/e2e"
cat >"$fake/tests/test_unitfail" <<'EOS'
#!/bin/sh
echo "FAIL tests/unit/test_x.c:12: a == b (1 != 2)" >&2
echo "unit context: the second reading was 2" >&2
echo "test_unitfail: 3 passed, 1 failed"
exit 1
EOS
cat >"$fake/e2e/test_e2efail.sh" <<'EOS'
echo "cross-check: {'disagreed': 1, 'first_disagreement': {'t_s': 0.04}}" >&2
echo "FAIL: the shim agrees with /proc at every sample not in flight" >&2
echo "test_e2efail: 5 passed, 1 failed"
exit 1
EOS
cat >"$fake/e2e/test_e2epass.sh" <<'EOS'
echo "chatter of a passing script" >&2
echo "SKIP: something optional did not run" >&2
echo "test_e2epass: 2 passed, 0 failed"
EOS
cat >"$fake/e2e/test_e2ecrash.sh" <<'EOS'
echo "Traceback: the reason it stopped" >&2
exit 3
EOS
chmod +x "$fake/tests/test_unitfail"
BUILD="$fake" E2E_DIR="$fake/e2e" bash tests/run >"$TMP/out" 2>&1
check_eq "tests/run fails when a check fails" $? 1
grep -q "unit context: the second reading was 2" "$TMP/out" && grep -q "FAIL tests/unit/test_x.c:12" "$TMP/out"
ok $? "a failing unit test's output is printed"
grep -q "cross-check: {'disagreed': 1, 'first_disagreement'" "$TMP/out" && grep -q "FAIL: the shim agrees" "$TMP/out"
ok $? "a failing script's FAIL lines and what it printed to explain them are printed"
grep -q "Traceback: the reason it stopped" "$TMP/out" && grep -q "BROKEN: test_e2ecrash.sh ended without a result line (status 3)" "$TMP/out"
ok $? "a script that stopped without a result says why"
grep -q "SKIP: something optional" "$TMP/out" && ! grep -q "chatter of a passing script" "$TMP/out"
ok $? "of a passing script, only its SKIP lines"
tail -n 1 "$TMP/out" | grep -qx "10 passed, 3 failed"
ok $? "the last line adds them up"
[ "$failed" -eq 0 ] || sed 's/^/  | /' "$TMP/out" >&2

# Side by side: results in name order whatever order the scripts end in; a bad job count is
# refused; an interrupted run stops every script and what it started.
par="$TMP/par"
mkdir -p "$par/tests" "$par/e2e"
for n in a b c; do
        printf 'sleep %s\necho "test_%s: 1 passed, 0 failed"\n' "$([ $n = a ] && echo 1 || echo 0)" "$n" >"$par/e2e/test_$n.sh"
done
BUILD="$par" E2E_DIR="$par/e2e" JITMEM_TEST_JOBS=3 bash tests/run >"$TMP/par.out" 2>&1
check_eq "side by side: passes" $? 0
check_eq "side by side: results in name order" "$(grep -o '^test_[abc]' "$TMP/par.out" | tr '\n' ' ')" "test_a test_b test_c "
BUILD="$par" E2E_DIR="$par/e2e" JITMEM_TEST_JOBS=0 bash tests/run >"$TMP/bad.out" 2>&1
check_eq "JITMEM_TEST_JOBS=0 -> 2" $? 2
mark="jitmem-harness-$$-$RANDOM"
for n in a b c; do
        printf 'exec -a %s sleep 300\n' "$mark" >"$par/e2e/test_$n.sh"
done
# (else a command started with & ignores SIGINT, as Ctrl-C at a terminal would not have it; and
# env restores SIGINT where this script was itself started with it ignored, as a background job
# of a shell without job control is, which no trap in tests/run could undo)
set -m
BUILD="$par" E2E_DIR="$par/e2e" JITMEM_TEST_JOBS=2 env --default-signal=INT bash tests/run >"$TMP/int.out" 2>&1 &
runner=$!
set +m
for _ in $(seq 600); do [ "$(pgrep -fc "^$mark")" -ge 2 ] && break; sleep 0.05; done
check_eq "interrupted: two scripts had started" "$(pgrep -fc "^$mark")" 2
kill -INT "$runner"
for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
kill -0 "$runner" 2>/dev/null
check_eq "interrupted: tests/run stops within 10 s" $? 1
left=$(pgrep -fc "^$mark")
pkill -f "^$mark" 2>/dev/null
wait "$runner"
check_eq "interrupted -> 130" $? 130
check_eq "interrupted: no script left running" "$left" 0

finish test_harness
