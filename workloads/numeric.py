"""numeric: stable-type arithmetic loops over ints and floats, the JIT's best case.

Each unit of work is one round of four small kernels: an integer linear congruential
generator folded into a checksum, a row-by-row Mandelbrot set, a floating-point dot product
over lists, and a Simpson's-rule integral. Every loop sees the same types at every
iteration, so the specializing interpreter settles on int and float instructions at once,
and a JIT compiles a few long traces and keeps them: the smallest amount of JIT code for the
most time spent in it. It is the baseline against which the other workloads' JIT memory is
read. Standard library only; the amount of work is fixed by --scale.

    python3 workloads/numeric.py [--scale S] [--workers N]

Unit of work: one round of the four kernels; 400 units per process at --scale 1.

The old form `--seconds S` (used by workloads/demo) is still accepted: it means
`--scale S/3 --workers 3`, a fixed amount of work of about S seconds on CPython 3.11.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

NAME = "numeric"
UNITS = 400


def lcg_checksum(n, seed):
    x = seed
    acc = 0
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        acc = (acc + (x >> 7) % 97 + i * 3) & 0xFFFFFFF
    return acc


def mandelbrot(width, height, max_iter):
    inside = 0
    for row in range(height):
        ci = row * 2.0 / height - 1.0
        for col in range(width):
            cr = col * 3.0 / width - 2.0
            zr = 0.0
            zi = 0.0
            k = 0
            while k < max_iter and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            if k == max_iter:
                inside += 1
    return inside


def dot(xs, ys):
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * ys[i]
    return total


def simpson(n, a, b):
    # Integral of a rational polynomial, arithmetic only (no math calls).
    h = (b - a) / n
    total = 0.0
    for i in range(n + 1):
        x = a + i * h
        y = (x * x * x - 2.0 * x + 1.0) / (1.0 + x * x)
        if i == 0 or i == n:
            total += y
        elif i % 2:
            total += 4.0 * y
        else:
            total += 2.0 * y
    return total * h / 3.0


def work(scale, progress):
    xs = [((i * 37) % 101) / 7.0 for i in range(11000)]
    ys = [((i * 53) % 89) / 3.0 for i in range(11000)]
    check = 0.0
    for unit in range(_common.scaled(UNITS, scale)):
        check += lcg_checksum(17000, unit + 1)
        check += mandelbrot(48, 22, 55)
        check += dot(xs, ys)
        check += simpson(11000, 0.0, 2.0 + (unit % 7))
        progress.add(1)
    return check


def legacy_argv(argv):
    """Rewrites the old `--seconds S` into `--scale S/3 --workers 3` (see the docstring)."""
    out = list(argv[:1])
    seconds = None
    workers_given = False
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--seconds" and i + 1 < len(argv):
            seconds = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--seconds="):
            seconds = arg.split("=", 1)[1]
            i += 1
            continue
        if arg == "--workers" or arg.startswith("--workers="):
            workers_given = True
        out.append(arg)
        i += 1
    if seconds is None:
        return list(argv)
    try:
        scale = "%r" % (float(seconds) / 3.0)
    except ValueError:
        scale = seconds  # let the common parser report the bad value
    out += ["--scale", scale]
    if not workers_given:
        out += ["--workers", "3"]
    return out


if __name__ == "__main__":
    _common.main(NAME, work, __doc__, legacy_argv(sys.argv))
