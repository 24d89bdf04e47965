#!/usr/bin/env bash
# End-to-end tests of the /metrics server of `jitmem watch --listen` under hostile clients: a
# slowloris from one address (as many connections as the server keeps, each trickling a request
# head that never ends, opened again as soon as the server drops it) while scrapes go on, and
# beside it a head from another address closed at its deadline; HTTP/0.9, a request line that
# cannot be one, and unterminated heads ended by a half-close answered 400 at once; the
# exporter's open fds back to what they were once the clients are gone.
. "$(dirname "$0")/lib.sh"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# The server's limits, as its header states them.
limit() { sed -n "s/^#define $1 \([0-9]*\).*/\1/p" src/live/prom_server.h; }
MAX_CONNS=$(limit PROM_SERVER_MAX_CONNS)
PER_PEER=$(limit PROM_SERVER_MAX_PER_PEER)

HEAD_S=$(( $(sed -n 's/^#define PROM_SERVER_HEAD_TIMEOUT_NS \([0-9]*\)ULL.*/\1/p' src/live/prom_server.h) / 1000000000 ))

# The limits where the user meets them: --help, the manual page, docs/watch.md.
"$JITMEM" watch --help | tr -s ' \n' ' ' | grep -q "At most $MAX_CONNS connections, $PER_PEER from one address, a request head whole within $HEAD_S s"
ok $? "watch --help states the limits ($MAX_CONNS, $PER_PEER, $HEAD_S s)"
tr -s ' \n' ' ' < docs/jitmem.1 | grep -q "At most $MAX_CONNS connections, $PER_PEER from one address.* whole $HEAD_S s after its first byte"
ok $? "the manual page states the limits"
tr -s ' \n' ' ' < docs/watch.md | grep -q "at most $MAX_CONNS connections, $PER_PEER of them from one address. A request head must be whole $HEAD_S s"
ok $? "docs/watch.md states the limits"

sleep 600 &
SL=$!; pids+=($SL)
MP=$(free_port)
"$JITMEM" watch --interval 200ms --listen "127.0.0.1:$MP" $SL > /dev/null 2> "$TMP/watch.err" &
WL=$!; pids+=($WL)

while IFS=$'\t' read -r status message; do
        ok "$status" "$message"
done < <("$PY" - "$MP" "$WL" "$MAX_CONNS" "$PER_PEER" <<'PYEOF' || printf '1\tthe checks did not run to the end\n'
import os, signal, socket, sys, threading, time

port, pid, nslow, per_peer = (int(a) for a in sys.argv[1:5])
ADDR = ("127.0.0.1", port)

def check(ok, message):
    """One check's result, as a line the shell counts: 0 or 1, a tab, the message and figures."""
    print("%d\t%s" % (0 if ok else 1, message), flush=True)

def fds():
    return len(os.listdir("/proc/%d/fd" % pid))

def answer(s, timeout):
    """What the server sends until it closes, or until timeout."""
    t0 = time.monotonic()
    data = b""
    s.settimeout(0.2)
    while time.monotonic() - t0 < timeout:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not b:
            break
        data += b
    return data

def scrape(timeout=5.0):
    """A scrape as Prometheus makes it: a whole request on a new connection. Returns its time, or None."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection(ADDR, timeout=timeout)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = answer(s, timeout)
        s.close()
    except OSError:
        return None
    ok = data.startswith(b"HTTP/1.1 200 ") and b"\njitmem_ticks_total " in data
    return time.monotonic() - t0 if ok else None

def bad(data, half_close, src="127.0.0.1"):
    """Sends data (then a half-close): the status line that comes back, and after how long."""
    t0 = time.monotonic()
    got = b""
    try:
        s = socket.create_connection(ADDR, timeout=5, source_address=(src, 0))
        t0 = time.monotonic()
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        got = answer(s, 10.0)
        s.close()
    except OSError:
        pass
    return got[:12].decode("latin-1"), len(got), time.monotonic() - t0

def settle():
    """The exporter's open fds, once back to what they were (or after 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and fds() != base:
        time.sleep(0.05)
    return fds()

# the exporter is up once it serves its first exposition
deadline = time.monotonic() + 20
while time.monotonic() < deadline and scrape(1.0) is None:
    time.sleep(0.1)
time.sleep(0.3)
base = fds()

# The slowloris, in a process of its own as an attacker is: nslow connections from 127.0.0.1,
# each sending a byte of a head that never ends every 200 ms, each opened again as soon as the
# server closes or answers it. It stops at SIGTERM (or when this process is gone, or after 30 s)
# and writes how many it opened to a pipe.
HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100000

def slowloris(stopped):
    socks = [None] * nslow
    sent = [0] * nslow
    opened = 0
    while not stopped():
        for i in range(nslow):
            s = socks[i]
            if s is not None:
                try:
                    s.recv(4096)  # closed or answered: either way, done with
                    s.close()
                    s = socks[i] = None
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    s = socks[i] = None
            if s is None:
                try:
                    s = socket.create_connection(ADDR, timeout=1)
                except OSError:
                    continue
                s.setblocking(False)
                socks[i], sent[i] = s, 0
                opened += 1
            try:
                s.send(HEAD[sent[i]:sent[i] + 1])
                sent[i] += 1
            except OSError:
                pass
        time.sleep(0.2)
    return opened

rfd, wfd = os.pipe()
parent, end = os.getpid(), time.monotonic() + 30
attacker = os.fork()
if attacker == 0:
    os.close(rfd)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    n = slowloris(lambda: stop or os.getppid() != parent or time.monotonic() > end)
    os.write(wfd, b"%d" % n)
    os._exit(0)
os.close(wfd)

# Beside it, from another address, a head that never ends: closed unanswered at its deadline.
slow_head = []
def never_ending():
    slow_head.append(bad(b"GET /metr", False, "127.0.0.2"))

slow = threading.Thread(target=never_ending, daemon=True)
slow.start()
time.sleep(0.5)
held, times = [], []
for _ in range(10):
    held.append(fds() - base)
    times.append(scrape())
    time.sleep(0.2)
os.kill(attacker, signal.SIGTERM)
opened = int(os.read(rfd, 32) or b"0")
os.waitpid(attacker, 0)
slow.join(15)
check(per_peer <= max(held) <= nslow and opened >= nslow,
      "the slowloris held the server's connections (%d from one address at most, never over %d): %d to %d held, %d opened"
      % (per_peer, nslow, min(held), max(held), opened))
ok = [t for t in times if t is not None]
check(len(ok) == 10 and max(ok) < 3, "scrapes during the slowloris: %d of 10 answered, each within 3 s (slowest %.3f s)"
      % (len(ok), max(ok) if ok else -1))
status, n, took = slow_head[0] if slow_head else ("", -1, 0)
check(n == 0 and 1.9 <= took < 4, "a head that never ends: closed unanswered at its 2 s deadline (%d bytes after %.3f s)"
      % (n, took))
after_slowloris = settle()

# HTTP/0.9, a request line that cannot be one (a TLS hello), and unterminated heads of 1 to
# 100 bytes ended by a half-close: each answered 400 at once.
cases = [("HTTP/0.9 (a request line without a version)", b"GET /metrics\r\n", False),
         ("a request line that cannot be one (a TLS hello)", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", False)]
cases += [("%d bytes of a head, then a half-close" % n, (b"GET /metrics HTTP/1.1\r\nHost: x" + b"y" * 100)[:n], True)
          for n in (1, 2, 13, 30, 99, 100)]
for what, data, half_close in cases:
    status, n, took = bad(data, half_close)
    check(status == "HTTP/1.1 400" and took < 2, "%s: 400 within 2 s (%r after %.3f s)" % (what, status, took))
at_end = settle()
check(after_slowloris == base and at_end == base,
      "the exporter's open fds back to what they were, after the slowloris and at the end (%d, %d, %d)"
      % (base, after_slowloris, at_end))
PYEOF
)
kill -0 $WL 2>/dev/null; ok $? "the exporter still runs"
finish test_exporter
