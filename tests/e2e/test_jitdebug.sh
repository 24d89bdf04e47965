#!/usr/bin/env bash
# End-to-end tests of the GDB JIT interface's images (CPython 3.15+ registers a debug image per
# executor): jitmem reads them from outside and reports them beside the JIT code pages. The
# gdbjit fixture registers known images (a PIE, a fixed-address program, a program whose
# descriptor is in a libpython*.so; changing under the reader; broken); the JIT-enabled
# interpreters are held against their own reading of the list, from inside.
. "$(dirname "$0")/lib.sh"

# csv_debug DIR SCOPE: "images bytes" of every row of SCOPE ('-' for an empty cell), one a line.
csv_debug() {
        "$PY" -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1] + "/samples.csv")):
    if r["scope"] == sys.argv[2]:
        print(r["jit_debug_images"] or "-", r["jit_debug_bytes"] or "-")' "$1" "$2"
}

# 1. Exact: 50 images of 3000 + 16i bytes, 7 unregistered from the middle, three ways.
for v in gdbjit gdbjit-nopie gdbjit-dl; do
        out="$TMP/$v"
        args=(--images 50 --size 3000 --unregister 7 --hold-ms 300)
        [ "$v" = gdbjit-dl ] && args+=(--lib "$PWD/$FIX/libpython3.99-gdbjit.so")
        "$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/$v" "${args[@]}" >"$out.stdout"
        check_eq "$v: run exits 0" $? 0
        read -r _ _ n _ b <"$out.stdout"
        # registered: 3000 + 16i for i in 0..49, less i = 12, 14, .., 24
        check_eq "$v: the fixture registered what it was told" "$n $b" "43 $(( 50 * 3000 + 16 * 49 * 50 / 2 - (7 * 3000 + 16 * (12 + 14 + 16 + 18 + 20 + 22 + 24)) ))"
        # (a tick between the registrations and the unregistrations, microseconds apart, would
        # see more: peaks are at least the final figures)
        jcheck "$v: images and bytes in the summary" "$out/summary.json" \
                "d['tree']['final_jit_debug_images'] in ($n, None) and d['tree']['peak_jit_debug_images'] >= $n and d['processes'][0]['peak_jit_debug_bytes'] >= $b"
        jcheck "$v: JIT cost attributed = code pages + images" "$out/summary.json" "d['tree']['peak_jit_attributed_bytes'] == d['tree']['peak_jit_debug_bytes'] + d['tree']['peak_jit_code_bytes']"
        check_eq "$v: the last figure read, exactly" "$(csv_debug "$out" process | grep -v '^- -$' | tail -1)" "$n $b"
done
"$PY" -c 'import csv, sys
ticks = {}
for r in csv.DictReader(open(sys.argv[1] + "/samples.csv")):
    t = ticks.setdefault(r["t_s"], {"procs": [], "tree": None})
    if r["scope"] == "tree":
        t["tree"] = (r["jit_debug_images"], r["jit_debug_bytes"])
    else:
        t["procs"].append((r["jit_debug_images"], r["jit_debug_bytes"]))
bad = []
for ts, t in ticks.items():
    known = [(int(i), int(b)) for i, b in t["procs"] if i != ""]
    want = (str(sum(i for i, _ in known)), str(sum(b for _, b in known))) if known else ("", "")
    if t["tree"] != want:
        bad.append((ts, t))
sys.exit("%d ticks, wrong tree rows: %r" % (len(ticks), bad[:3]) if bad or len(ticks) < 3 else 0)' "$TMP/gdbjit"
ok $? "the tree row sums the processes whose list was read, at every tick"

out="$TMP/told"
"$JITMEM" run --interval 20ms --out "$out" -- "$FIX/gdbjit" --images 4 --size 1024 --hold-ms 200 >/dev/null 2>"$out.err"
grep -q "JIT debug images (registered with GDB's JIT interface, on the heap): at most 4, 4.09 KiB;" "$out.err" &&
        grep -q "JIT code + debug images at most 4.09 KiB at one tick; 4 images, 4.09 KiB at the end" "$out.err"
ok $? "the run's summary says what was registered (4 x 1024 + 16 x 6 bytes)"
"$JITMEM" run --interval 20ms --out "$TMP/told-none" -- "$FIX/jitlike" --regions 1 --hold-ms 100 >/dev/null 2>"$TMP/told-none.err"
! grep -q "JIT debug images" "$TMP/told-none.err"
ok $? "and says nothing of them for a program without the interface"

# 2. An exec: sh becomes gdbjit, whose descriptor is looked for afresh.
out="$TMP/exec"
"$JITMEM" run -q --interval 20ms --out "$out" -- sh -c "exec \"$FIX/gdbjit\" --images 5 --size 100 --hold-ms 400" >/dev/null
jcheck "exec: the new program's images" "$out/summary.json" "d['tree']['peak_jit_debug_images'] == 5 and d['tree']['peak_jit_debug_bytes'] == 5 * 100 + 16 * 10"

# 3. Workers: each has the parent's list (copied by fork) and its own images.
out="$TMP/workers"
"$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/gdbjit" --images 10 --size 1000 --workers 2 --hold-ms 600 >/dev/null
jcheck "workers: the parent's 10, each worker's 20" "$out/summary.json" "sorted(p['peak_jit_debug_images'] for p in d['processes']) == [10, 20, 20]"

# 4. A list that changes while it is read: every figure read lies between what was registered
#    before and after and that plus the 8 images of 1 MiB that may come and go; the end, exact.
out="$TMP/churn"
"$JITMEM" run -q --interval 5ms --out "$out" -- "$FIX/gdbjit" --images 20 --size 500 --churn-ms 1500 --hold-ms 300 >"$out.stdout"
read -r _ _ n _ b <<<"$(head -1 "$out.stdout")"
read -r _ _ _ n2 _ b2 <<<"$(tail -1 "$out.stdout")"
check_eq "churn: the fixture ends where it began" "$n2 $b2" "$n $b"
csv_debug "$out" process >"$out.rows"
"$PY" -c 'import sys
n, b = int(sys.argv[2]), int(sys.argv[3])
rows = [l.split() for l in open(sys.argv[1])]
known = [(int(i), int(x)) for i, x in rows if i != "-"]
while known and known[0][0] < n:
    known.pop(0) # before the fixture had registered its images
bad = [(i, x) for i, x in known if not (n <= i <= n + 8 and x - b == (i - n) << 20)]
sys.exit("%d rows, %d known, outside the bounds: %r" % (len(rows), len(known), bad[:5]) if bad or len(known) < len(rows) // 2 else 0)' "$out.rows" "$n" "$b"
ok $? "churn: every figure read is a state the list was in, and most reads succeed"
check_eq "churn: the last figure read, exactly" "$(grep -v '^- -$' "$out.rows" | tail -1)" "$n $b"

# 5. Broken or foreign lists are never followed far, and the run goes on.
for how in cycle size; do
        out="$TMP/broken-$how"
        timeout 20 "$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/gdbjit" --images 30 --size 100 --broken "$how" --hold-ms 300 >/dev/null
        check_eq "broken ($how): the run ends normally" $? 0
        # before the list was broken it was an empty list, read as such
        check_eq "broken ($how): no figure read from the broken list" "$(csv_debug "$out" process | grep -v '^0 0$' | sort -u)" "- -"
        jcheck "broken ($how): null in the summary" "$out/summary.json" "d['tree']['final_jit_debug_images'] is None"
done
out="$TMP/version"
"$JITMEM" run -q --interval 20ms --out "$out" -- "$FIX/gdbjit" --images 3 --version 2 --hold-ms 200 >/dev/null
check_eq "a descriptor of another version is not read" "$(csv_debug "$out" process | grep -v '^0 0$' | sort -u)" "- -"
"$JITMEM" run -q --interval 20ms --out "$TMP/none" -- "$FIX/jitlike" --regions 2 --hold-ms 200 >/dev/null
jcheck "a program without the interface: null, and JIT cost = code pages" "$TMP/none/summary.json" \
        "d['tree']['peak_jit_debug_bytes'] is None and d['tree']['peak_jit_attributed_bytes'] == d['tree']['peak_jit_code_bytes'] > 0"

# 6. watch: a running process's registered executors, with no restart and no preload.
"$FIX/gdbjit" --images 12 --size 2000 --hold-ms 4000 >"$TMP/w.stdout" &
gpid=$!
for _ in $(seq 50); do [ -s "$TMP/w.stdout" ] && break; sleep 0.05; done
"$JITMEM" watch --count 2 --interval 100ms --textfile "$TMP/w.prom" "$gpid" >"$TMP/w.lines"
grep -q "executors 12 (debug images 24.5 KiB)" "$TMP/w.lines"
ok $? "watch: the line says the executors registered and their images"
grep -q "^jitmem_process_jit_debug_images{pid=\"$gpid\",.*} 12$" "$TMP/w.prom" &&
        grep -q "^jitmem_process_jit_debug_image_bytes{pid=\"$gpid\",.*} 25056$" "$TMP/w.prom" &&
        grep -q "^jitmem_total_jit_debug_image_bytes 25056$" "$TMP/w.prom"
ok $? "watch: Prometheus has the images per process and in total"
"$JITMEM" watch --json --count 1 --interval 100ms "$gpid" | head -1 >"$TMP/w.json"
jcheck "watch --json: per process and in total" "$TMP/w.json" \
        "d['totals']['jit_debug_images'] == 12 and d['totals']['jit_debug_bytes'] == 25056 and d['processes'][0]['jit_debug_images'] == 12"
kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null
"$FIX/jitlike" --regions 1 --hold-ms 2000 >/dev/null &
gpid=$!
sleep 0.2
"$JITMEM" watch --json --count 1 --interval 100ms "$gpid" | head -1 >"$TMP/w2.json"
jcheck "watch --json: null for a process without the interface" "$TMP/w2.json" \
        "d['totals']['jit_debug_images'] is None and d['processes'][0]['jit_debug_bytes'] is None"
kill "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null

# 7. The JIT-enabled interpreters: what jitmem read from outside at the end equals what the
#    interpreter reads of its own list from inside (3.15+), or there is none (3.14).
for i in "${!JIT_PYTHONS[@]}"; do
        jit_begin "$i" || continue
        out="$TMP/broad"
        "$JITMEM" run -q --jit on --interval 50ms --out "$out" -- "$JIT_PY" tests/fixtures/gdbjit_inproc.py workloads/broad.py --scale 0.3 >/dev/null 2>"$out.err"
        check_eq "broad: run exits 0" $? 0
        inproc=$(grep '^in-process' "$out.err")
        case "$inproc" in
        "in-process images "*)
                read -r _ _ n _ b <<<"$inproc"
                [ "$n" -gt 0 ]
                ok $? "broad: the interpreter registered debug images ($inproc)"
                # while it sleeps after reading its list (about 10 ticks); finalization then frees
                [ "$(csv_debug "$out" process | grep -cx "$n $b")" -ge 3 ]
                ok $? "broad: jitmem reads what the interpreter reads of its own list ($n $b)"
                # the largest code pages + images at one tick (the code's own peak may fall at a
                # tick whose list was read mid-change, and the images' at another)
                attributed=$("$PY" -c 'import csv, sys
print(max(int(r["jit_code_bytes"]) + int(r["jit_debug_bytes"] or 0) for r in csv.DictReader(open(sys.argv[1]))
          if r["scope"] == "tree" and r["processes"] not in ("", "0")))' "$out/samples.csv")
                jcheck "broad: JIT cost attributed = code pages + images at one tick, more than the code alone" "$out/summary.json" \
                        "d['tree']['peak_jit_attributed_bytes'] == $attributed > d['tree']['peak_jit_code_bytes']"
                # watch a running interpreter started without jitmem: its executors, exactly
                GDBJIT_HOLD_S=6 PYTHON_JIT=1 "$JIT_PY" tests/fixtures/gdbjit_inproc.py workloads/broad.py --scale 0.3 >/dev/null 2>"$TMP/wb.err" &
                wpid=$!
                for _ in $(seq 300); do grep -q '^in-process' "$TMP/wb.err" && break; sleep 0.1; done
                "$JITMEM" watch --json --count 1 --interval 100ms "$wpid" | head -1 >"$TMP/wb.json"
                read -r _ _ n _ b <<<"$(grep '^in-process' "$TMP/wb.err")"
                jcheck "watch: a running interpreter's executors and images, as it reads them itself ($n, $b)" "$TMP/wb.json" \
                        "d['totals']['jit_debug_images'] == ${n:-0} > 0 and d['totals']['jit_debug_bytes'] == ${b:-0}"
                kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
                ;;
        "in-process none")
                jcheck "broad: no descriptor, no figure" "$out/summary.json" "d['tree']['peak_jit_debug_bytes'] is None"
                ;;
        *)
                ok 1 "broad: the interpreter's own reading ($inproc; stderr: $(tail -3 "$out.err"))"
                ;;
        esac
done
jit_end
jit_none && skip "JITMEM_TEST_PYTHON is not set: the GDB JIT interface of a real interpreter was not read"

finish test_jitdebug
