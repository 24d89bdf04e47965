#!/usr/bin/env bash
# The history database from outside (docs/history.md): kill -9 in the middle of a write, two
# jitmems appending at once, a read-only file or directory, a corrupt file, a newer schema;
# --check's exit statuses; and real appends by compare (fakejit) and run --history, with the
# report's history section.
. "$(dirname "$0")/lib.sh"

C1=tests/data/compare/fakejit-debug
C2=tests/data/compare/matrix-v2
# A result directory holds one result, and adding it again replaces it: each append below adds
# a copy of its own (copy_of SRC NAME prints the copy's path).
copy_of() { cp -r "$1" "$TMP/copy-$2" && echo "$TMP/copy-$2"; }
# rows and integrity through Python's sqlite3, apart from jitmem's own reading
dbq() { "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }

# ---- kill -9 inside the transaction: earlier results whole, the new one absent ----
db="$TMP/kill.db"
for i in 1 2 3; do "$JITMEM" history --db "$db" --add "$(copy_of "$C1" k$i)" 2>/dev/null; done
k4=$(copy_of "$C2" k4)
JITMEM_HISTORY_TEST_PAUSE="$TMP/paused" "$JITMEM" history --db "$db" --add "$k4" 2>/dev/null &
pid=$!
for _ in $(seq 300); do [ -e "$TMP/paused" ] && break; sleep 0.1; done
check "the writer reached its pause inside the transaction" -- test -e "$TMP/paused"
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null # (bash's "Killed" notice too)
check_eq "after kill -9 mid-write: the database is intact" "$(dbq "$db" 'PRAGMA integrity_check')" ok
check_eq "after kill -9 mid-write: the three earlier results, the killed one absent" "$(dbq "$db" 'SELECT count(*) FROM results')" 3
check_eq "... and their figures" "$(dbq "$db" 'SELECT count(DISTINCT result_id) FROM figures')" 3
check_eq "... no experiment of the killed writer" "$(dbq "$db" 'SELECT count(*) FROM experiments')" 0
"$JITMEM" history --db "$db" >"$TMP/kill.txt" 2>&1
ok $? "jitmem history reads it after the kill"
check_eq "jitmem history lists the three" "$(grep -c 'GO WITH CONDITIONS' "$TMP/kill.txt")" 3
"$JITMEM" history --db "$db" --add "$k4" 2>/dev/null
ok $? "an append after the kill works"
check_eq "... and adds both interpreters" "$(dbq "$db" 'SELECT count(*) FROM results')" 5

# killed at arbitrary points (no pause): each matrix append is whole (2 rows) or absent
for i in $(seq 12); do
        kr=$(copy_of "$C2" kr$i)
        "$JITMEM" history --db "$db" --add "$kr" 2>/dev/null &
        pid=$!
        sleep "0.0$((RANDOM % 10))"
        { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
done
check_eq "killed at random points: still intact" "$(dbq "$db" 'PRAGMA integrity_check')" ok
check_eq "killed at random points: every matrix comparison whole (two rows an experiment)" \
        "$(dbq "$db" "SELECT count(*) FROM (SELECT experiment FROM results WHERE label IS NOT NULL GROUP BY experiment HAVING count(*) <> 2)")" 0
check_eq "... and every experiment with its rows" \
        "$(dbq "$db" "SELECT count(*) FROM experiments WHERE id NOT IN (SELECT experiment FROM results)")" 0

# ---- two writers at once: every append there, none refused as locked ----
db="$TMP/two.db"
"$JITMEM" history --db "$db" --add "$(copy_of "$C1" t0)" 2>/dev/null
writer() { for i in $(seq 15); do "$JITMEM" history --db "$db" --add "$(copy_of "$1" "$2$i")" 2>>"$TMP/two.err" || echo fail >>"$TMP/two.fail"; done; }
writer "$C1" w1- &
w1=$!
writer "$C2" w2- &
w2=$!
wait "$w1" "$w2"
check "two writers: no append failed" -- test ! -e "$TMP/two.fail"
check "two writers: nothing said 'locked'" -- sh -c "! grep -qi locked '$TMP/two.err'"
check_eq "two writers: all 1 + 15 + 2 x 15 rows" "$(dbq "$db" 'SELECT count(*) FROM results')" 46
check_eq "two writers: intact" "$(dbq "$db" 'PRAGMA integrity_check')" ok

# ---- a read-only database file, a read-only directory (as another user: root writes anything) ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        chmod 0755 "$TMP"
        pub="$TMP/pub"
        mkdir -p "$pub/rofile" "$pub/rodir" "$pub/out"
        chmod 0777 "$pub/rofile" "$pub/out"
        "$JITMEM" history --db "$pub/rofile/h.db" --add "$C1" 2>/dev/null
        chmod 0444 "$pub/rofile/h.db"
        sum=$(cksum <"$pub/rofile/h.db")
        "${NOBODY[@]}" "$JITMEM" run --history --db "$pub/rofile/h.db" --out "$pub/out/r1" -- true >/dev/null 2>"$TMP/ro.err"
        ok $? "a read-only database file: run's exit status unchanged (0)"
        check "... the warning says the result was not added and where it is kept" -- \
                grep -q "warning: the result was not added to the history (.*read only.*); it is kept in $pub/out/r1" "$TMP/ro.err"
        check "... the result directory is whole" -- test -s "$pub/out/r1/summary.json"
        check_eq "... the database unchanged" "$(cksum <"$pub/rofile/h.db")" "$sum"
        "${NOBODY[@]}" "$JITMEM" history --db "$pub/rofile/h.db" >"$TMP/ro.txt" 2>&1
        ok $? "jitmem history reads a read-only database"
        check "... and lists its result" -- grep -q "GO WITH CONDITIONS" "$TMP/ro.txt"
        # a directory nobody may write, holding a database anyone may write: no journal can be made
        "$JITMEM" history --db "$pub/rodir/h.db" --add "$C1" 2>/dev/null
        chmod 0666 "$pub/rodir/h.db"
        chmod 0555 "$pub/rodir"
        "${NOBODY[@]}" "$JITMEM" run --history --db "$pub/rodir/h.db" --out "$pub/out/r2" -- true >/dev/null 2>"$TMP/rodir.err"
        ok $? "a read-only directory: run's exit status unchanged (0)"
        check "... the warning says the result was not added" -- grep -q "warning: the result was not added to the history (" "$TMP/rodir.err"
        check "... the result directory is whole" -- test -s "$pub/out/r2/summary.json"
        "${NOBODY[@]}" "$JITMEM" history --db "$pub/rodir/h.db" >"$TMP/rodir.txt" 2>&1
        ok $? "jitmem history reads a database in a read-only directory"
        check "... and lists its result" -- grep -q "GO WITH CONDITIONS" "$TMP/rodir.txt"
        chmod 0755 "$pub/rodir"
else
        skip "the read-only database checks need root (to act as another user) and setpriv"
fi

# ---- locked past the busy timeout (5 s) by another writer: said, the run kept ----
"$JITMEM" history --db "$TMP/locked.db" --add "$C1" 2>/dev/null
"$PY" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(30)' "$TMP/locked.db" "$TMP/locking" &
locker=$!
for _ in $(seq 300); do [ -e "$TMP/locking" ] && break; sleep 0.1; done
"$JITMEM" run --history --db "$TMP/locked.db" --out "$TMP/l1" -- true >/dev/null 2>"$TMP/l.err"
ok $? "a database locked by another writer: run's exit status unchanged (0)"
check "... the warning says it is locked" -- grep -q "not added to the history (.*is locked by another process for more than 5 s" "$TMP/l.err"
check "... the result directory is whole" -- test -s "$TMP/l1/summary.json"
{ kill "$locker"; wait "$locker"; } 2>/dev/null
check_eq "... and once free, the database holds its one result" "$(dbq "$TMP/locked.db" 'SELECT count(*) FROM results')" 1

# ---- a corrupt file, a newer schema: said, left alone ----
printf 'not a database at all, just some bytes\n%.0s' 1 2 3 >"$TMP/garbage.db"
sum=$(cksum <"$TMP/garbage.db")
"$JITMEM" run --history --db "$TMP/garbage.db" --out "$TMP/g1" -- true >/dev/null 2>"$TMP/g.err"
ok $? "a corrupt database: run's exit status unchanged (0)"
check "... the warning names it as not a usable history database" -- grep -q "not added to the history (.*not a usable history database" "$TMP/g.err"
check "... the result directory is whole" -- test -s "$TMP/g1/summary.json"
check_eq "... the file untouched" "$(cksum <"$TMP/garbage.db")" "$sum"
"$JITMEM" history --db "$TMP/garbage.db" >/dev/null 2>"$TMP/g2.err"
check_eq "jitmem history of a corrupt file: exit 1" $? 1
check "... saying why" -- grep -q "not a usable history database" "$TMP/g2.err"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t (x)"); c.execute("PRAGMA user_version = 9"); c.commit()' "$TMP/newer.db"
sum=$(cksum <"$TMP/newer.db")
"$JITMEM" run --history --db "$TMP/newer.db" --out "$TMP/n1" -- true >/dev/null 2>"$TMP/n.err"
ok $? "a newer schema: run's exit status unchanged (0)"
check "... the warning says a newer jitmem wrote it" -- grep -q "written by a newer jitmem (history schema 9" "$TMP/n.err"
check_eq "... the file untouched" "$(cksum <"$TMP/newer.db")" "$sum"

# ---- --check ----
db="$TMP/check.db"
"$JITMEM" history --db "$db" --check >"$TMP/ck0.txt" 2>/dev/null
check_eq "--check of no history: exit 0" $? 0
"$JITMEM" history --db "$db" --add "$C2" 2>/dev/null
"$JITMEM" history --db "$db" --check --workload broad >"$TMP/ck1.txt" 2>&1
check_eq "--check of one matrix: its interpreters are not each other's previous result, exit 0" $? 0
check "... says there is no previous result" -- grep -q "no previous result on the same machine" "$TMP/ck1.txt"
# an earlier comparison of 3.14.7 alone (the matrix's first interpreter, as a comparison of its
# own), then the matrix again: its newest row, 3.15.0rc1, against that earlier 3.14.7
db="$TMP/check2.db"
one=$(copy_of "$C2" one314)
"$PY" - "$one/comparison.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
json.dump(d["interpreters"][0]["comparison"], open(p, "w"))
PY
"$JITMEM" history --db "$db" --add "$one" 2>/dev/null
"$JITMEM" history --db "$db" --add "$C2" 2>/dev/null
"$JITMEM" history --db "$db" --check --workload broad >"$TMP/ck1.txt" 2>&1
check_eq "--check, 3.15.0rc1 above the earlier 3.14.7's range of peaks with the JIT on: exit 1" $? 1
check "... against the earlier experiment, not the matrix's own 3.14.7" -- grep -q "^broad on .*: result 3 (3.15.0rc1, .*) against result 1 (3.14.7, " "$TMP/ck1.txt"
check "... says which figure and by how much" -- grep -q "peak PSS with the JIT on: 1.20 MiB is above the older result's range of runs .*: worse by 110 KiB" "$TMP/ck1.txt"
check "... and what it could not judge" -- grep -q "the JIT's delta of peak PSS: not judged: the older result's delta has no 95% interval" "$TMP/ck1.txt"
"$JITMEM" history --db "$db" --check --json --workload broad >"$TMP/ck1.json" 2>/dev/null
check_eq "--check --json: the worse figure" "$(jget "$TMP/ck1.json" "[f['by'] for f in d['findings'][0]['figures'] if f['worse']]")" "[112128]"
"$JITMEM" history --db "$db" --check --python-version 3.14 >"$TMP/ck2.txt" 2>&1
check_eq "--check of 3.14 alone: the matrix's 3.14.7 against the earlier one, the same figures, exit 0" $? 0
check "... says it is fine" -- grep -q "result 2 (3.14.7, .*) against result 1 (3.14.7, .*): fine" "$TMP/ck2.txt"
ck1=$(copy_of "$C1" ck1)
"$JITMEM" history --db "$db" --add "$ck1" 2>/dev/null
"$JITMEM" history --db "$db" --add "$(copy_of "$C1" ck2)" 2>/dev/null
"$JITMEM" history --db "$db" --check --workload "/work/main/build/fixtures/fakejit --units 200 --debug-image 32768" >"$TMP/ck3.txt" 2>&1
check_eq "--check of two copies of the same result: exit 0" $? 0
check "... says it is fine" -- grep -q "fine, no figure worse by more than its interval" "$TMP/ck3.txt"
"$JITMEM" history --db "$db" --check >/dev/null 2>&1
check_eq "--check of every workload: broad is worse, exit 1" $? 1
"$JITMEM" history --db "$db" --workload broad >"$TMP/trend.txt" 2>&1
check "--workload shows the trend by version, with the change" -- grep -qE "^ +3 +3.15.0rc1 .*\+112 KiB" "$TMP/trend.txt"
"$JITMEM" history --db "$db" --python-version 3.150 --json >"$TMP/none.json" 2>/dev/null
check_eq "--python-version 3.150 selects nothing (not 3.15.0rc1)" "$(jget "$TMP/none.json" "len(d['results'])")" 0
"$JITMEM" history --db "$db" --python-version 3.15 --json >"$TMP/v315.json" 2>/dev/null
check_eq "--python-version 3.15 selects 3.15.0rc1" "$(jget "$TMP/v315.json" "[r['python']['version'] for r in d['results']]")" "['3.15.0rc1']"
# the report of a copy of the fixture: its two earlier results in the history, a table and a chart
cp -r "$C1" "$TMP/fj"
"$JITMEM" report --db "$db" "$TMP/fj" >/dev/null 2>&1
check_eq "the report lists the two earlier results of the same command" \
        "$(sed -n '/History of this workload/,/<\/table>/p' "$TMP/fj/report.html" | grep -c '^<tr><td>')" 2
check "... and charts them" -- grep -q 'id="chart-history"' "$TMP/fj/report.html"
"$JITMEM" report --db "$db" "$ck1" -o "$TMP/self.html" >/dev/null 2>&1
check_eq "a result's own rows are not its history (the other copy is)" \
        "$(sed -n '/History of this workload/,/<\/table>/p' "$TMP/self.html" | grep -c '^<tr><td>')" 1
n=$(dbq "$db" 'SELECT count(*) FROM results')
"$JITMEM" history --db "$db" --add "$ck1" 2>/dev/null
check_eq "a directory added again replaces its result (rows: $n)" "$(dbq "$db" 'SELECT count(*) FROM results')" "$n"
check_eq "... its figures with it" "$(dbq "$db" 'SELECT count(*) FROM figures WHERE result_id NOT IN (SELECT id FROM results)')" 0
"$JITMEM" history --db "$db" --kind nope >/dev/null 2>&1
check_eq "a bad --kind is a usage error" $? 2

# ---- real appends: compare on fakejit, run --history ----
FJ="$FIX/fakejit"
unset JITMEM_HISTORY_DB_SET
"$JITMEM" compare --runs 3 --interval 20ms --out "$TMP/cmp1" -- "$FJ" --units 100 >/dev/null 2>"$TMP/cmp1.err"
ok $? "compare on fakejit ran"
check "compare says where it added the result" -- grep -q "^history: $JITMEM_HISTORY_DB\$" "$TMP/cmp1.err"
check_eq "compare appended one row to JITMEM_HISTORY_DB" "$(dbq "$JITMEM_HISTORY_DB" "SELECT count(*) FROM results WHERE kind = 'compare'")" 1
check_eq "... with its directory" "$(dbq "$JITMEM_HISTORY_DB" "SELECT dir FROM results")" "$(realpath "$TMP/cmp1")"
check_eq "... and its peak PSS with the JIT on, as comparison.json has it" \
        "$(dbq "$JITMEM_HISTORY_DB" "SELECT CAST(on_median AS INTEGER) FROM figures WHERE name = 'peak_pss_bytes'")" \
        "$(jget "$TMP/cmp1/comparison.json" "int(d['metrics']['peak_pss_bytes']['on'])")"
"$JITMEM" compare --runs 3 --interval 20ms --resume --no-report --out "$TMP/cmp1" -- "$FJ" --units 100 >/dev/null 2>&1
ok $? "compare --resume of the complete comparison"
check_eq "... replaces its result, not a second one" "$(dbq "$JITMEM_HISTORY_DB" "SELECT count(*) FROM results WHERE kind = 'compare'")" 1
"$JITMEM" compare --runs 3 --interval 20ms --no-history --no-report --out "$TMP/cmp2" -- "$FJ" --units 100 >/dev/null 2>&1
check_eq "--no-history adds nothing" "$(dbq "$JITMEM_HISTORY_DB" "SELECT count(*) FROM results")" 1
"$JITMEM" compare --runs 3 --interval 20ms --out "$TMP/cmp3" -- "$FJ" --units 100 >/dev/null 2>&1
check "the report of the second comparison shows the first in its history section" -- \
        grep -q "History of this workload" "$TMP/cmp3/report.html"
check_eq "... one earlier comparison (cmp1), cmp3 itself left out" \
        "$(sed -n '/History of this workload/,/<\/table>/p' "$TMP/cmp3/report.html" | grep -c '^<tr><td>')" 1
check "the first comparison's report had no history section (nothing before it)" -- \
        sh -c "! grep -q 'History of this workload' '$TMP/cmp1/report.html'"
"$JITMEM" report --db "$TMP/nonexistent.db" "$TMP/cmp3" >/dev/null 2>&1
ok $? "report with a --db that does not exist: no error"
check "... and no history section" -- sh -c "! grep -q 'History of this workload' '$TMP/cmp3/report.html'"
"$JITMEM" compare --runs 3 --interval 20ms --db "$TMP/other.db" --no-report --out "$TMP/cmp4" -- "$FJ" --units 100 >/dev/null 2>&1
check_eq "--db names another database" "$(dbq "$TMP/other.db" "SELECT count(*) FROM results")" 1
"$JITMEM" run --out "$TMP/run1" -- true >/dev/null 2>&1
check_eq "run without --history adds nothing" "$(dbq "$JITMEM_HISTORY_DB" "SELECT count(*) FROM results WHERE kind = 'run'")" 0
"$JITMEM" run --history --out "$TMP/run2" -- "$FJ" --units 50 >/dev/null 2>&1
check_eq "run --history adds the run" "$(dbq "$JITMEM_HISTORY_DB" "SELECT count(*) FROM results WHERE kind = 'run'")" 1
check_eq "... its peak PSS as its summary has it" \
        "$(dbq "$JITMEM_HISTORY_DB" "SELECT CAST(value AS INTEGER) FROM figures f JOIN results r ON r.id = f.result_id WHERE r.kind = 'run' AND name = 'peak_pss_bytes'")" \
        "$(jget "$TMP/run2/summary.json" "d['tree']['peak_pss_bytes']")"

if "$JITMEM" fit --modes off --precision 1M --interval 20ms --db "$TMP/fit.db" --no-report --out "$TMP/fit1" -- "$FIX/memneed" 32M >/dev/null 2>"$TMP/fit.err"; then
        check_eq "fit adds its result" "$(dbq "$TMP/fit.db" "SELECT kind || ' ' || jit_mode FROM results")" "fit off"
        check_eq "... its limit, as fit.json has it" "$(dbq "$TMP/fit.db" "SELECT CAST(off_median AS INTEGER) FROM figures WHERE name = 'limit_bytes'")" \
                "$(jget "$TMP/fit1/fit.json" "d['modes']['off']['limit_bytes']")"
        check_eq "... on the machine of its trials" "$(dbq "$TMP/fit.db" "SELECT hostname FROM results")" "$(jget "$TMP/fit1/trials/$(ls "$TMP/fit1/trials" | head -n 1)/meta.json" "d['machine']['hostname']")"
else
        skip "fit could not run here ($(tail -n 1 "$TMP/fit.err")): its append to the history is not checked"
fi

# ---- --pyperf: the selected comparisons in pyperf's format, a file per result and mode ----
db="$TMP/pyperf.db"
"$JITMEM" history --db "$db" --add "$C1" 2>/dev/null
"$JITMEM" history --db "$db" --add "$C2" 2>/dev/null
mkdir -p "$TMP/pp"
"$JITMEM" history --db "$db" --pyperf "$TMP/pp/h" >/dev/null 2>"$TMP/pp.err"
check_eq "history --pyperf: exits 0" $? 0
names=$(cd "$TMP/pp" && ls | tr '\n' ' ')
v1=$(jget "$C1/comparison.json" "(d['python'] or {}).get('version', 'unknown')")
check "history --pyperf: files named by each result's id and version ($names)" -- \
        test "$(cd "$TMP/pp" && ls h-1-"$v1"-off.json h-1-"$v1"-on.json | wc -l)" = 2
check "history --pyperf: the matrix's interpreters, a result each (results 2 and 3)" -- \
        test "$(cd "$TMP/pp" && ls h-2-*-off.json h-3-*-off.json | wc -l)" = 2
"$PY" "$(dirname "$0")/pyperf_check.py" "$TMP"/pp/*.json >"$TMP/pp.check" 2>&1
ok $? "history --pyperf: every file keeps pyperf's rules ($(tr '\n' ' ' <"$TMP/pp.check" | cut -c1-200))"
jcheck "history --pyperf: the first result's runs, the JIT on" "$TMP/pp/h-1-$v1-on.json" "d['metadata']['python_jit'] == '1' and len(d['benchmarks'][0]['runs']) == 3"
"$JITMEM" history --db "$db" --workload no-such-workload --pyperf "$TMP/pp/none" >/dev/null 2>"$TMP/pp0.err"
check_eq "history --pyperf with nothing selected: exits 1" $? 1
check "history --pyperf with nothing selected: says so" -- grep -q "no comparison in the history matches: nothing to export" "$TMP/pp0.err"
"$JITMEM" history --db "$db" --pyperf "$TMP/pp/x" --check >/dev/null 2>&1
check_eq "history --pyperf with --check: usage error" $? 2

# ---- text from the stored documents is escaped on the terminal ----
db="$TMP/esc.db"
esc=$(copy_of "$C2" esc)
"$PY" - "$esc/comparison.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
c = d["interpreters"][1]["comparison"]
c["python"]["version"] = "3.15\x1b]0;title\x07"
c["verdict"]["overall"] = "GO\x1b[2J"
d["interpreters"][1]["python"]["version"] = c["python"]["version"]
json.dump(d, open(p, "w"))
PY
"$JITMEM" history --db "$db" --add "$esc" 2>/dev/null
"$JITMEM" history --db "$db" --workload broad >"$TMP/esc.txt" 2>&1
check "the table and the trend print no escape byte from a document" -- sh -c "! grep -q \"\$(printf '\033')\" '$TMP/esc.txt'"
check "... they show it escaped" -- grep -q '3.15\\x1b\]0;title\\x07' "$TMP/esc.txt"
"$JITMEM" history --db "$TMP/none.db" --pyperf "$TMP/pp/none" >/dev/null 2>"$TMP/ppn.err"
check_eq "history --pyperf with no database: exits 1" $? 1
check "... and says why" -- grep -q "nothing to export (.*none.db does not exist)" "$TMP/ppn.err"

finish test_history
