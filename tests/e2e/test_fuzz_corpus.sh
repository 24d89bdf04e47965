#!/usr/bin/env bash
# The fuzz harnesses (tests/fuzz/, DEVELOPERS.md) without a fuzzing engine: each one, built with
# tests/fuzz/replay.c as its main ($BUILD/fuzz/fuzz_NAME), replays its seed corpus and every
# input make fuzz ever found a fault with (tests/fuzz/crashes/NAME/, kept once fixed), in this
# build (plain or sanitized). A harness aborts on a fault, as under libFuzzer.
. "$(dirname "$0")/lib.sh"

# make fuzz takes hours at its default budget: CI replays, it does not fuzz
check ".ci/run does not run make fuzz" -- test -z "$(grep -nE 'make[^#]*[[:space:]]fuzz' .ci/run)"

names=()
for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); names+=("${n#fuzz_}"); done
check "there are harnesses" -- test ${#names[@]} -ge 15

for n in "${names[@]}"; do
        bin="$BUILD/fuzz/fuzz_$n"
        check "fuzz_$n is built ($bin)" -- test -x "$bin"
        [ -x "$bin" ] || continue
        check "fuzz_$n has a seed corpus (tests/fuzz/seed.sh)" -- test -n "$(ls -A "tests/fuzz/corpus/$n" 2>/dev/null)"
        dirs=("tests/fuzz/corpus/$n")
        [ -d "tests/fuzz/crashes/$n" ] && dirs+=("tests/fuzz/crashes/$n")
        out=$("$bin" "${dirs[@]}" 2>"$TMP/$n.err")
        st=$?
        want=$(find "${dirs[@]}" -maxdepth 1 -type f ! -name '.*' | wc -l)
        check_eq "fuzz_$n replays its ${dirs[*]} (exit status; stderr in the FAIL line: $(head -c 300 "$TMP/$n.err" | tr '\n' ' '))" "$st" 0
        check_eq "fuzz_$n replays every input" "$out" "$want inputs"
done

# the replay itself can fail: a harness whose check does not hold aborts, and no input at all,
# or an argument that cannot be read, is an error rather than a pass
bin="$BUILD/fuzz/fuzz_prom"
if [ -x "$bin" ]; then
        mkdir -p "$TMP/empty"
        "$bin" "$TMP/empty" >/dev/null 2>&1
        check_eq "a replay of no input fails" "$?" 2
        "$bin" "$TMP/missing" >/dev/null 2>&1
        check_eq "a replay of a missing file fails" "$?" 2
fi
bin="$BUILD/fuzz/fuzz_loadmix"
if [ -x "$bin" ]; then
        # a mix whose header would not parse: refused by the reader, so the harness holds ...
        printf '1 GET /\n  Bad Name: x\n' >"$TMP/mix-bad-header"
        "$bin" "$TMP/mix-bad-header" >/dev/null
        check_eq "a mix with a bad header name replays" "$?" 0
fi
# ... and a harness's check that fails is a failure of the replay
cat >"$TMP/fuzz_fail.c" <<'C'
#include "fuzz.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        FUZZ_ASSERT(size == 0 || data[0] != 'x');
        return 0;
}
C
if cc -D_GNU_SOURCE -Itests/fuzz -o "$TMP/fuzz_fail" "$TMP/fuzz_fail.c" tests/fuzz/replay.c 2>"$TMP/cc.err"; then
        printf 'x' >"$TMP/x"
        st=$( { "$TMP/fuzz_fail" "$TMP/x" >/dev/null 2>"$TMP/fail.err"; echo $?; } 2>/dev/null)
        check "a harness's broken check fails the replay (status $st)" -- test "$st" -ne 0
        check "and says which check" -- grep -q "broken: size == 0 || data\[0\] != 'x'" "$TMP/fail.err"
else
        skip "no cc to build a failing harness: $(head -n 3 "$TMP/cc.err")"
fi

finish test_fuzz_corpus
