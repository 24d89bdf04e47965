"""Runs a Python script under tracemalloc and reports what it traced.

    python3 findings/traced.py SCRIPT [ARGS...]

Runs SCRIPT as __main__ with ARGS, tracing from the start, then prints on stderr
"traced current BYTES peak BYTES": the memory tracemalloc saw allocated at the end and at most.
"""
import runpy
import sys
import tracemalloc

tracemalloc.start()
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        raise
current, peak = tracemalloc.get_traced_memory()
print("traced current %d peak %d" % (current, peak), file=sys.stderr)
