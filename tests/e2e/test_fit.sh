#!/usr/bin/env bash
# jitmem fit: usage errors; the refusals, each with a sentence saying what to do; on the real
# memory cgroup (root, v1 or v2), the fixture that needs 64 MiB gets a limit within a page-
# rounded bound of that, the trial just below it OOM-killed; --json and fit.json's keys; resume
# after a bound; and jitmem fit interrupted (SIGINT, SIGTERM, SIGHUP) or killed (SIGKILL) in the middle
# of a trial leaves no cgroup and no process of the workload behind.
. "$(dirname "$0")/lib.sh"

NEED=$((64 * 1024 * 1024))

# 1. Usage errors: exit 2, nothing created.
for bad in "--precision 0" "--precision 60%" "--precision x" "--margin -1" "--modes both" "--max-trials 1" \
           "--budget 0" "--cgroup-parent rel/dir" "--resume" "--resume --force --out $TMP/u" "--python python3 --python python3"; do
        # shellcheck disable=SC2086
        "$JITMEM" fit $bad -- true >/dev/null 2>&1
        check_eq "fit $bad: usage error" $? 2
done
"$JITMEM" fit --out "$TMP/u" >/dev/null 2>&1
check_eq "fit without a command: usage error" $? 2
check "usage errors create nothing" -- test ! -e "$TMP/u"
"$JITMEM" fit --help | grep -q -- "--precision SIZE|PCT"
check_eq "fit --help names --precision" $? 0

# 2. Refusals, with what to do, before anything is created.
err=$("$JITMEM" fit --modes off --cgroup-parent "$TMP" --out "$TMP/r1" -- true 2>&1); st=$?
check_eq "a parent that is no memory cgroup: exit 1" $st 1
check "it says to name one ($err)" -- grep -q -- "--cgroup-parent DIR" <<<"$err"
check "no fit directory made" -- test ! -e "$TMP/r1"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        chmod 755 "$TMP"
        err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$JITMEM" fit --modes off --out "$TMP/r2" -- true 2>&1); st=$?
        check_eq "not root: exit 1" $st 1
        check "not root: says to run as root or name a delegated cgroup ($err)" -- grep -q "run as root.*--cgroup-parent DIR.*delegated" <<<"$err"
        check "not root: no fit directory made" -- test ! -e "$TMP/r2"
else
        skip "the refusal of another user needs root and setpriv"
fi

# 3. The real cgroup: root with a writable memory hierarchy.
if [ "$(id -u)" != 0 ] || ! "$JITMEM" fit --modes off --max-trials 2 --out "$TMP/probe" -- true >/dev/null 2>&1 \
        && ! [ -e "$TMP/probe/fit.json" ]; then
        skip "no memory cgroup jitmem can create here (root on cgroup v1, or v2 with the memory controller): the fits did not run"
        finish test_fit
        exit
fi
PARENT=$(jget "$TMP/probe/fit.json" "d['cgroup']['parent']")
# leftovers PID: the jitmem-fit cgroups of that jitmem left under the parent.
leftovers() { find "$PARENT" -maxdepth 1 -name "jitmem-fit-$1-*" 2>/dev/null | tr '\n' ' '; }
# stale: those of any jitmem no longer running (a fit running beside this test is no leftover).
stale() {
        local d p
        for d in $(leftovers '*'); do
                p=${d##*/jitmem-fit-}; p=${p%%-*}
                [ -d "/proc/$p" ] || printf '%s ' "$d"
        done
}
check "the probe's cgroups are gone ($(stale))" -- test -z "$(stale)"
err=$("$JITMEM" fit --modes off --out /proc/jitmem-fit-out -- true 2>&1); st=$?
check_eq "an OUT that cannot be made: exit 1" $st 1
check "... saying why ($err)" -- grep -q "/proc is the proc file system" <<<"$err"

out="$TMP/need"
"$JITMEM" fit --modes off --precision 64K --interval 20ms --json --out "$out" -- "$FIX/memneed" 64M >"$TMP/need.json" 2>"$TMP/need.err"
st=$?
check_eq "memneed 64M: exit 0 (found) [$(tail -3 "$TMP/need.err")]" $st 0
cmp -s "$TMP/need.json" "$out/fit.json"
check_eq "--json prints fit.json" $? 0
jcheck "fit.json: the schema's required keys" "$TMP/need.json" \
        "d['schema'] == 'jitmem.fit/1' and d['complete'] is True and all(k in d for k in ('command', 'python', 'cgroup', 'search', 'modes', 'difference')) and set(d['modes']) == {'off'} and all(k in d['modes']['off'] for k in ('found', 'end', 'why', 'limit_bytes', 'highest_failed_bytes', 'precision_bytes', 'trials', 'trial_list', 'per_worker_limit_bytes', 'reference_peak_bytes'))"
jcheck "fit.json: each trial's keys" "$TMP/need.json" \
        "all(all(k in t for k in ('index', 'mode', 'limit_bytes', 'outcome', 'reason', 'oom_kills', 'exit_code', 'cgroup_peak_bytes', 'peak_pss_bytes', 'peak_rss_bytes', 'duration_s', 'dir')) for t in d['modes']['off']['trial_list'])"
base=$(jget "$out/fit.json" "d['modes']['off']['trial_list'][0]['cgroup_peak_bytes'] - $NEED")
L=$(jget "$out/fit.json" "d['modes']['off']['limit_bytes']")
F=$(jget "$out/fit.json" "d['modes']['off']['highest_failed_bytes']")
check "the unlimited trial's baseline beyond 64 MiB is measured ($base)" -- test "$base" -ge 0
check "64 MiB <= limit $L <= 64 MiB + baseline $base + 64K" -- test "$L" -ge $NEED -a "$L" -le $((NEED + base + 65536))
check "the highest failure $F is within 64K below $L" -- test "$F" -lt "$L" -a $((L - F)) -le 65536
jcheck "the trial at $F failed with an OOM kill" "$out/fit.json" \
        "[t for t in d['modes']['off']['trial_list'] if t['limit_bytes'] == $F][0]['oom_kills'] >= 1 and [t for t in d['modes']['off']['trial_list'] if t['limit_bytes'] == $F][0]['reason'].startswith('oom_kill')"
jcheck "limits are page-aligned" "$out/fit.json" \
        "all(t['limit_bytes'] is None or t['limit_bytes'] % 4096 == 0 for t in d['modes']['off']['trial_list'])"
check "every trial is a run directory with its trial.json" -- \
        test "$(ls "$out"/trials/*/trial.json | wc -l)" = "$(ls "$out"/trials/*/summary.json | wc -l)"
check "the first trial is unlimited" -- test -d "$out/trials/01-off-unlimited"
check "no cgroup left ($(stale))" -- test -z "$(stale)"
# Its report: written beside fit.json and named on stderr; each trial's limit drawn where fit.json
# says; the trial at the limit drawn point by point from its samples.csv (report_check.py).
check "report.html written and named" -- grep -q "^report: $out/report.html" "$TMP/need.err"
cat >"$TMP/trials.py" <<'PY'
import html.parser, json, re, sys
fit = json.load(open(sys.argv[2]))
class P(html.parser.HTMLParser):
    svg, series, pts = None, None, []
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "svg" and a.get("id") == "chart-trials":
            self.svg = a
        if self.svg is None:
            return
        if tag == "g" and a.get("data-series", "").startswith("trials-"):
            self.series = a["data-series"]
        if tag == "circle" and self.series:
            self.pts.append((self.series, float(a["cx"]), float(a["cy"])))
        if tag == "path" and a.get("data-series", "").startswith("trials-"):
            m = re.match(r"M([0-9.]+) ([0-9.]+)", a["d"])
            self.pts.append((a["data-series"], float(m.group(1)), float(m.group(2))))
    def handle_endtag(self, tag):
        if tag == "g":
            self.series = None
        if tag == "svg":
            self.svg = None if not self.pts else self.svg
p = P()
p.feed(open(sys.argv[1]).read())
s = p.svg
y = lambda py: float(s["data-y0"]) + (py - float(s["data-py0"])) * (float(s["data-y1"]) - float(s["data-y0"])) / (float(s["data-py1"]) - float(s["data-py0"]))
ty = abs((float(s["data-y1"]) - float(s["data-y0"])) / (float(s["data-py1"]) - float(s["data-py0"]))) * 0.5
want = [("trials-off-" + t["outcome"], t["limit_bytes"] if t["limit_bytes"] is not None else t["cgroup_peak_bytes"])
        for t in fit["modes"]["off"]["trial_list"]]
got = [(n, y(py)) for n, px, py in p.pts]
ok = len(got) == len(want) and all(a[0] == b[0] and abs(a[1] - b[1]) <= ty for a, b in zip(got, want))
print(f"{len(got)} points, {len(want)} trials" + ("" if ok else f": got {got}, want {want}"))
sys.exit(0 if ok else 1)
PY
check "report: each trial's limit and outcome drawn as fit.json says ($(python3 "$TMP/trials.py" "$out/report.html" "$out/fit.json" 2>&1 | tail -1))" -- \
        python3 "$TMP/trials.py" "$out/report.html" "$out/fit.json"
check "report: the trial at the limit drawn from its samples.csv" -- \
        python3 "$(dirname "$0")/report_check.py" "$out/report.html" "$out" --min-lines 2
check "report: nothing fetched from the network" -- sh -c '! grep -q "https\?://" "$1"' _ "$out/report.html"
"$JITMEM" fit --modes off --out "$out" -- "$FIX/memneed" 64M >/dev/null 2>&1
check_eq "an OUT with a fit is refused without --resume or --force" $? 1

# Both modes of a command the JIT changes nothing in: the difference's range comes from the
# brackets (each limit above its highest failure, at most its smallest pass), holds the
# difference of the two limits, and a difference is claimed only when the range excludes 0 (at
# the threshold a page or two of the kernel's own can tip one trial either way, so the outcome
# itself is not asserted: what is said must match it).
"$JITMEM" fit --precision 256K --interval 20ms --out "$TMP/both" -- "$FIX/memneed" 32M >"$TMP/both.out" 2>&1
check_eq "both modes of memneed 32M: exit 0" $? 0
jcheck "both modes: the range is the brackets' and holds the difference" "$TMP/both/fit.json" \
        "(lambda x, m: x['low_bytes'] == m['on']['highest_failed_bytes'] - m['off']['limit_bytes'] and x['high_bytes'] == m['on']['limit_bytes'] - m['off']['highest_failed_bytes'] and x['low_bytes'] < x['bytes'] < x['high_bytes'])(d['difference'], d['modes'])"
jcheck "both modes: established only when the range excludes 0" "$TMP/both/fit.json" \
        "(lambda x: x['established'] == (x['low_bytes'] >= 0 or x['high_bytes'] <= 0))(d['difference'])"
if [ "$(jget "$TMP/both/fit.json" "d['difference']['established']")" = False ]; then
        check "both modes: the summary says no difference is established ($(grep 'JIT on - off' "$TMP/both.out"))" -- \
                grep -q "no difference established at this precision" "$TMP/both.out"
        check "both modes: the report says so too" -- grep -q "no difference is established at this precision" "$TMP/both/report.html"
else
        check "both modes: a difference the brackets establish is not called unestablished" -- \
                sh -c '! grep -q "no difference" "$1" "$2"' _ "$TMP/both.out" "$TMP/both/report.html"
fi

# 4. A bound stops the search with the bracket reached; --resume goes on to the same answer.
out="$TMP/resume"
"$JITMEM" fit --modes off --precision 64K --interval 20ms --max-trials 4 --out "$out" -- "$FIX/memneed" 64M >"$TMP/b.out" 2>&1
check_eq "--max-trials 4: exit 1" $? 1
jcheck "--max-trials 4: stopped by the bound, with a bracket" "$out/fit.json" \
        "d['modes']['off']['end'] == 'bound' and d['modes']['off']['trials'] == 4 and d['modes']['off']['limit_bytes'] is not None and 'max-trials' in d['modes']['off']['why']"
check "it says so ($(tail -1 "$TMP/b.out"))" -- grep -q "no limit found with the JIT off: stopped by --max-trials" "$TMP/b.out"
first=$(ls "$out/trials")
"$JITMEM" fit --modes off --precision 64K --interval 20ms --resume --out "$out" -- "$FIX/memneed" 64M >"$TMP/r.out" 2>&1
check_eq "--resume: exit 0" $? 0
check "--resume: says what it resumes" -- grep -q "resuming: 4 finished trials with the JIT off" "$TMP/r.out"
check "--resume: the first trials kept" -- test "$(ls "$out/trials" | head -4)" = "$first"
L2=$(jget "$out/fit.json" "d['modes']['off']['limit_bytes']")
check "--resume: a limit within the same bound ($L2)" -- test "$L2" -ge $NEED -a "$L2" -le $((NEED + base + 65536))

# --budget: no trial is started that would not end within it; nothing is made up.
out="$TMP/budget"
"$JITMEM" fit --modes off --interval 20ms --budget 300ms --out "$out" -- "$FIX/memneed" 64M >"$TMP/budget.out" 2>&1
check_eq "--budget 300ms: exit 1" $? 1
jcheck "--budget 300ms: one trial, stopped by the budget, no limit claimed" "$out/fit.json" \
        "d['modes']['off']['trials'] == 1 and d['modes']['off']['end'] == 'bound' and 'budget' in d['modes']['off']['why'] and d['modes']['off']['limit_bytes'] is None and d['modes']['off']['highest_failed_bytes'] is None"

# A command that fails with no limit: nothing to fit, and why.
err=$("$JITMEM" fit --modes off --interval 20ms --out "$TMP/ref" -- sh -c 'exit 3' 2>&1); st=$?
check_eq "a command failing with no limit: exit 1" $st 1
check "it says why (${err##*$'\n'})" -- grep -q "no limit found with the JIT off: the trial with no limit failed: there is no limit to find (exit status 3" <<<"$err"
jcheck "its fit.json: failed, no limit" "$TMP/ref/fit.json" "d['modes']['off']['end'] == 'failed' and d['modes']['off']['limit_bytes'] is None"

# 5. Interrupted or killed in the middle of a trial: no cgroup, no process left.
n=0
for sig in INT TERM HUP KILL; do
        n=$((n + 1))
        mark=$((400000 + ($$ * 4 + n) % 100000)) # memneed's hold in ms, a marker of this case
        out="$TMP/kill-$sig"
        "$JITMEM" fit --modes off --interval 50ms --out "$out" -- \
                sh -c "\"$FIX/memneed\" 8M $mark & \"$FIX/memneed\" 8M $mark; :" >"$TMP/kill-$sig.out" 2>&1 &
        jpid=$!
        for i in $(seq 1 100); do
                [ "$(pgrep -f -- "memneed 8M $mark" | wc -l)" -ge 2 ] && [ -n "$(leftovers $jpid)" ] && break
                sleep 0.1
        done
        check "SIG$sig: the trial was running (its cgroup $(leftovers $jpid))" -- test -n "$(leftovers $jpid)"
        kill -$sig $jpid
        wait $jpid 2>/dev/null
        st=$?
        if [ $sig = KILL ]; then
                check_eq "SIGKILL: killed" $st 137
        else
                check_eq "SIG$sig: exit 130" $st 130
                check "SIG$sig: says how to resume ($(tail -1 "$TMP/kill-$sig.out"))" -- grep -q "add --resume" "$TMP/kill-$sig.out"
                jcheck "SIG$sig: fit.json says not complete" "$out/fit.json" "d['complete'] is False"
        fi
        for i in $(seq 1 50); do
                [ -z "$(pgrep -f -- "memneed 8M $mark")" ] && [ -z "$(leftovers $jpid)" ] && break
                sleep 0.1
        done
        check "SIG$sig: no process of the workload left ($(pgrep -f -- "memneed 8M $mark" | tr '\n' ' '))" -- \
                test -z "$(pgrep -f -- "memneed 8M $mark")"
        check "SIG$sig: no cgroup left ($(leftovers $jpid))" -- test -z "$(leftovers $jpid)"
done

finish test_fit
