#!/usr/bin/env bash
# End-to-end tests of `jitmem run` against fixture programs with known memory patterns.
. "$(dirname "$0")/lib.sh"
PAGE=$(getconf PAGESIZE)

# 1. Exact JIT code bytes and mapping counts: 6 regions of 12 KiB, growing then plateauing,
#    plus 2 writable+executable pages that must not count as JIT.
out="$TMP/exact"
"$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/jitlike" --regions 6 --size 12288 --step-ms 40 --wx 2 --hold-ms 600 >/dev/null
ok $? "jitlike run exits 0"
jcheck "final JIT bytes exact" "$out/summary.json" "d['tree']['final_jit_code_bytes'] == 6*12288"
jcheck "final JIT mappings exact" "$out/summary.json" "d['tree']['final_jit_mappings'] == 6"
jcheck "peak JIT equals final (plateau)" "$out/summary.json" "d['tree']['peak_jit_code_bytes'] == 6*12288"
jcheck "W+X pages are not JIT" "$out/summary.json" "d['processes'][0]['peak_exec_other_bytes'] == 2*$PAGE"
jcheck "required summary keys" "$out/summary.json" "all(k in d for k in ('schema','exit_status','duration_s','tree','processes','observer')) and all(k in d['tree'] for k in ('peak_rss_bytes','peak_pss_bytes','peak_jit_code_bytes','final_jit_code_bytes','max_processes')) and all(k in d['processes'][0] for k in ('pid','cmdline','peak_rss_bytes','peak_pss_bytes','peak_jit_code_bytes','jit_mappings')) and 'cpu_s' in d['observer']"
jcheck "schema named" "$out/summary.json" "d['schema'] == 'jitmem.run.summary/1'"
jcheck "ticks counted, missed ones counted" "$out/summary.json" "d['ticks']['count'] >= 20 and 0 <= d['ticks']['missed'] <= 5 and d['ticks']['heavy'] >= 1"
# The growth is visible tick by tick: JIT bytes never shrink, pass through intermediate values,
# and the region count grows one by one.
"$PY" - "$out/samples.csv" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'tree' and r['processes'] != '0']
jit = [int(r['jit_code_bytes']) for r in rows]
assert all(b >= a for a, b in zip(jit, jit[1:])), jit
assert len(set(jit)) >= 4, sorted(set(jit))
assert all(v % 12288 == 0 for v in jit), jit
assert jit[-1] == 6 * 12288
PYEOF
ok $? "JIT bytes grow monotonically in 12 KiB steps, then plateau"
# Numbers as written: byte counts are integers, whole values have no ".0", reals at most 10
# significant digits (not 0.0087882129999999996).
"$PY" - "$out/summary.json" "$out/meta.json" <<'PYEOF'
import json, sys
reals = []
def real(s):
    reals.append(s)
    return float(s)
def walk(o, key=""):
    if isinstance(o, dict):
        for k, v in o.items():
            walk(v, k)
    elif isinstance(o, list):
        for v in o:
            walk(v, key)
    elif key.endswith("_bytes"):
        assert o is None or isinstance(o, (int, str)), (key, o)
for f in sys.argv[1:]:
    walk(json.loads(open(f).read(), parse_float=real))
digits = lambda s: len(s.lower().split("e")[0].lstrip("-").replace(".", "").strip("0"))
bad = [s for s in reals if digits(s) > 10 or float(s) == int(float(s))]
assert reals and not bad, bad
PYEOF
ok $? "JSON numbers: byte counts as integers, whole values without .0, reals with at most 10 digits"
header=$(head -n 1 "$out/samples.csv")
# the header docs/run-directory.md shows (the code block after "Header:")
documented=$(awk '/Header:$/ { h = 1; next } h && /^t_s,/ { print; exit }' docs/run-directory.md)
check_eq "documented CSV header" "$header" "$documented"
grep -q 'docs/run-directory.md\|t_s,scope,pid' docs/run-directory.md 2>/dev/null
ok $? "the CSV header is documented in docs/run-directory.md"

# 2. Pre-fork workers: 4 regions in the parent, inherited, plus 2 of each worker's own.
out="$TMP/workers"
"$JITMEM" run -q --interval 20ms --pss-interval 20ms --out "$out" -- "$FIX/jitlike" --regions 4 --size 8192 --workers 3 --worker-regions 2 --hold-ms 800 >/dev/null
ok $? "workers run exits 0"
jcheck "4 processes at most" "$out/summary.json" "d['tree']['max_processes'] == 4"
jcheck "parent JIT: 4 regions" "$out/summary.json" "d['processes'][0]['final_jit_code_bytes'] == 4*8192 and d['processes'][0]['final_jit_mappings'] == 4"
jcheck "each worker: 6 regions" "$out/summary.json" "sorted((p['final_jit_code_bytes'], p['final_jit_mappings']) for p in d['processes'][1:]) == [(6*8192, 6)]*3"
jcheck "tree JIT is the sum" "$out/summary.json" "d['tree']['peak_jit_code_bytes'] == 4*8192 + 3*6*8192"
jcheck "workers' ppid is the parent" "$out/summary.json" "all(p['ppid'] == d['processes'][0]['pid'] for p in d['processes'][1:])"
# The tree's anonymous memory counted once: from the page tables as root, where it equals the sum
# of Pss_Anon of the parent and its copy-on-write workers (no process outside shares their pages)
if [ "$(id -u)" = 0 ]; then
        jcheck "anonymous memory from the page tables, as root" "$out/summary.json" \
                "d['tree']['anon_count'] == {'method': 'pagemap', 'why_not_pagemap': None} and d['tree']['anon_pagemap_ticks'] >= 1 and d['tree']['peak_anon_outside_bytes'] == 0"
        "$PY" - "$out/samples.csv" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'tree' and r['anon_pagemap_bytes'] and r['processes'] == '4']
assert rows, "no tree row with the page tables' count and 4 processes"
for r in rows:
    a, p = int(r['anon_pagemap_bytes']), int(r['pss_anon_bytes'])
    assert abs(a - p) <= 64 * 1024, (r['t_s'], a, p)
    assert r['anon_outside_bytes'] == '0', r['t_s']
assert all(r['anon_pagemap_bytes'] == '' for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'process')
PYEOF
        ok $? "each tick: the page tables' count equals the sum of Pss_Anon within 64 KiB, nothing outside"
else
        echo "SKIP anonymous memory from the page tables: not root" >&2
fi
"$JITMEM" run -q --no-pagemap --out "$TMP/nopagemap" -- "$FIX/jitlike" --regions 1 --hold-ms 100 >/dev/null
jcheck "--no-pagemap: the sum of Pss_Anon, and why" "$TMP/nopagemap/summary.json" \
        "d['tree']['anon_count'] == {'method': 'pss_anon', 'why_not_pagemap': '--no-pagemap'} and d['tree']['peak_anon_pagemap_bytes'] is None and d['tree']['peak_pss_anon_bytes'] > 0"
"$PY" - "$out/samples.csv" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'tree' and r['jit_pss_bytes'] and r['processes'] == '4']
assert rows, "no heavy tree row with 4 processes"
last = rows[-1]
# Copy-on-write sharing: the PSS of JIT code is less than its RSS-style sum.
assert 0 < int(last['jit_pss_bytes']) < int(last['jit_code_bytes']), last
PYEOF
ok $? "PSS of shared JIT code is below its summed size"

# 3. Heap growth only: RSS grows by the allocated amount, no JIT code.
out="$TMP/heap"
"$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/heapgrow" --mb 48 --steps 6 --step-ms 60 --hold-ms 400 --delay-ms 300 >/dev/null
ok $? "heapgrow run exits 0"
"$PY" - "$out/samples.csv" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'tree' and r['processes'] == '1']
rss = [int(r['rss_bytes']) for r in rows]
base = [int(r['rss_bytes']) for r in rows if 0.1 < float(r['t_s']) < 0.25][-1]  # loaded, not yet grown
growth = max(rss) - base
MiB = 1 << 20
assert 47 * MiB <= growth <= 50 * MiB, growth / MiB
assert all(int(r['jit_code_bytes']) == 0 for r in rows)
PYEOF
ok $? "RSS grows by 48 MiB (within 47..50 MiB), JIT code stays 0"

# 4. Exit statuses.
"$JITMEM" run -q --out "$TMP/e1" -- false; check_eq "false -> 1" $? 1
"$JITMEM" run -q --out "$TMP/e2" -- sh -c 'exit 7'; check_eq "exit 7 -> 7" $? 7
"$JITMEM" run -q --out "$TMP/e3" -- sh -c 'kill -TERM $$'; check_eq "killed by SIGTERM -> 143" $? 143
jcheck "signal recorded" "$TMP/e3/summary.json" "d['exit'] == {'code': None, 'signal': 15} and d['exit_status'] == 143"
err=$("$JITMEM" run --out "$TMP/e4" -- no-such-command-jitmem 2>&1); check_eq "not found -> 127" $? 127
check "not found: one clear sentence" -- test "$err" = "jitmem: no-such-command-jitmem: command not found (searched PATH)"
check "nothing created for a command not found" -- test ! -e "$TMP/e4"
printf 'not a program\n' > "$TMP/noexec"; chmod 644 "$TMP/noexec"
"$JITMEM" run --out "$TMP/e5" -- "$TMP/noexec" 2>/dev/null; check_eq "not executable -> 126" $? 126
printf 'touch %s/shell-ran\n' "$TMP" > "$TMP/noshebang"; chmod 755 "$TMP/noshebang"
"$JITMEM" run -q --out "$TMP/e6" -- "$TMP/noshebang" 2>/dev/null; check_eq "no #! line -> 126" $? 126
check "a file without #! is never handed to a shell" -- test ! -e "$TMP/shell-ran"

# 5. Usage errors: exit 2 and one sentence naming the bad value.
for args in "--interval 0.5ms" "--interval 2h" "--interval abc" "--interval 100" "--grace 5" "--pss-interval 1" "--jit maybe" "--limit 12Q" "--limit 0" "--pss-interval nope" "--grace -1s" "--bogus"; do
        # shellcheck disable=SC2086
        err=$("$JITMEM" run $args -- true 2>&1); st=$?
        check_eq "usage error for $args" $st 2
done
err=$("$JITMEM" run --interval 0.5ms -- true 2>&1)
check "bad value is named" -- grep -q "bad --interval '0.5ms'" <<<"$err"
err=$("$JITMEM" run --interval 100 -- true 2>&1)
check "a duration without a unit: the units are named ($err)" -- grep -q "bad --interval '100'.*units: ns, us, ms, s, m (or min), h" <<<"$err"
"$JITMEM" run -q --grace 0 --out "$TMP/grace0" -- true; check_eq "--grace 0 needs no unit" $? 0
err=$("$JITMEM" run --bogus -- true 2>&1)
check_eq "an unknown option: one error line, then the pointer to --help" "$err" "jitmem: unknown option '--bogus'
Try 'jitmem run --help' for more information."
err=$("$JITMEM" run --out 2>&1)
check_eq "a missing value: one error line naming the option" "${err%%$'\n'*}" "jitmem: option '--out' needs a value"
"$JITMEM" run 2>/dev/null; check_eq "no command -> 2" $? 2
# An empty path or file name is a usage error, not a failure to create "" (File name too long).
for args in "run --out= -- true" "run -o '' -- true" "compare --out= -- true" "compare --python= -- true" \
            "compare --http http://127.0.0.1:1/ --requests= -- true" "load --requests= http://127.0.0.1:1/"; do
        eval "err=\$(\"\$JITMEM\" $args 2>&1)"; st=$?
        check_eq "empty value: $args -> 2" $st 2
        check "empty value: $args said so (${err%%$'\n'*})" -- grep -q "^jitmem: empty --[a-z]*: expected " <<<"$err"
done
"$JITMEM" run --help | grep -q -- '--interval'; ok $? "run --help teaches the options"
"$JITMEM" run --help | grep -q '127'; ok $? "run --help lists exit codes"

# 6. --jit sets PYTHON_JIT, or leaves it alone.
"$JITMEM" run -q --jit on --out "$TMP/j1" -- sh -c 'printf %s "$PYTHON_JIT" > "$0"' "$TMP/jit-on"
check_eq "--jit on sets PYTHON_JIT=1" "$(cat "$TMP/jit-on")" 1
"$JITMEM" run -q --jit off --out "$TMP/j2" -- sh -c 'printf %s "$PYTHON_JIT" > "$0"' "$TMP/jit-off"
check_eq "--jit off sets PYTHON_JIT=0" "$(cat "$TMP/jit-off")" 0
PYTHON_JIT=zz "$JITMEM" run -q --out "$TMP/j3" -- sh -c 'printf %s "$PYTHON_JIT" > "$0"' "$TMP/jit-inherit"
check_eq "--jit inherit leaves PYTHON_JIT alone" "$(cat "$TMP/jit-inherit")" zz
jcheck "meta.json records the change" "$TMP/j1/meta.json" "d['environment_changes'] == {'PYTHON_JIT': '1'} and d['jit_mode'] == 'on' and d['schema'] == 'jitmem.run.meta/1'"
jcheck "meta.json records the command" "$TMP/j1/meta.json" "d['command'][0] == 'sh' and d['machine']['page_size_bytes'] > 0 and 'cgroup' in d"

# 7. Signals are forwarded to the command's process group.
start=$(date +%s%N)
"$JITMEM" run -q --out "$TMP/s1" -- sleep 30 &
jpid=$!
sleep 0.5
kill -TERM $jpid
wait $jpid; st=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "SIGTERM forwarded: command dies of it" $st 143
check "SIGTERM handled promptly (${elapsed} ms)" -- test "$elapsed" -lt 5000
jcheck "forwarded signal counted" "$TMP/s1/summary.json" "d['signals_forwarded'] == {'SIGTERM': 1}"

# 8. Orphans: the command exits at once, its background child lives on and is still sampled.
out="$TMP/orphan"
"$JITMEM" run -q --interval 20ms --out "$out" -- sh -c "\"$FIX/jitlike\" --regions 2 --size 4096 --hold-ms 700 >/dev/null & exit 0"
check_eq "orphan run returns the command's status" $? 0
jcheck "orphaned grandchild sampled with its JIT code" "$out/summary.json" "any(p['final_jit_code_bytes'] == 2*4096 and 'jitlike' in p['cmdline'] for p in d['processes'])"
jcheck "orphan ran to its end, not terminated" "$out/summary.json" "d['leftovers_terminated'] == 0"
start=$(date +%s%N)
"$JITMEM" run -q --grace 300ms --out "$TMP/leftover" -- sh -c 'sleep 30 & exit 0'
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "leftovers are terminated after --grace (${elapsed} ms)" -- test "$elapsed" -lt 4000
jcheck "leftover counted" "$TMP/leftover/summary.json" "d['leftovers_terminated'] == 1"

# 9. An exec'd program replaces the command line.
"$JITMEM" run -q --interval 20ms --out "$TMP/exec" -- sh -c "exec \"$FIX/jitlike\" --regions 3 --hold-ms 400 >/dev/null"
jcheck "exec'd image is sampled under its new command line" "$TMP/exec/summary.json" "'jitlike' in d['processes'][0]['cmdline'] and d['processes'][0]['final_jit_mappings'] == 3"

# 10. Interrupted: jitmem killed outright keeps every whole row already written.
"$JITMEM" run -q --interval 5ms --out "$TMP/killed" -- "$FIX/heapgrow" --mb 8 --hold-ms 1500 >/dev/null &
jpid=$!
sleep 0.8
kill -KILL $jpid
wait $jpid 2>/dev/null
"$PY" - "$TMP/killed/samples.csv" <<'PYEOF'
import csv, sys
text = open(sys.argv[1]).read()
assert text.endswith('\n')
rows = list(csv.reader(text.splitlines()))
assert len(rows) > 20, len(rows)
assert all(len(r) == len(rows[0]) for r in rows), "a partial row"
PYEOF
ok $? "SIGKILLed run leaves whole rows only"
jcheck "meta.json intact after SIGKILL" "$TMP/killed/meta.json" "d['schema'] == 'jitmem.run.meta/1'"
check "no half-written summary.json" -- test ! -e "$TMP/killed/summary.json"
sleep 1

# 11. A full disk (here: a file-size limit): one sentence, exit 125, the command stopped, whole rows kept.
start=$(date +%s%N)
err=$( (ulimit -f 16; "$JITMEM" run -q --interval 2ms --out "$TMP/full" -- "$FIX/heapgrow" --mb 4 --hold-ms 5000 >/dev/null) 2>&1)
st=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "disk full -> 125" $st 125
check "disk full: says so (${err%%$'\n'*})" -- grep -q "cannot write $TMP/full/samples.csv: File too large" <<<"$err"
check "disk full: the command was stopped (${elapsed} ms)" -- test "$elapsed" -lt 4500
"$PY" - "$TMP/full/samples.csv" <<'PYEOF'
import csv, sys
text = open(sys.argv[1]).read()
rows = list(csv.reader(text.splitlines()))
assert text.endswith('\n') and len(rows) > 5 and all(len(r) == len(rows[0]) for r in rows)
PYEOF
ok $? "disk full: every row kept is whole"
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/tiny" && mount -t tmpfs -o size=64k tmpfs "$TMP/tiny" 2>/dev/null; then
        "$JITMEM" run -q --interval 2ms --out "$TMP/tiny/run" -- "$FIX/heapgrow" --mb 4 --hold-ms 5000 >/dev/null 2>"$TMP/tiny.err"
        check_eq "ENOSPC on a full tmpfs -> 125" $? 125
        check "ENOSPC named" -- grep -q "No space left on device" "$TMP/tiny.err"
        umount "$TMP/tiny"
else
        skip "tmpfs full-disk test needs root and mount"
fi

# 12. Unusable --out.
err=$("$JITMEM" run -q --out /proc/jitmem-no -- true 2>&1); check_eq "unwritable --out -> 125" $? 125
check_eq "--out in /proc: the true reason" "$err" "jitmem: cannot use /proc/jitmem-no as the run directory: /proc is the proc file system, where no directory can be created"
ln -s "$TMP/no-such-target" "$TMP/dangling"
err=$("$JITMEM" run -q --out "$TMP/dangling/r" -- true 2>&1)
check_eq "below a dangling link: no such directory is the truth there" "$err" "jitmem: cannot use $TMP/dangling/r as the run directory: No such file or directory"
: > "$TMP/afile"
"$JITMEM" run -q --out "$TMP/afile" -- true 2>/dev/null; check_eq "--out is a file -> 125" $? 125
"$JITMEM" run -q --out "$TMP/e1" -- true 2>/dev/null; check_eq "existing run is not overwritten -> 125" $? 125
"$JITMEM" run -q --force --out "$TMP/e1" -- true; check_eq "--force replaces it" $? 0

# 13. The real python3 here (no JIT): measured, and said so.
if command -v python3 >/dev/null; then
        "$JITMEM" run -q --jit on --out "$TMP/py" -- python3 -c "import time; sum(i*i for i in range(300000)); time.sleep(0.3)"
        ok $? "python3 run exits 0"
        build=$(jget "$TMP/py/meta.json" "d['python']['jit']['build']")
        if [ "$build" = not_built ]; then
                jcheck "no JIT: no JIT code" "$TMP/py/summary.json" "d['tree']['final_jit_code_bytes'] == 0 and d['tree']['peak_jit_code_bytes'] == 0"
        else
                skip "python3 on PATH has a JIT ($build): the no-JIT check needs one without"
        fi
        jcheck "python3 measured" "$TMP/py/summary.json" "d['tree']['peak_rss_bytes'] > 5*2**20 and d['tree']['peak_pss_bytes'] > 0"
        # (the command's last entry: an exec seen half-way can start a new one for the same PID)
        jcheck "python3 reaped by jitmem: its ru_maxrss, about its VmHWM (per-CPU counters may lag)" "$TMP/py/summary.json" \
                "(lambda r: r['maxrss_bytes'] > 0.9 * r['hwm_rss_bytes'] > 4*2**20 and r['kernel_peak_rss_bytes'] == max(r['maxrss_bytes'], r['hwm_rss_bytes']))([p for p in d['processes'] if p['pid'] == d['processes'][0]['pid']][-1])"
fi

# 14. A JIT-enabled CPython, when one is named.
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        hot="$TMP/hot.py"
        printf 'import time\ndef f(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\nfor _ in range(5): f(1000000)\ntime.sleep(0.3)\n' > "$hot"
        "$JITMEM" run -q --jit on --interval 20ms --out "$TMP/jon" -- "$JIT_PY" "$hot"
        ok $? "JIT python run (on) exits 0"
        jcheck "JIT on: JIT code measured, whole pages" "$TMP/jon/summary.json" "d['tree']['peak_jit_code_bytes'] > 0 and d['tree']['peak_jit_code_bytes'] % $PAGE == 0"
        jcheck "JIT python probed as having machine code" "$TMP/jon/meta.json" "d['python']['jit']['machine_code'] is True"
        "$JITMEM" run -q --jit off --interval 20ms --out "$TMP/joff" -- "$JIT_PY" "$hot"
        jcheck "JIT off: no JIT code" "$TMP/joff/summary.json" "d['tree']['peak_jit_code_bytes'] == 0"
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set (one JIT-enabled interpreter, or several separated by ':'): the JIT-enabled CPython checks did not run"

# 15. On a terminal, the command is the foreground job: it can read the terminal (without the
#     hand-over it would be stopped by SIGTTIN and the run would hang).
if command -v script >/dev/null && command -v timeout >/dev/null; then
        out=$( (sleep 1; echo hello) | timeout 20 script -qec "\"$JITMEM\" run -q --out \"$TMP/tty\" -- sh -c 'read line; echo got \$line'" /dev/null 2>&1)
        check_eq "command reads the terminal through jitmem (exit)" $? 0
        check "command reads the terminal through jitmem (${out//$'\r'/})" -- grep -q "got hello" <<<"$out"
else
        skip "script(1) is not installed: the terminal test did not run"
fi

# 16. The default run directory is new every time; --limit is judged against.
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$OLDPWD/$JITMEM" run -q -- true && "$OLDPWD/$JITMEM" run -q -- true)
check_eq "two default run directories" "$(ls -d "$TMP"/cwd/jitmem-run-* | wc -l)" 2
"$JITMEM" run -q --limit 64M --interval 20ms --out "$TMP/limit" -- "$FIX/heapgrow" --mb 16 --steps 2 --hold-ms 200 >/dev/null
jcheck "limit fractions" "$TMP/limit/summary.json" "d['limit']['bytes'] == 64*2**20 and 0.2 < d['limit']['peak_rss_fraction'] < 0.4 and d['limit']['peak_pss_fraction'] <= d['limit']['peak_rss_fraction']"
jcheck "limit in meta.json" "$TMP/limit/meta.json" "d['limit_bytes'] == 64*2**20"
jcheck "nothing unreadable or untracked" "$TMP/limit/summary.json" "d['unreadable_processes'] == 0 and d['untracked_processes_max'] == 0"

# 17. A process jitmem may not read (setuid, jitmem not root) is reported, not silently dropped.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        d=$(mktemp -d); chmod 755 "$d"; cp "$FIX/jitlike" "$d/suid"; chmod 4755 "$d/suid"; mkdir "$d/out"; chmod 777 "$d/out"
        err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$JITMEM" run --interval 20ms --out "$d/out/r" -- "$d/suid" --hold-ms 400 2>&1 >/dev/null)
        check_eq "unreadable command still runs to its status" $? 0
        check "unreadable process said so" -- grep -q "1 process could not be read (permission denied" <<<"$err"
        jcheck "unreadable process counted" "$d/out/r/summary.json" "d['unreadable_processes'] == 1"
        rm -rf "$d"
else
        skip "the unreadable-process test needs root (to make a setuid fixture) and setpriv"
fi

# 18. Progress: lines of counts on JITMEM_PROGRESS_FD, from the command and its children.
"$JITMEM" run -q --progress --interval 20ms --out "$TMP/prog" -- sh -c '
        for i in 1 2 3; do echo 2 >&"$JITMEM_PROGRESS_FD"; sleep 0.1; done
        (echo 5 >&"$JITMEM_PROGRESS_FD") &
        wait
        echo bad >&"$JITMEM_PROGRESS_FD"; sleep 0.1'
check_eq "progress run exits 0" $? 0
jcheck "progress summed across processes" "$TMP/prog/summary.json" "d['progress']['units'] == 11 and d['progress']['bad_lines'] == 1 and d['progress']['units_per_s'] > 0"
"$PY" - "$TMP/prog/samples.csv" <<'PYEOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'tree']
units = [int(r['progress_units']) for r in rows]
assert units == sorted(units) and units[-1] == 11 and len(set(units)) >= 3, units
assert all(r['progress_units'] == '' for r in csv.DictReader(open(sys.argv[1])) if r['scope'] == 'process')
PYEOF
ok $? "progress_units grows tick by tick in the tree rows"
"$JITMEM" run -q --out "$TMP/noprog" -- sh -c 'test -z "$JITMEM_PROGRESS_FD"'
check_eq "without --progress the variable is not set" $? 0
jcheck "no progress without --progress" "$TMP/noprog/summary.json" "d['progress'] is None"

# 19. A short job's peak: its allocation falls after the last tick, where only the kernel's
#     high-water mark has it (wait4's ru_maxrss of the process jitmem reaps).
out="$TMP/short"
start=$(date +%s%N)
"$JITMEM" run --interval 10s --out "$out" -- "$FIX/heapgrow" --mb 48 --steps 1 --step-ms 0 --delay-ms 300 --hold-ms 0 >/dev/null 2>"$TMP/short.err"
ok $? "short job exits 0"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "a run ends when its command does, not at the next tick (${elapsed} ms, interval 10 s)" -- test "$elapsed" -lt 5000
jcheck "the kernel's peak has the 48 MiB" "$out/summary.json" "(lambda r: r['maxrss_bytes'] >= 48 << 20 and r['kernel_peak_rss_bytes'] >= 48 << 20)([p for p in d['processes'] if p['pid'] == d['processes'][0]['pid']][-1]) and d['tree']['largest_process_kernel_peak_rss_bytes'] >= 48 << 20"
jcheck "the sampled peak missed them" "$out/summary.json" "all(p['peak_rss_bytes'] < 48 << 20 for p in d['processes']) and d['tree']['peak_rss_bytes'] < 48 << 20"
check "the table names the kernel's peak beside the sampled one" -- grep -q "peak RSS  kernel peak" "$TMP/short.err"
check "the table says a peak fell between ticks" -- grep -q "a peak fell between ticks" "$TMP/short.err"
check "the table gives the tree's RSS sum as at least the kernel's peak" -- grep -q "so the tree's RSS sum peaked at 4[89].[0-9] MiB or more" "$TMP/short.err"
# A process its own parent waited for: no ru_maxrss of its own; its parent's covers it.
out="$TMP/waited"
"$JITMEM" run -q --interval 50ms --out "$out" -- sh -c "\"$FIX/heapgrow\" --mb 32 --steps 1 --step-ms 0 --delay-ms 200 --hold-ms 0 >/dev/null; true"
jcheck "waited for by its parent: maxrss null for it, the parent's covers it" "$out/summary.json" \
        "(lambda root, rest: all(p['maxrss_bytes'] is None for p in rest) and any('heapgrow' in p['cmdline'] for p in rest) and root[-1]['maxrss_bytes'] >= 32 << 20)([p for p in d['processes'] if p['pid'] == d['processes'][0]['pid']], [p for p in d['processes'] if p['pid'] != d['processes'][0]['pid']])"

# 20. The table: the program's name kept when the command line is cut; the container's usage
#     named as such; no share of one core over a run too short for it.
mkdir -p "$TMP/a/rather/long/directory/name/for/the/test"
ln -s "$(command -v sleep)" "$TMP/a/rather/long/directory/name/for/the/test/sleepy"
"$JITMEM" run --out "$TMP/label" -- "$TMP/a/rather/long/directory/name/for/the/test/sleepy" 0.2 2>"$TMP/label.err"
row=$(grep -E "^ +[0-9]+ " "$TMP/label.err" | head -n 1)
check "a long path: the middle cut, the program and its argument kept ($row)" -- grep -qE "^ +[0-9]+ /tmp.*…/sleepy 0\.2 " <<<"$row"
evil="$TMP/ev$(printf '\033')]0;owned$(printf '\007')il"
ln -s "$(command -v sleep)" "$evil"
"$JITMEM" run --out "$TMP/evil" -- "$evil" 0.1 2>"$TMP/evil.err"
check "a command line's control bytes never reach the terminal" -- test "$(tr -d '\n' < "$TMP/evil.err" | LC_ALL=C grep -c "$(printf '[\001-\010\013-\037]')")" = 0
check "... they are shown escaped, as \\xNN" -- grep -qF 'ev\x1b]0;owned\x07il' "$TMP/evil.err"
check "the cgroup's usage is the container's" -- grep -q "container (jitmem's cgroup, every process in it, not the command's alone)" "$TMP/label.err"
check "no bare 'cgroup usage peak'" -- test "$(grep -c "cgroup usage peak" "$TMP/label.err")" = 0
check "a 0.2 s run: no share of one core" -- test "$(grep -c "of one core" "$TMP/label.err")" = 0
jcheck "a 0.2 s run: the share is null, the CPU seconds are there" "$TMP/label/summary.json" "d['observer']['cpu_fraction_of_one_core'] is None and d['observer']['cpu_during_run_s'] >= 0 and d['observer']['cpu_s'] > 0"
"$JITMEM" run --interval 20ms --out "$TMP/long" -- sleep 1.2 2>"$TMP/long.err"
check "a 1.2 s run: the share of one core is given" -- grep -q "s CPU while the command ran ([0-9.]*% of one core)" "$TMP/long.err"
jcheck "a 1.2 s run: the share is the CPU while the command ran over its duration" "$TMP/long/summary.json" "abs(d['observer']['cpu_fraction_of_one_core'] - d['observer']['cpu_during_run_s'] / d['duration_s']) < 1e-6"

finish test_run
