#!/usr/bin/env python3
"""make findings: measures each claim of the operators' article with jitmem, on each JIT-enabled
interpreter, and writes docs/findings.md from findings/findings.md.in.

    python3 findings/measure.py [--out DIR] [--python PY ...] [--quick]

Interpreters: --python (repeatable), else $JITMEM_FINDINGS_PYTHON (':'-separated), else every
../shared/python/*/bin/python3.N executable beside the project. Every figure in the document is
read from the JSON that the commands below it wrote (DIR, default findings/out, keeps them);
every command is printed in the document as it was run. --quick runs 2 runs per mode at a
smaller scale, to try the script: its document says so at the top.

Standard library only; jitmem is $BUILD/jitmem (default build/jitmem).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import shlex
import string
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1024 * 1024


def run(cmd, env=None, log=None):
    """Runs cmd (a list, no shell) from the project root; returns (status, stdout, stderr)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(cmd, cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if log is not None:
        log.append({"cmd": cmd, "env": env or {}, "status": p.returncode})
    return p.returncode, p.stdout, p.stderr


PY_NAMES = {}  # interpreter path -> the name the page uses for it (python3.14, python3.15)


def quote(w):
    """shlex.quote, but "..." around words whose only awkward character is a single quote."""
    if "'" in w and not re.search(r'["$`\\!]', w):
        return '"%s"' % w
    return shlex.quote(w)


def shown(cmd, env=None, root_rel=True):
    """A command as a user types it (paths of the project relative to its root, interpreters
    by name)."""
    words = []
    for w in cmd:
        if w in PY_NAMES:
            w = PY_NAMES[w]
        elif root_rel and isinstance(w, str) and w.startswith(ROOT + "/"):
            w = os.path.relpath(w, ROOT)
        words.append(quote(w))
    pre = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in (env or {}).items())
    return (pre + " " if pre else "") + " ".join(words)


def mib(v, digits=2):
    return "n/a" if v is None else ("%." + str(digits) + "f MiB") % (v / MiB)


def secs(v):
    return "n/a" if v is None else "%.3f s" % v


def pct(v):
    return "n/a" if v is None else "%+.1f%%" % (100 * v)


class Interp:
    def __init__(self, path, jitmem, out, quick):
        self.path = path
        self.jitmem = jitmem
        self.quick = quick
        st, so, se = run([jitmem, "env", "--json", "--python", path])
        if st != 0:
            sys.exit("findings: %s: %s" % (path, (se.strip().splitlines() or ["jitmem env failed"])[-1]))
        self.env = json.loads(so)
        self.version = self.env["python"]["version"]
        self.tag = "v" + re.sub(r"[^0-9a-z]", "_", self.version.split("rc")[0].rsplit(".", 1)[0])
        self.out = os.path.join(out, self.version)
        os.makedirs(self.out, exist_ok=True)
        self.commands = {}

    def compare(self, key, args, runs=5):
        """jitmem compare into OUT/key; returns comparison.json."""
        if self.quick:
            runs = 2
        d = os.path.join(self.out, key)
        cmd = [self.jitmem, "compare", "--python", self.path, "--runs", str(runs), "--force", "--out", d] + args
        shown_cmd = [self.jitmem, "compare", "--python", self.path] + (["--runs", str(runs)] if runs != 5 else []) + args
        self.commands[key] = shown(["jitmem"] + shown_cmd[1:])
        st, so, se = run(cmd)
        path = os.path.join(d, "comparison.json")
        if st != 0 or not os.path.exists(path):
            sys.exit("findings: %s failed (%d): %s" % (shown(cmd), st, se.strip()[-500:]))
        with open(path) as f:
            return json.load(f)


    def fit(self, key, args):
        """jitmem fit into OUT/key; returns fit.json (found or not: the page says which)."""
        d = os.path.join(self.out, key)
        cmd = [self.jitmem, "fit", "--python", self.path, "--force", "--out", d] + args
        self.commands[key] = shown(["jitmem", "fit", "--python", self.path] + args)
        st, so, se = run(cmd)
        path = os.path.join(d, "fit.json")
        if st not in (0, 1) or not os.path.exists(path):
            sys.exit("findings: %s failed (%d): %s" % (shown(cmd), st, se.strip()[-500:]))
        with open(path) as f:
            return json.load(f)


def fit_limit(m, workers):
    """'61.25 MiB (15.31 MiB a worker)', or the bracket reached and why the search stopped."""
    if m is None:
        return "n/a"
    if m["found"]:
        return "%s (%s a worker: the limit / %d)" % (mib(m["limit_bytes"]), mib(m["limit_bytes"] / workers), workers)
    return "not found (%s): passed at %s, failed at %s" % (m["why"], mib(m["limit_bytes"]), mib(m["highest_failed_bytes"]))


def metric(c, name):
    m = c["metrics"].get(name) or {}
    return m


def point(c, name, k=-1):
    return (c["equivalent_points"][k] or {}).get(name) or {}


def fmt_shift(m, unit="bytes"):
    """'+1.22 MiB [1.10, 1.30]' or '~0 [..]' with the interval, from a compare metric."""
    d = m.get("delta")
    if d is None:
        return "n/a"
    lo, hi = (m.get("ci95") or [None, None])
    conv = (lambda v: v / MiB) if unit == "bytes" else (lambda v: v)
    u = " MiB" if unit == "bytes" else ""
    s = "%+.2f%s" % (conv(d), u)
    if lo is not None and hi is not None:
        s += " [%+.2f, %+.2f]" % (conv(lo), conv(hi))
    if not m.get("significant"):
        s += " (no measurable difference)" if lo is not None else " (too few runs for an interval)"
    return s


def measure(ip, scale, web_s):
    v = {}
    t = ip.tag
    py = ip.path
    jit = ip.env["python"]["jit"]
    v[t + "_version"] = ip.version
    v[t + "_configure"] = jit.get("configure_arg") or "(none)"
    v[t + "_build"] = jit.get("build_text")
    v[t + "_isolated"] = {True: "ignored", False: "honoured", None: "not measured"}[jit.get("isolated_mode_ignores_PYTHON_JIT")]

    # The article's "JIT active" check, its line as printed, and sys._is_interned('').
    line = ("import sys, os; print(f\"JIT active: {sys._is_interned_string('') or "
            "os.environ.get('PYTHON_JIT', 'not set')}\")")
    for mode in ("0", "1"):
        st, so, se = run([py, "-c", line], env={"PYTHON_JIT": mode})
        err = (se.strip().splitlines() or [""])[-1]
        v["%s_article_%s" % (t, mode)] = so.strip() if st == 0 else "exit status %d, %s" % (st, err)
        st, so, _ = run([py, "-c", "import sys; print(sys._is_interned(''), sys._jit.is_enabled())"], env={"PYTHON_JIT": mode})
        interned, enabled = (so.split() + ["?", "?"])[:2]
        v["%s_interned_%s" % (t, mode)] = interned
        v["%s_enabled_%s" % (t, mode)] = enabled
    v[t + "_version_cmd_interned"] = 'PYTHON_JIT=1 %s -c "import sys, os; print(...)"' % PY_NAMES.get(py, py)

    # tracemalloc: the heap it traces, with the JIT off and on (broad.py, in-process).
    tcmd = [py, os.path.join(ROOT, "findings", "traced.py"), os.path.join(ROOT, "workloads", "broad.py"), "--scale", str(scale)]
    for mode in ("0", "1"):
        st, so, se = run(tcmd, env={"PYTHON_JIT": mode})
        m = re.search(r"traced current (\d+) peak (\d+)", se)
        v["%s_traced_now_%s" % (t, mode)] = mib(int(m.group(1))) if m else "n/a"
        v["%s_traced_peak_%s" % (t, mode)] = mib(int(m.group(2))) if m else "n/a"
    v[t + "_version_cmd_tracemalloc"] = shown(tcmd, {"PYTHON_JIT": "1"})

    # The bundled workloads, JIT off against on, traced.
    for w in ("numeric", "dynamic", "orm", "broad"):
        # dynamic.py frees executors while it runs only past --scale 0.6 or so on 3.15: scale 1
        ws = max(scale, 1.0) if w == "dynamic" and not ip.quick else scale
        c = ip.compare(w, ["--workload", w, "--scale", str(ws), "--trace-jit"])
        k = "%s_%s_" % (t, w)
        pss = metric(c, "peak_pss_bytes")
        v[k + "pss_off"] = mib(pss.get("off"))
        v[k + "pss_delta"] = fmt_shift(pss)
        v[k + "pss_rel"] = pct(pss.get("delta_rel"))
        cpu = metric(c, "cpu_s_per_unit")
        v[k + "cpu_rel"] = pct(cpu.get("delta_rel")) + ("" if cpu.get("significant") else " ~0")
        v[k + "cpu_sig"] = "yes" if cpu.get("significant") else "no"
        v[k + "jit_code"] = mib(metric(c, "peak_jit_code_bytes").get("on"))
        dbg = metric(c, "peak_jit_debug_bytes")
        v[k + "jit_debug"] = mib(dbg.get("on")) if dbg.get("on") is not None else "none (no interface)"
        v[k + "compiled"] = "%g" % metric(c, "executors_compiled").get("on", float("nan"))
        v[k + "freed"] = "%g" % metric(c, "executors_freed").get("on", float("nan"))
        churn = metric(c, "churn_ratio").get("on")
        v[k + "churn"] = "n/a" if churn is None else "%.0f%%" % (100 * churn)
        v[k + "vsz_lead"] = secs((c.get("vsz_leads_rss_s") or {}).get("on"))
        v[k + "class_on"] = (c["growth"]["on"] or {}).get("class")
        v[k + "class_off"] = (c["growth"]["off"] or {}).get("class")
        v[k + "code_rest"] = fmt_shift(point(c, "rss_rest_bytes"))
        v[k + "cmd"] = ip.commands[w]

    # The web service: four workers under a 384 MiB limit, the default request mix.
    web_args = ["--workload", "webapp", "--workers", "4", "--limit", "384M", "--duration", web_s, "--http-warmup", "2s"]
    c = ip.compare("webapp", web_args)
    k = t + "_web_"
    v[k + "cmd"] = ip.commands["webapp"]
    v[k + "verdict"] = c["verdict"]["overall"]
    v[k + "rules"] = "; ".join("%s: %s" % (r["name"], r["status"]) for r in c["verdict"]["rules"])
    v[k + "tput"] = fmt_shift(metric(c, "throughput_units_per_s"), "count")
    v[k + "tput_rel"] = pct(metric(c, "throughput_units_per_s").get("delta_rel"))
    v[k + "p50"] = fmt_shift(metric(c, "latency_p50_us"), "count")
    v[k + "p99"] = fmt_shift(metric(c, "latency_p99_us"), "count")
    cpu = metric(c, "cpu_s_per_unit")
    v[k + "cpu_rel"] = pct(cpu.get("delta_rel")) + ("" if cpu.get("significant") else " ~0")
    v[k + "pss_delta"] = fmt_shift(metric(c, "peak_pss_bytes"))
    v[k + "pss_rel"] = pct(metric(c, "peak_pss_bytes").get("delta_rel"))
    v[k + "pss_on"] = mib(metric(c, "peak_pss_bytes").get("on"))
    v[k + "pss_off"] = mib(metric(c, "peak_pss_bytes").get("off"))
    v[k + "worker_jit"] = mib(point(c, "worker_jit_code_bytes").get("on"))
    v[k + "jit_code"] = mib(metric(c, "peak_jit_code_bytes").get("on"))
    dbg = metric(c, "peak_jit_debug_bytes")
    v[k + "jit_debug"] = mib(dbg.get("on")) if dbg.get("on") is not None else "none (no interface)"
    v[k + "vsz_lead"] = secs((c.get("vsz_leads_rss_s") or {}).get("on"))

    # The article's question itself: the smallest limit at which the four workers survive the
    # load, found by running them under real cgroup limits (jitmem fit), JIT off and on.
    fit_args = ["--workload", "webapp", "--workers", "4", "--rate", "100" if ip.quick else "300",
                "--duration", "5s" if ip.quick else "30s"] + (["--precision", "5%"] if ip.quick else [])
    f = ip.fit("fit", fit_args)
    k = t + "_fit_"
    modes = f["modes"]
    v[k + "cmd"] = ip.commands["fit"]
    v[k + "off"] = fit_limit(modes.get("off"), 4)
    v[k + "on"] = fit_limit(modes.get("on"), 4)
    v[k + "trials"] = "%s off, %s on" % ((modes.get("off") or {}).get("trials", 0), (modes.get("on") or {}).get("trials", 0))
    v[k + "precision"] = mib((modes.get("off") or {}).get("precision_bytes"))
    diff = f.get("difference")
    v[k + "diff"] = "n/a (a limit was not found)" if not diff else "%+.2f MiB (%+.1f%%)" % (diff["bytes"] / MiB, diff["percent"])
    if diff and "low_bytes" in diff:
        v[k + "diff"] += ", between %+.2f and %+.2f MiB from the brackets%s" % (
            diff["low_bytes"] / MiB, diff["high_bytes"] / MiB, "" if diff["established"] else ": no difference established")

    # The same service with workers that crash now and then (1 request in about 900 is /crash):
    # each restarted worker compiles again.
    mix = os.path.join(ip.out, "crash-mix.txt")
    with open(os.path.join(ROOT, "workloads", "webapp-mix.txt")) as f, open(mix, "w") as g:
        for line in f:
            m = re.match(r"^(\d+)( .*)$", line.rstrip("\n"))
            g.write("%d%s\n" % (int(m.group(1)) * 100, m.group(2)) if m else line)
        g.write("1 GET /crash\n")
    c = ip.compare("restarts", web_args + ["--requests", mix])
    k = t + "_restart_"
    v[k + "cmd"] = re.sub(r"\S*crash-mix\.txt", "CRASH-MIX", ip.commands["restarts"])
    v[k + "restarts"] = "%g" % metric(c, "worker_restarts").get("on", float("nan"))
    v[k + "warm_first"] = secs(metric(c, "worker_warmup_s").get("on"))
    v[k + "warm_again"] = secs(metric(c, "restarted_worker_warmup_s").get("on"))
    v[k + "jit_again"] = mib(metric(c, "restarted_worker_jit_code_bytes").get("on"))
    v[k + "worker_jit"] = mib(point(c, "worker_jit_code_bytes").get("on"))
    verdicts(v, t)
    return v


def num(s):
    """The leading number of a formatted figure ('+1.2 MiB [..]' -> 1.2), or None."""
    m = re.match(r"^[+-]?\d+(\.\d+)?", s or "")
    return float(m.group(0)) if m else None


def verdicts(v, t):
    """Each claim's verdict for one interpreter, from its figures alone."""
    art0, art1 = v[t + "_article_0"], v[t + "_article_1"]
    if art0.startswith("exit status"):
        v[t + "_v_interned"] = ("does not hold: the line fails (%s) with the JIT off and on: there is no "
                                "sys._is_interned_string; sys._is_interned('') says %s off and %s on, while "
                                "sys._jit.is_enabled() says %s and %s" % (art1, v[t + "_interned_0"], v[t + "_interned_1"],
                                                                          v[t + "_enabled_0"], v[t + "_enabled_1"]))
    else:
        v[t + "_v_interned"] = ("%s: it printed '%s' off and '%s' on, while sys._jit.is_enabled() says %s and %s"
                                % ("does not hold" if art0 == art1 else "holds", art0, art1, v[t + "_enabled_0"], v[t + "_enabled_1"]))
    rels = {w: num(v["%s_%s_pss_rel" % (t, w)]) for w in ("numeric", "dynamic", "orm", "broad")}
    rels["webapp"] = num(v[t + "_web_pss_rel"])
    big = [w for w, r in rels.items() if r is not None and r >= 20]
    v[t + "_v_spike"] = ("holds for %s" % ", ".join(big) if big else
                         "does not hold: the largest peak-PSS delta is %+.1f%% (%s)" % max((r, w) for w, r in rels.items() if r is not None))
    web = (num(v[t + "_web_jit_code"]) or 0) + (num(v[t + "_web_jit_debug"]) or 0)
    v[t + "_v_dozens"] = ("holds: %.1f MiB of JIT code and debug images" % web if web >= 24 else
                          "does not hold for this service: %.2f MiB of JIT code and debug images in all four workers" % web)
    leads = [num(v["%s_%s_vsz_lead" % (t, w)]) for w in ("numeric", "dynamic", "orm", "broad")] + [num(v[t + "_web_vsz_lead"])]
    leads = [x for x in leads if x is not None]
    v[t + "_v_vsz"] = ("does not hold: VSZ led RSS by at most %.3f s with the JIT on" % max(leads) if leads and max(leads) < 0.2
                       else "holds in part: VSZ led RSS by up to %.3f s" % max(leads) if leads else "not measured")
    tput = num(v[t + "_web_tput_rel"])
    sig = "no measurable difference" not in v[t + "_web_tput"] and "too few" not in v[t + "_web_tput"]
    v[t + "_v_web_speed"] = ("holds: throughput %s, no measurable difference" % v[t + "_web_tput_rel"] if not sig else
                             "holds: throughput %s" % v[t + "_web_tput_rel"] if tput is not None and tput <= 1 else
                             "does not hold: throughput %s" % v[t + "_web_tput_rel"])
    again = num(v[t + "_restart_jit_again"])
    v[t + "_v_restart"] = ("holds: a restarted worker compiled %s of JIT code again" % v[t + "_restart_jit_again"]
                           if again and again > 0 else "not shown: no restarted worker compiled code (%s restarts)" % v[t + "_restart_restarts"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "findings", "out"))
    ap.add_argument("--python", action="append", default=[])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--render", action="store_true",
                    help="measure nothing: write docs/findings.md again from OUT/values.json")
    a = ap.parse_args()
    if a.render:
        try:
            with open(os.path.join(a.out, "values.json")) as f:
                values = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit("findings: no measured figures to render (%s)" % e)
        render(values, [values[k] for k in sorted(values) if k.endswith("_version")])
        return
    jitmem = os.path.join(ROOT, os.environ.get("BUILD", "build"), "jitmem")
    if not os.access(jitmem, os.X_OK):
        sys.exit("findings: %s is not built (make)" % os.path.relpath(jitmem, ROOT))
    pys = a.python or [p for p in os.environ.get("JITMEM_FINDINGS_PYTHON", "").split(":") if p]
    if not pys:
        pys = sorted(p for p in glob.glob(os.path.join(ROOT, "..", "shared", "python", "*", "bin", "python3.*"))
                     if re.search(r"python3\.\d+$", p) and os.access(p, os.X_OK))
    if not pys:
        sys.exit("findings: no JIT-enabled interpreter (--python, JITMEM_FINDINGS_PYTHON, ../shared/python)")
    scale = 0.2 if a.quick else 0.5
    web_s = "5s" if a.quick else "15s"
    values = {}
    interps = []
    for p in pys:
        ip = Interp(os.path.realpath(p), jitmem, a.out, a.quick)
        PY_NAMES[ip.path] = "python%d.%d" % tuple(ip.env["python"]["version_info"][:2])
        if not ip.env["python"]["jit"]["machine_code"]:
            sys.exit("findings: %s has no JIT machine code" % p)
        print("findings: measuring %s (%s)" % (ip.version, p), file=sys.stderr)
        values.update(measure(ip, scale, web_s))
        interps.append(ip)
    env = interps[0].env
    m = env["machine"]
    values["when"] = datetime.date.today().isoformat()
    values["machine"] = "Linux %s %s, %d CPUs, %.1f GiB, cgroup %s" % (
        m["kernel"], m["arch"], m["cpus_online"], m["mem_total_bytes"] / 2**30, env["cgroup"]["version"])
    values["interpreters"] = ", ".join("CPython %s (`%s`: %s)" % (ip.version, PY_NAMES[ip.path], ip.env["python"]["jit"]["configure_arg"])
                                       for ip in interps)
    values["scale"] = str(scale)
    values["dynamic_scale"] = str(scale if a.quick else max(scale, 1.0))
    values["web_s"] = web_s
    values["runs"] = "2 (a trial: --quick; no interval is possible)" if a.quick else "5"
    values["jitmem_version"] = run([jitmem, "--version"])[1].strip()
    with open(os.path.join(a.out, "values.json"), "w") as f:
        json.dump(values, f, indent=1, sort_keys=True)
    render(values, [ip.version for ip in interps])
    print("findings: wrote docs/findings.md and %s/values.json" % os.path.relpath(a.out, ROOT), file=sys.stderr)


def render(values, versions):
    """docs/findings.md from the template and the figures."""
    with open(os.path.join(ROOT, "findings", "findings.md.in")) as f:
        try:
            text = string.Template(f.read()).substitute(values)
        except KeyError as e:
            sys.exit("findings: the page needs CPython 3.14 and 3.15 (no figure %s); measured: %s"
                     % (e, ", ".join(versions)))
    with open(os.path.join(ROOT, "docs", "findings.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
