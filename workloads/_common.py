"""Shared code for the bundled workloads: the command line, forked workers, progress reports.

A workload script defines work(scale, progress), which does a fixed amount of work (set by
scale, never by a time budget) and calls progress.add() once per unit of work, then calls
main(NAME, work, __doc__). main() parses

    [--scale S] [--workers N]

forks N-1 workers that run the same work, runs it in the parent too, waits for the workers
and prints one line to stdout: "NAME: <units> units in <seconds> s", where units is the total
over all the processes. Nothing else is printed on success. A worker that fails makes the
parent exit 1; a usage error exits 2 with a message on stderr.

Progress (see README.md): if JITMEM_PROGRESS_FD names a file descriptor, each process writes
"<units>\\n" to it with one os.write per report. If the variable is not a number, the fd is
not open, or a write fails (EPIPE, EBADF, ...), the process keeps working and stops reporting.

This module imports only os, sys and time, which every interpreter has loaded before it runs
a script, so that startup.py measures the cost of its own imports.
"""
import os
import sys
import time

PROGRESS_ENV = "JITMEM_PROGRESS_FD"
MAX_WORKERS = 1024
MAX_SCALE = 1000000.0


class UsageError(Exception):
    pass


class Progress:
    """Counts this process's units of work and reports them to the progress fd, if any."""

    def __init__(self, fd):
        self.fd = fd  # None: not reporting
        self.units = 0

    def add(self, units=1):
        self.units += units
        if self.fd is None:
            return
        line = b"%d\n" % units
        try:
            written = os.write(self.fd, line)
        except OSError:
            written = -1
        if written != len(line):
            self.fd = None


def progress_fd_from_env(environ=None):
    """The fd named by JITMEM_PROGRESS_FD, or None if it is unset or not a plain number."""
    value = (os.environ if environ is None else environ).get(PROGRESS_ENV, "")
    value = value.strip()
    if not value or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def scaled(base, scale):
    """base units of work multiplied by scale, rounded, at least 1."""
    return max(1, int(round(base * scale)))


def _usage(prog):
    return "usage: %s [-h] [--scale S] [--workers N]" % prog


def _parse_scale(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    # value == value rejects NaN.
    if value is None or not (value == value) or value <= 0.0 or value > MAX_SCALE:
        raise UsageError("argument --scale: invalid value %r (expected a number > 0 and <= %g)"
                         % (text, MAX_SCALE))
    return value


def _parse_workers(text):
    value = None
    if text.isdigit() and len(text) <= 9:
        value = int(text)
    if value is None or value < 1 or value > MAX_WORKERS:
        raise UsageError("argument --workers: invalid value %r (expected an integer from 1 to %d)"
                         % (text, MAX_WORKERS))
    return value


def parse_args(argv):
    """(scale, workers, wants_help) from the arguments after the program name; UsageError if bad."""
    scale = 1.0
    workers = 1
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in ("-h", "--help"):
            return scale, workers, True
        name, sep, value = arg.partition("=")
        if name not in ("--scale", "--workers"):
            raise UsageError("unrecognized argument: %s" % arg)
        if not sep:
            if i >= len(argv):
                raise UsageError("argument %s: expected one value" % name)
            value = argv[i]
            i += 1
        if name == "--scale":
            scale = _parse_scale(value)
        else:
            workers = _parse_workers(value)
    return scale, workers, False


def _help(prog, doc):
    text = (doc or "").strip()
    return ("%s\n\n%s\n\noptions:\n"
            "  -h, --help     show this help and exit\n"
            "  --scale S      multiply the amount of work by S (default 1.0)\n"
            "  --workers N    run N processes, the parent and N-1 forked workers (default 1)\n"
            "\nenvironment:\n"
            "  %s  a file descriptor that receives one line \"<units>\\n\" per unit of work\n"
            % (_usage(prog), text, PROGRESS_ENV))


def _worker(work, scale, fd, report_fd):
    """Runs in a forked child; never returns."""
    status = 1
    try:
        progress = Progress(fd)
        work(scale, progress)
        os.write(report_fd, b"%d" % progress.units)
        status = 0
    except KeyboardInterrupt:
        status = 130
    except BaseException:
        try:
            import traceback
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        try:
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(status)


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 64)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _describe_status(status):
    if os.WIFSIGNALED(status):
        return "was killed by signal %d" % os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return "exited with status %d" % os.WEXITSTATUS(status)
    return "ended with wait status %d" % status


def run(name, work, scale, workers):
    """Runs work in this process and workers-1 forked ones; returns the exit status."""
    fd = progress_fd_from_env()
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.perf_counter()
    children = []  # (pid, read end of the pipe the worker reports its unit count on)
    for _ in range(workers - 1):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            for _pid, other in children:
                os.close(other)
            _worker(work, scale, fd, w)
        os.close(w)
        children.append((pid, r))

    progress = Progress(fd)
    failed = False
    try:
        work(scale, progress)
    except KeyboardInterrupt:
        raise
    except Exception:
        import traceback
        traceback.print_exc()
        failed = True

    total = progress.units
    for pid, r in children:
        report = _read_all(r)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and report.isdigit():
            total += int(report)
        else:
            sys.stderr.write("%s: worker %d %s\n" % (name, pid, _describe_status(status)))
            failed = True
    elapsed = time.perf_counter() - start
    if failed:
        return 1
    sys.stdout.write("%s: %d units in %.3f s\n" % (name, total, elapsed))
    return 0


def main(name, work, doc, argv=None):
    """The entry point of a workload script: parses argv (default sys.argv) and exits."""
    if argv is None:
        argv = sys.argv
    prog = os.path.basename(argv[0]) if argv else name + ".py"
    try:
        scale, workers, wants_help = parse_args(argv[1:])
    except UsageError as e:
        sys.stderr.write("%s\n%s: error: %s\n" % (_usage(prog), prog, e))
        sys.exit(2)
    if wants_help:
        sys.stdout.write(_help(prog, doc))
        sys.exit(0)
    sys.exit(run(name, work, scale, workers))
