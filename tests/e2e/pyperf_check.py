#!/usr/bin/env python3
"""Checks files in pyperf's JSON format 1.0 against the rules pyperf 2.10 applies when it loads
one (pyperf/_bench.py, pyperf/_metadata.py, pyperf/_formatter.py, read at psf/pyperf ab7fd04),
and against what jitmem's export promises (docs/pyperf.md): one value per run, unit "byte", a
duration per run. Usage: pyperf_check.py FILE...; prints one line per file, exit 1 when a file
breaks a rule."""
import datetime
import json
import sys

UNITS = ("second", "byte", "integer")


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_value(where, key, v, errors):
    """One metadata value: pyperf takes str, int and float; a string is stripped, then refused
    empty or with a line break; some keys have a type and a range of their own."""
    if key == "tags":
        if not isinstance(v, list) or not all(isinstance(t, str) and t not in ("", "all") for t in v):
            errors.append(f"{where}: tags must be a list of non-empty strings")
        return
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        errors.append(f"{where}: metadata {key}: a {type(v).__name__}, not a string or a number")
        return
    if isinstance(v, str):
        s = v.strip()
        if not s:
            errors.append(f"{where}: metadata {key} is empty")
        if "\n" in s or "\r" in s:
            errors.append(f"{where}: metadata {key} holds a line break")
    if key in ("duration", "uptime") and not (number(v) and v >= 0):
        errors.append(f"{where}: {key} must be a number >= 0, not {v!r}")
    if key in ("loops", "inner_loops", "calibrate_loops", "recalibrate_loops") and not (
            isinstance(v, int) and not isinstance(v, bool) and v >= 1):
        errors.append(f"{where}: {key} must be an integer >= 1")
    if key in ("mem_max_rss", "mem_peak_pagefile_usage", "command_max_rss") and not (
            isinstance(v, int) and not isinstance(v, bool) and v >= 1):
        errors.append(f"{where}: {key} must be an integer >= 1")
    if key == "unit" and v not in UNITS:
        errors.append(f"{where}: unit {v!r} is not one of {', '.join(UNITS)}")
    if key in ("date", "boot_time"):
        if not isinstance(v, str):
            errors.append(f"{where}: {key} must be a string")
        else:
            try:
                datetime.datetime.fromisoformat(v)
            except ValueError:
                errors.append(f"{where}: {key} {v!r} is not an ISO 8601 date Python reads")


def check_metadata(where, meta, errors):
    if not isinstance(meta, dict):
        errors.append(f"{where}: metadata is not an object")
        return {}
    for k, v in meta.items():
        check_value(where, k, v, errors)
    return meta


def check_file(path):
    errors = []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        return [f"{path}: not an object"]
    if doc.get("version") != "1.0":
        errors.append(f"{path}: version is {doc.get('version')!r}, not the string \"1.0\"")
    suite_meta = check_metadata(f"{path}: suite", doc.get("metadata", {}), errors)
    benchmarks = doc.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        return errors + [f"{path}: no benchmarks"]
    names = set()
    for i, b in enumerate(benchmarks):
        where = f"{path}: benchmark {i + 1}"
        bmeta = dict(suite_meta, **check_metadata(where, b.get("metadata", {}), errors))
        runs = b.get("runs")
        if not isinstance(runs, list) or not runs:
            errors.append(f"{where}: no runs")
            continue
        for j, r in enumerate(runs):
            rwhere = f"{where} run {j + 1}"
            meta = dict(bmeta, **check_metadata(rwhere, r.get("metadata", {}), errors))
            if j == 0:
                # pyperf names a benchmark by its first run's metadata
                name = meta.get("name")
                if not name:
                    errors.append(f"{where}: no name")
                elif name in names:
                    errors.append(f"{where}: the name {name!r} is taken")
                names.add(name)
                where = f"{path}: {name}"
                rwhere = f"{where} run {j + 1}"
            values = r.get("values", [])
            if not isinstance(values, list) or not all(number(v) and v > 0 for v in values):
                errors.append(f"{rwhere}: values must be numbers above 0: {values!r}")
            if r.get("warmups"):
                errors.append(f"{rwhere}: warmups in an export")
            if len(values) != 1:
                errors.append(f"{rwhere}: {len(values)} values, not one per run")
            if "duration" not in meta:
                errors.append(f"{rwhere}: no duration (pyperf would take the values as seconds)")
            if meta.get("unit") != "byte":
                errors.append(f"{rwhere}: unit {meta.get('unit')!r}, not \"byte\"")
    if not errors:
        print(f"ok {path}: {len(benchmarks)} benchmarks: {', '.join(sorted(names))}")
    return errors


def main():
    bad = 0
    for path in sys.argv[1:]:
        try:
            errors = check_file(path)
        except (OSError, ValueError) as e:
            errors = [f"{path}: {e}"]
        for e in errors:
            print("error:", e)
        bad += bool(errors)
    return 1 if bad or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
