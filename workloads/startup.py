"""startup: import a fixed list of common standard-library modules, then exit.

This is the start-up of a typical command-line tool or service before it does any work:
json, re, decimal, email, ast, sqlite3, http.client, asyncio, logging, argparse, datetime,
collections, typing, dataclasses and pathlib, with everything they import in turn. Imports
run module bodies once (class definitions, compiled regular expressions, tables), so there
is almost no hot code: a JIT should compile next to nothing here, and any memory it adds is
a fixed cost paid by every process, before the first request. It measures what a JIT-enabled
interpreter costs when the JIT has nothing to do.

    python3 workloads/startup.py [--scale S] [--workers N]

--scale is accepted for a common command line but repeats nothing: this is a single
start-up (modules are imported once per process). With --workers N, the workers are forked
before any import, so each process imports for itself.

Unit of work: one imported module; 15 units per process.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

NAME = "startup"
MODULES = ("json", "re", "decimal", "email", "ast", "sqlite3", "http.client", "asyncio",
           "logging", "argparse", "datetime", "collections", "typing", "dataclasses",
           "pathlib")


def work(scale, progress):
    for name in MODULES:
        __import__(name)
        progress.add(1)
    return len(MODULES)


if __name__ == "__main__":
    _common.main(NAME, work, __doc__)
