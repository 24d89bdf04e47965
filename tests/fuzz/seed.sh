#!/usr/bin/env bash
# Assembles the seed corpus of each harness, tests/fuzz/corpus/NAME/, from the captured and
# malformed files of tests/data/ (and, for the formats tests/data/ has no file of, from a few
# typical inputs written here). The corpus is committed; run this again when tests/data/ gains a
# file a harness reads, and commit the difference. make fuzz adds what it finds to
# build-fuzz/corpus/NAME/, not here.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=tests/data
C=tests/fuzz/corpus
SEP=$'\n-8<-\n'
rm -rf "$C"
mkdir -p "$C"

put() { # put NAME SEED < content
        mkdir -p "$C/$1"
        cat >"$C/$1/$2"
}

for f in "$D"/proc/stat-*; do put procfs_stat "$(basename "$f")" <"$f"; done
for f in "$D"/proc/status-*; do put procfs_status "$(basename "$f")" <"$f"; done
# statm: the page size's byte (0: 4 KiB), then the file
for f in "$D"/proc/statm-*; do { printf '\0'; cat "$f"; } | put procfs_statm "$(basename "$f")"; done
for f in "$D"/proc/smaps_rollup-*; do put procfs_rollup "$(basename "$f")" <"$f"; done
for f in "$D"/proc/meminfo* "$D"/proc/children-* "$D"/proc/cmdline-*; do put procfs_misc "$(basename "$f")" <"$f"; done
put maps maps-python-jit <"$D/proc/maps-python-jit"
# smaps: the whole capture is 22 KB; its first mappings and its JIT ones are enough to start from
head -n 92 "$D/proc/smaps-python-jit" | put smaps smaps-head
grep -n -A 23 -E '^[0-9a-f]+-[0-9a-f]+ r-xp 00000000 00:00 0 *$' "$D/proc/smaps-python-jit" | head -n 48 |
        sed -E 's/^[0-9]+[:-]//' | put smaps smaps-jit

# cgroup: mountinfo, cgroup, then a limit, a counter, a key-value file and a CPU file of the
# tree, each tree as captured and with the process's paths moved to /a (the harness's own tree)
first() { # the first file of these names below a tree
        local tree=$1; shift
        for n in "$@"; do
                local f
                f=$(find "$tree/sys" -name "$n" -type f 2>/dev/null | sort | head -n 1 || true)
                if [ -n "$f" ]; then cat "$f"; return; fi
        done
}
for t in "$D"/cgroup/*/; do
        n=$(basename "$t")
        [ -f "$t/proc/self/mountinfo" ] || continue
        parts() { # parts CGROUP-FILE-CONTENT
                cat "$t/proc/self/mountinfo"; printf '%s' "$SEP"
                printf '%s' "$1"; printf '%s' "$SEP"
                first "$t" memory.max memory.limit_in_bytes; printf '%s' "$SEP"
                first "$t" memory.current memory.usage_in_bytes; printf '%s' "$SEP"
                first "$t" memory.stat; printf '%s' "$SEP"
                first "$t" cpu.max cpu.cfs_quota_us
        }
        parts "$(cat "$t/proc/self/cgroup" 2>/dev/null || true)" | put cgroup "$n"
        parts "$(sed -E 's#^([0-9]+:[^:]*:).*#\1/a#' "$t/proc/self/cgroup" 2>/dev/null || true)" | put cgroup "$n-a"
done

# samples.csv: the first rows of each recorded run (the header, tree and process rows)
for r in "$D"/runs/*/; do head -n 40 "$r/samples.csv" | put runfile_csv "$(basename "$r")"; done
# (not the summary of 600 processes: 64 KB, where a few KB give the fuzzer every key)
for f in "$D"/summaries/*.json; do
        [ "$(wc -c <"$f")" -le 20000 ] && put runfile_json "$(basename "$f")" <"$f"
done
for r in "$D"/runs/*/; do put runfile_json "$(basename "$r")" <"$r/summary.json"; done

# trace streams: events.100, events.101, events.0100, samples.csv, t0 (see fuzz_jittrace.c),
# the recorded PIDs renamed to the harness's files' (a fork line names its parent in hex)
c=("$D"/jittrace/churn/events.*)
{ cat "${c[0]}"; printf '%s' "$SEP"; cat "${c[1]}"; } | put jittrace churn
{ sed 's/ 11935 / 100 /' "$D/jittrace/fork/events.11935"; printf '%s' "$SEP"
  sed -e 's/ 11956 / 101 /' -e 's/ 2e9f / 64 /' "$D/jittrace/fork/events.11956"; } | put jittrace fork
{ sed 's/ 11935 / 100 /' "$D/jittrace/fork/events.11935"; printf '%s' "$SEP"; printf '%s' "$SEP"
  sed -e 's/ 11956 / 100 /' -e 's/ 2e9f / 64 /' "$D/jittrace/fork/events.11956"; } | put jittrace fork-twice
r="$D/runs/py315-broad"
{ sed 's/ 21778 / 100 /' "$r/trace/events.21778"; printf '%s%s%s' "$SEP" "$SEP" "$SEP"
  head -n 40 "$r/samples.csv" | sed 's/,21778,/,100,/'; printf '%s' "$SEP"
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["t0_monotonic_ns"], end="")' "$r/summary.json"; } |
        put jittrace py315-broad

# HTTP: requests as Prometheus and curl send them, and odd ones; responses as servers answer
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.45.0\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n' | put http_request prometheus
printf 'HEAD / HTTP/1.0\nConnection: keep-alive\n\n' | put http_request head-1.0
printf 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close, keep-alive\r\n\r\n' | put http_request post
printf 'GET /metrics HTTP/2.0\r\nHost: x\r\n folded\r\n\r\n' | put http_request folded
printf 'GET /metrics\r\n' | put http_request http-0.9
printf '\002HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n' | put http_response length
printf '\003HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' | put http_response head
printf '\200HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n' | put http_response chunked
printf '\011HTTP/1.0 500 Internal Server Error\r\nConnection: close\r\n\r\nbody until close' | put http_response close
printf '\001HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n' | put http_response 1xx

put loadmix webapp-mix <workloads/webapp-mix.txt
printf '1 GET /\n2 POST /form a=1&b=2\n  Content-Type: application/x-www-form-urlencoded\n  X-Empty:\n# comment\n\n' | put loadmix small

for s in 384M 1.5G 4096 64k 2GiB 100MB 0 250ms 30s 5m 1h 20us 1.5s 1min 18446744073709551615 \
        '-1' ff 127.0.0.1:9464 '[::1]:9464' ':0' 'always [madvise] never'; do
        printf '%s' "$s" | put units "$(printf '%s' "$s" | tr -c 'A-Za-z0-9.' '_')"
done

# prom: the cap's byte (0: the default), then operations (fuzz_prom.c): a family "jitmem_rss_bytes"
# (gauge, with help), a sample with comm="python3" and pid="42"; a counter family and a sample
# whose comm has an escape, a quote, a newline and a byte that is not UTF-8; NaN, +Inf, 1.5
printf '\0\0\020jitmem_rss_bytes\004\011RSS\\bytes\001\042\007python3\00242\0\0\0\0\0\0\370\077' | put prom gauge
printf '\0\0\023jitmem_execs_total\001\001\041\010a\033"b\n\377c\0\0\0\0\0\0\370\177\001\000\0\0\0\0\0\0\360\177' | put prom counter
printf '\220\0\001a\004\000\001\000\0\0\0\0\0\0\370\077\0\001a\000' | put prom small-cap

echo "seeds: $(find "$C" -type f | wc -l) files, $(du -sk "$C" | cut -f1) KiB, in $C"
