#!/usr/bin/env python3
"""Checks a report.html jitmem wrote against the run directories it shows.

  report_check.py HTML RUNS-DIR [--min-lines N] [--max-bytes N] [--reduced]

RUNS-DIR is the directory holding the runs named by each line's data-run (a comparison's
runs/), or the run itself when the lines name none. Each chart's <svg> says how to turn
pixels back into data (data-x0, data-x1, data-px0, data-px1, the same for y); each line
names the samples.csv columns it plots (data-xcol, data-ycol) and, for a process, its PID; a
line over work done of a run driven by a load draws only the rows of the measured load, from
data-t0 to data-t1 (samples.csv's t_s).
Every plotted point must be a row of samples.csv within a pixel's rounding; a line not
reduced must hold every measured row, in order; a reduced one must keep the largest value.
Prints one line per problem and exits 1 if there is any."""
import csv
import html.parser
import os
import sys

TOL_PX = 0.5  # points are written to 0.1 px; half a pixel is rounding and nothing more


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svg = None
        self.lines = []      # (svg attrs, line attrs)
        self.svgs = []
        self.notes = []
        self.in_note = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a
            self.svgs.append(a)
        elif tag == "polyline" and self.svg is not None:
            self.lines.append((self.svg, a))
        elif tag == "p" and "note" in (a.get("class") or "") and "data-reduced" in a:
            self.notes.append(a)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None

    def handle_data(self, data):
        self.text.append(data)


def rows(run_dir, pid=None):
    with open(os.path.join(run_dir, "samples.csv"), newline="", encoding="utf-8", errors="replace") as f:
        for r in csv.DictReader(f):
            if pid is None:
                if r["scope"] != "tree" or not r["processes"] or int(r["processes"]) == 0:
                    continue
            elif r["scope"] != "process" or r["pid"] != pid:
                continue
            yield r


def main():
    args = sys.argv[1:]
    path, runs = args[0], args[1]
    min_lines = int(args[args.index("--min-lines") + 1]) if "--min-lines" in args else 1
    max_bytes = int(args[args.index("--max-bytes") + 1]) if "--max-bytes" in args else None
    want_reduced = "--reduced" in args
    raw = open(path, "rb").read()
    problems = []
    text = raw.decode("utf-8")  # strict: the page is valid UTF-8
    if "http://" in text or "https://" in text:
        problems.append("the page names http:// or https://")
    if max_bytes is not None and len(raw) > max_bytes:
        problems.append(f"the page is {len(raw)} bytes, over {max_bytes}")
    page = Page()
    page.feed(text)
    checked = 0
    reduced_seen = False
    for svg, line in page.lines:
        xcol, ycol = line.get("data-xcol"), line.get("data-ycol")
        if not xcol or not ycol:
            continue
        x0, x1 = float(svg["data-x0"]), float(svg["data-x1"])
        px0, px1 = float(svg["data-px0"]), float(svg["data-px1"])
        y0, y1 = float(svg["data-y0"]), float(svg["data-y1"])
        py0, py1 = float(svg["data-py0"]), float(svg["data-py1"])
        xs, ys = (x1 - x0) / (px1 - px0), (y1 - y0) / (py1 - py0)
        pts = []
        for p in line.get("points", "").split():
            px, py = (float(v) for v in p.split(","))
            pts.append((x0 + (px - px0) * xs, y0 + (py - py0) * ys))
        run_dir = os.path.join(runs, line["data-run"]) if line.get("data-run") else runs
        want = []
        t0 = float(line["data-t0"]) - 1e-6 if "data-t0" in line else None
        t1 = float(line["data-t1"]) + 1e-6 if "data-t1" in line else None
        for r in rows(run_dir, line.get("data-pid")):
            if t0 is not None and not (t0 <= float(r["t_s"]) <= t1):
                continue  # outside the window the line says it draws (a measured load)
            if r[xcol] and r[ycol] and float(r[xcol]) >= 0:
                want.append((float(r[xcol]), float(r[ycol])))
        name = f"{svg.get('id')}/{line.get('data-series')}"
        tx, ty = abs(xs) * TOL_PX, abs(ys) * TOL_PX
        near = lambda a, b: abs(a[0] - b[0]) <= tx and abs(a[1] - b[1]) <= ty
        if int(line.get("data-n", -1)) != len(want):
            problems.append(f"{name}: data-n {line.get('data-n')}, samples.csv has {len(want)} measured rows")
        if line.get("data-pid"):
            # a process's points may be thinned by the reader (every stride-th tick): each
            # point must be a row, in order
            k = 0
            for p in pts:
                while k < len(want) and not near(p, want[k]):
                    k += 1
                if k == len(want):
                    problems.append(f"{name}: point {p} is no row of samples.csv (in order)")
                    break
        elif len(pts) == len(want):
            for i, (p, w) in enumerate(zip(pts, want)):
                if not near(p, w):
                    problems.append(f"{name}: point {i} is {p}, samples.csv has {w}")
                    break
        else:
            reduced_seen = True
            k = 0
            for p in pts:
                while k < len(want) and not near(p, want[k]):
                    k += 1
                if k == len(want):
                    problems.append(f"{name}: reduced point {p} is no row of samples.csv (in order)")
                    break
            if want and not any(abs(p[1] - max(w[1] for w in want)) <= ty for p in pts):
                problems.append(f"{name}: the largest value {max(w[1] for w in want)} is not kept")
            if len(pts) > 1000:
                problems.append(f"{name}: {len(pts)} points drawn, over 1000")
        checked += 1
    if checked < min_lines:
        problems.append(f"{checked} lines checked against samples.csv, expected {min_lines} at least")
    if want_reduced and not (reduced_seen and page.notes and "1 point in" in text and "peaks kept" in text):
        problems.append("no line says it was reduced (1 point in N shown; peaks kept)")
    for p in problems:
        print(p)
    print(f"{checked} lines checked")
    sys.exit(1 if problems else 0)


main()
