#!/usr/bin/env bash
# End-to-end tests of `jitmem env`: the real python3, fake interpreters for each JIT build
# kind, cgroup v1/v2 fixture trees, bad input.
. "$(dirname "$0")/lib.sh"
FAKE="$PWD/tests/fixtures/fakepython"

# The real python3 (3.11 here: no JIT).
if command -v python3 >/dev/null; then
        "$JITMEM" env > "$TMP/env.txt"
        ok $? "env exits 0"
        for s in "Interpreter" "JIT" "Container (cgroup" "memory limit" "working set" "OOM kills" "Machine" "page size" "THP"; do
                check "env text shows '$s'" -- grep -qF "$s" "$TMP/env.txt"
        done
        "$JITMEM" env --json > "$TMP/env.json"
        ok $? "env --json exits 0"
        jcheck "schema" "$TMP/env.json" "d['schema'] == 'jitmem.env/1'"
        jcheck "python version" "$TMP/env.json" "d['python']['version_info'][0] == 3 and d['python']['implementation'] == 'CPython'"
        jcheck "page size" "$TMP/env.json" "d['machine']['page_size_bytes'] == $(getconf PAGESIZE)"
        jcheck "cgroup version named" "$TMP/env.json" "d['cgroup']['version'] in ('v1', 'v2', 'hybrid', 'none')"
        minor=$(python3 -c 'import sys; print(sys.version_info[1])')
        if [ "$minor" -lt 13 ]; then
                jcheck "python3 < 3.13: not built in" "$TMP/env.json" "d['python']['jit']['build'] == 'not_built' and d['python']['jit']['machine_code'] is False"
                jcheck "start-up RSS measured, once (no JIT to switch)" "$TMP/env.json" "d['python']['startup']['rss_jit_off_bytes'] > 4*2**20 and d['python']['startup']['rss_jit_on_bytes'] is None"
                grep -q "not built in" "$TMP/env.txt"; ok $? "text says not built in"
        fi
        PYTHON_JIT=1 "$JITMEM" env --no-startup --json > "$TMP/env1.json"
        jcheck "PYTHON_JIT=1 read" "$TMP/env1.json" "d['python']['jit']['env_PYTHON_JIT'] == '1' and d['python']['jit']['env_PYTHON_JIT_effect'] == ('none' if d['python']['jit']['build'] == 'not_built' else 'on')"
        PYTHON_JIT= "$JITMEM" env --no-startup --json > "$TMP/env2.json"
        jcheck "empty PYTHON_JIT has no effect" "$TMP/env2.json" "d['python']['jit']['env_PYTHON_JIT_effect'] == 'none'"
        PYTHON_JIT=0abc "$JITMEM" env --no-startup --json > "$TMP/env3.json"
        jcheck "PYTHON_JIT=0abc: off, or none without a JIT" "$TMP/env3.json" "d['python']['jit']['env_PYTHON_JIT_effect'] == ('none' if d['python']['jit']['build'] == 'not_built' else 'off')"
fi

# Fake interpreters for each build kind.
fake() { # fake OUT VERSION CONFIG SYSJIT AVAILABLE OPT [PYTHON_JIT]
        local out=$1; shift
        env FAKE_VERSION="$1" FAKE_CONFIG="$2" FAKE_SYSJIT="$3" FAKE_AVAILABLE="$4" FAKE_OPT="$5" ${6:+PYTHON_JIT=$6} \
                "$JITMEM" env --python "$FAKE" --json > "$out"
}
fake "$TMP/f1.json" 3.13.1 "'--enable-experimental-jit=yes-off'" 0 0 1
jcheck "3.13 yes-off: built, off by default" "$TMP/f1.json" "d['python']['jit']['build'] == 'built_off' and d['python']['jit']['enabled_by_default'] is False and d['python']['jit']['enabled_now'] is False"
jcheck "3.13 yes-off: start-up measured off and on" "$TMP/f1.json" "d['python']['startup']['rss_jit_off_bytes'] > 0 and d['python']['startup']['rss_jit_on_bytes'] > 0"
fake "$TMP/f2.json" 3.13.1 "'--enable-experimental-jit=yes-off'" 0 0 1 1
jcheck "3.13 yes-off + PYTHON_JIT=1: its effect is on" "$TMP/f2.json" "d['python']['jit']['env_PYTHON_JIT_effect'] == 'on'"
jcheck "3.13 yes-off + PYTHON_JIT=1: on now" "$TMP/f2.json" "d['python']['jit']['enabled_now'] is True and d['python']['jit']['enabled_now_evidence'] == '_testinternalcapi.get_optimizer()'"
fake "$TMP/f3.json" 3.13.1 "'--enable-experimental-jit'" 0 0 0
jcheck "3.13 yes, no test module: on by default, by the PYTHON_JIT rule" "$TMP/f3.json" "d['python']['jit']['build'] == 'built_on' and d['python']['jit']['enabled_now'] is True and d['python']['jit']['enabled_now_evidence'] == 'PYTHON_JIT rule'"
fake "$TMP/f4.json" 3.13.1 "'--enable-experimental-jit'" 0 0 0 0
jcheck "3.13 yes + PYTHON_JIT=0: off now" "$TMP/f4.json" "d['python']['jit']['enabled_now'] is False and d['python']['jit']['enabled_by_default'] is True"
jcheck "3.13 yes + PYTHON_JIT=0: its effect is off" "$TMP/f4.json" "d['python']['jit']['env_PYTHON_JIT_effect'] == 'off'"
fake "$TMP/f5.json" 3.13.1 "'--enable-experimental-jit=interpreter'" 0 0 0
jcheck "interpreter build: no machine code" "$TMP/f5.json" "d['python']['jit']['build'] == 'interpreter_only' and d['python']['jit']['machine_code'] is False"
fake "$TMP/f6.json" 3.14.0 "'--enable-experimental-jit=yes-off'" 1 1 0 1
jcheck "3.14 sys._jit: available and on" "$TMP/f6.json" "d['python']['jit']['build'] == 'built_off' and d['python']['jit']['sys_jit_available'] is True and d['python']['jit']['enabled_now'] is True and d['python']['jit']['enabled_now_evidence'] == 'sys._jit.is_enabled()'"
jcheck "3.14 yes-off: -I ignores PYTHON_JIT (measured), pyperf's workers do not inherit it" "$TMP/f6.json" \
        "d['python']['jit']['isolated_mode_ignores_PYTHON_JIT'] is True and d['python']['jit']['pyperf_workers_inherit_PYTHON_JIT'] is False"
FAKE_ISOLATED_READS_ENV=1 fake "$TMP/f6b.json" 3.14.0 "'--enable-experimental-jit=yes-off'" 1 1 0
jcheck "an interpreter whose -I keeps PYTHON_JIT: measured as such" "$TMP/f6b.json" "d['python']['jit']['isolated_mode_ignores_PYTHON_JIT'] is False"
FAKE_VERSION=3.14.0 FAKE_CONFIG="'--enable-experimental-jit=yes-off'" FAKE_SYSJIT=1 FAKE_AVAILABLE=1 "$JITMEM" env --no-startup --python "$FAKE" >"$TMP/f6.txt"
grep -q "isolated mode    -I (and -E, which it implies) ignore PYTHON_JIT: the build default applies (measured with PYTHON_JIT=1 -I)" "$TMP/f6.txt" &&
        grep -q "pyperf           its benchmark workers get a fresh environment without PYTHON_JIT unless" "$TMP/f6.txt"
ok $? "env says what would switch the JIT off unseen: -I, pyperf"
fake "$TMP/f7.json" 3.14.0 "" 1 0 0
jcheck "no JIT: nothing measured of -I" "$TMP/f7.json" "d['python']['jit']['isolated_mode_ignores_PYTHON_JIT'] is None"
jcheck "3.14 without JIT" "$TMP/f7.json" "d['python']['jit']['build'] == 'not_built'"
fake "$TMP/f8.json" 3.12.4 "'--enable-experimental-jit'" 0 0 0
jcheck "3.12 never has a JIT, whatever its flags" "$TMP/f8.json" "d['python']['jit']['build'] == 'not_built'"
FAKE_VERSION=3.13.1 FAKE_CONFIG="'--enable-experimental-jit=yes-off'" "$JITMEM" env --python "$FAKE" > "$TMP/f1.txt"
check "text: built in, off by default (yes-off)" -- grep -q "built in, off by default (yes-off)" "$TMP/f1.txt"

# cgroup v2 and v1 through fixture trees.
"$JITMEM" env --no-startup --root tests/data/cgroup/v2 --json > "$TMP/v2.json"
jcheck "v2: version" "$TMP/v2.json" "d['cgroup']['version'] == 'v2'"
jcheck "v2: limit, usage, peak, working set, OOM kills" "$TMP/v2.json" "d['cgroup']['memory_limit_bytes'] == 402653184 and d['cgroup']['memory_usage_bytes'] == 157286400 and d['cgroup']['memory_peak_bytes'] == 301989888 and d['cgroup']['working_set_bytes'] == 115343360 and d['cgroup']['oom_kills'] == 2"
jcheck "v2: CPU quota 2 cores, no swap" "$TMP/v2.json" "d['cgroup']['cpu']['cores'] == 2.0 and d['cgroup']['swap_limit_bytes'] == 0"
"$JITMEM" env --no-startup --root tests/data/cgroup/v2 > "$TMP/v2.txt"
check "v2 text: 384 MiB limit" -- grep -q "memory limit *384 MiB (402653184 bytes)" "$TMP/v2.txt"
"$JITMEM" env --no-startup --root tests/data/cgroup/v2-nolimit > "$TMP/v2n.txt"
check "no limit said plainly" -- grep -q "memory limit *no limit" "$TMP/v2n.txt"
check "no CPU quota said plainly" -- grep -q "CPU quota *no quota" "$TMP/v2n.txt"
"$JITMEM" env --no-startup --root tests/data/cgroup/v1-limited --json > "$TMP/v1.json"
jcheck "v1: limit, swap, OOM kills, quota" "$TMP/v1.json" "d['cgroup']['version'] == 'v1' and d['cgroup']['memory_limit_bytes'] == 402653184 and d['cgroup']['swap_limit_bytes'] == 134217728 and d['cgroup']['oom_kills'] == 3 and d['cgroup']['cpu']['cores'] == 1.5"
"$JITMEM" env --no-startup --root tests/data/cgroup/v2-nested --json > "$TMP/v2nest.json"
jcheck "nested: the parent's limit binds" "$TMP/v2nest.json" "d['cgroup']['memory_limit_dir'] != d['cgroup']['dir'] and d['cgroup']['memory_limit_bytes'] == 268435456"

# Bad input.
err=$("$JITMEM" env --python /nonexistent/python 2>&1); st=$?
check_eq "missing interpreter -> 1" $st 1
check_eq "missing interpreter: one sentence" "$err" "jitmem: /nonexistent/python does not exist"
err=$("$JITMEM" env --python /bin/true 2>&1); st=$?
check_eq "not a Python -> 1" $st 1
check_eq "not a Python: said so" "$err" "jitmem: /bin/true is not a Python interpreter (given -c and the probe program, it exited with status 0 without answering)"
LS=$(command -v ls)
err=$("$JITMEM" env --python ls 2>&1); st=$?
check_eq "ls -> 1" $st 1
check_eq "ls: one sentence, without the probe program it was given" "$err" "jitmem: $LS is not a Python interpreter (given -c and the probe program, it exited with status 2 without answering)"
printf '#!/bin/sh\nprintf "Traceback (most recent call last):\\n  File x\\nModuleNotFoundError: No module named \\047encodings\\047\\n" >&2\nexit 1\n' > "$TMP/brokenpy"; chmod 755 "$TMP/brokenpy"
err=$("$JITMEM" env --python "$TMP/brokenpy" 2>&1); st=$?
check_eq "a Python that fails -> 1" $st 1
check_eq "a Python that fails: its own last line" "$err" "jitmem: cannot probe $TMP/brokenpy: it exited with status 1: ModuleNotFoundError: No module named 'encodings'"
err=$(FAKE_SLEEP=5 "$JITMEM" env --python "$FAKE" --timeout 300ms 2>&1); st=$?
check_eq "hung interpreter -> 1" $st 1
check "hung interpreter: timeout said" -- grep -q "did not answer within 0.3 s" <<<"$err"
"$JITMEM" env --timeout soon 2>/dev/null; check_eq "bad --timeout -> 2" $? 2
"$JITMEM" env --timeout 5 2>/dev/null; check_eq "--timeout without a unit -> 2" $? 2
"$JITMEM" env --runs 0 2>/dev/null; check_eq "bad --runs -> 2" $? 2
"$JITMEM" env extra 2>/dev/null; check_eq "stray argument -> 2" $? 2
"$JITMEM" env --help | grep -q "tier-2 interpreter only"; ok $? "env --help explains the JIT states"
"$JITMEM" --version | grep -q "^jitmem [0-9]"; ok $? "--version"
"$JITMEM" frobnicate 2>/dev/null; check_eq "unknown command -> 2" $? 2
if [ -w /dev/full ]; then
        "$JITMEM" env --no-startup > /dev/full 2>/dev/null; check_eq "stdout write error -> 1" $? 1
fi

# Named anonymous memory: env's answer is what the kernel does when asked the same.
"$PY" - "$TMP/env-names.txt" <<'PYEOF'
import ctypes, mmap, sys
m = mmap.mmap(-1, mmap.PAGESIZE)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
libc = ctypes.CDLL(None, use_errno=True)
r = libc.prctl(0x53564d41, 0, ctypes.c_ulong(addr), ctypes.c_ulong(mmap.PAGESIZE), ctypes.c_char_p(b"jitmem-test"))
named = any("[anon:jitmem-test]" in l for l in open("/proc/self/maps"))
open(sys.argv[1], "w").write("True" if r == 0 and named else "False")
PYEOF
jcheck "named memory: env says what the kernel does ($(cat "$TMP/env-names.txt"))" "$TMP/env.json" "d['machine']['anon_vma_name'] is $(cat "$TMP/env-names.txt")"

# A JIT-enabled CPython, when one is named.
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        "$JITMEM" env --python "$JIT_PY" --json > "$TMP/jit.json"
        jcheck "JIT python: machine code" "$TMP/jit.json" "d['python']['jit']['machine_code'] is True"
        jcheck "JIT python: start-up RSS off and on measured" "$TMP/jit.json" "d['python']['startup']['rss_jit_off_bytes'] > 0 and d['python']['startup']['rss_jit_on_bytes'] > 0"
        PYTHON_JIT=1 "$JITMEM" env --no-startup --python "$JIT_PY" --json > "$TMP/jit1.json"
        jcheck "JIT python with PYTHON_JIT=1: on now" "$TMP/jit1.json" "d['python']['jit']['enabled_now'] is True"
        jcheck "JIT python: -I ignores PYTHON_JIT (measured)" "$TMP/jit.json" "d['python']['jit']['isolated_mode_ignores_PYTHON_JIT'] is True"
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): the JIT-enabled CPython checks did not run"

finish test_env
