"""broad: many different standard-library hot paths, so many distinct traces.

Each unit of work runs one small task from each of a dozen library areas: json (compact and
indented, the indented one through the pure-Python encoder), re (search, findall, sub with a
Python callback), email (message_from_string, then email.generator back to text, with the
compat32 and the modern policies), ast (parse, walk, a NodeVisitor, dump), decimal arithmetic,
textwrap, difflib (SequenceMatcher and unified_diff), collections (Counter, deque,
defaultdict, OrderedDict, namedtuple), itertools, datetime formatting and parsing (strftime,
isoformat, strptime), and string formatting (%, str.format, f-strings, string.Template).

No single loop dominates: the time is spread over hundreds of Python functions in the
library, as in a real application. A JIT therefore compiles many traces, each warm rather than
hot, which is where its memory cost per unit of speed-up is highest. Standard library only;
all inputs are fixed, so the amount of work is fixed by --scale.

    python3 workloads/broad.py [--scale S] [--workers N]

Unit of work: one round of all the tasks; 300 units per process at --scale 1.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import ast  # noqa: E402
import collections  # noqa: E402
import datetime  # noqa: E402
import decimal  # noqa: E402
import difflib  # noqa: E402
import email  # noqa: E402
import email.generator  # noqa: E402
import email.policy  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import string  # noqa: E402
import textwrap  # noqa: E402

NAME = "broad"
UNITS = 300
SEED = 1234

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau")

SOURCE = '''
import os
from collections import defaultdict

class Inventory:
    """Keeps counts of items."""
    limit = 100

    def __init__(self, items=None):
        self.counts = defaultdict(int)
        for item in items or ():
            self.add(item)

    def add(self, item, n=1):
        if self.counts[item] + n > self.limit:
            raise ValueError("too many %s" % item)
        self.counts[item] += n
        return self.counts[item]

    def total(self):
        return sum(v for v in self.counts.values() if v > 0)

    async def flush(self, sink):
        async with sink as s:
            for key, value in sorted(self.counts.items()):
                await s.write(f"{key}={value!r}")

def parse(lines, sep=":"):
    result = {}
    for i, line in enumerate(lines):
        key, _, value = line.partition(sep)
        result[key.strip()] = [int(x) * 2 ** i for x in value.split(",") if x]
    return {k: v for k, v in result.items() if v} or None

lam = lambda a, *b, c=3, **d: (a, b, c, d)
'''

MESSAGE = """\
From: Alice Example <alice@example.org>
To: Bob <bob@example.net>, Carol <carol@example.com>
Subject: =?utf-8?q?Quarterly_r=C3=A9sum=C3=A9?= and figures
Date: Tue, 11 Jun 2024 09:30:00 +0000
Message-ID: <1234.5678@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Hello Bob,=0A=0Athe figures are attached. R=C3=A9sum=C3=A9 below.
--XYZ
Content-Type: text/csv; name="figures.csv"
Content-Disposition: attachment; filename="figures.csv"
Content-Transfer-Encoding: base64

cXVhcnRlcixyZXZlbnVlCjEsMTAwCjIsMTIwCjMsOTAKNCwxNTAK
--XYZ--
"""

PARAGRAPH = ("The quick brown fox jumps over the lazy dog while the interpreter specializes "
             "its instructions, and the trace recorder follows the hot loop through calls, "
             "guards and side exits before the code generator stitches stencils together. ")

Record = collections.namedtuple("Record", "name group value when")


def task_json(rng, unit):
    doc = {"id": unit, "name": rng.choice(WORDS), "tags": rng.sample(WORDS, 5),
           "values": [rng.random() for _ in range(60)],
           "nested": {"a": [1, 2, {"b": None, "c": True}], "d": "caf\u00e9 \u2603"},
           "items": [{"k": w, "n": i, "ok": i % 2 == 0, "sub": [i, w, None]}
                     for i, w in enumerate(WORDS * 3)]}
    compact = json.dumps(doc, sort_keys=True)
    pretty = json.dumps(doc, indent=2, ensure_ascii=False)      # pure-Python encoder
    back = json.loads(compact)
    again = json.loads(pretty, object_pairs_hook=collections.OrderedDict)
    return len(compact) + len(pretty) + len(back) + len(again)


_RE_WORD = re.compile(r"\b([a-z]+)(\d*)\b")
_RE_KV = re.compile(r"(?P<key>\w+)\s*=\s*(?P<value>\"[^\"]*\"|\S+)")
_RE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def task_re(rng, unit):
    text = " ".join("%s%d key%d=\"v %d\" 2024-%02d-%02d" % (rng.choice(WORDS), i, i, i * unit,
                                                            1 + i % 12, 1 + i % 28)
                    for i in range(100))
    n = len(_RE_WORD.findall(text))
    n += sum(len(m.group("value")) for m in _RE_KV.finditer(text))
    swapped = _RE_DATE.sub(lambda m: "%s/%s/%s" % (m.group(3), m.group(2), m.group(1)), text)
    n += len(re.split(r"\s+", swapped))
    n += 1 if re.search(r"(?i)KEY2\d=", text) else 0
    n += len(re.escape(text[:50]))
    return n


def task_email(rng, unit):
    total = 0
    for policy in (email.policy.compat32, email.policy.default):
        msg = email.message_from_string(MESSAGE, policy=policy)
        msg["X-Unit"] = str(unit)
        total += len(str(msg["Subject"])) + len(msg.get_all("To") or ())
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if payload:
                total += len(payload)
            total += len(part.get_content_type())
        out = io.StringIO()
        email.generator.Generator(out, mangle_from_=False, policy=policy).flatten(msg)
        total += len(out.getvalue())
    return total


class _Counter(ast.NodeVisitor):
    def __init__(self):
        self.calls = 0
        self.names = collections.Counter()

    def visit_Call(self, node):
        self.calls += 1
        self.generic_visit(node)

    def visit_Name(self, node):
        self.names[node.id] += 1


def task_ast(rng, unit):
    tree = ast.parse(SOURCE)
    kinds = collections.Counter(type(node).__name__ for node in ast.walk(tree))
    visitor = _Counter()
    visitor.visit(tree)
    dumped = ast.dump(tree)
    expr = ast.parse("%d * (x + %d) - y / 3" % (unit, unit % 7), mode="eval")
    code = compile(expr, "<expr>", "eval")
    value = eval(code, {"x": 2, "y": 9})
    return len(kinds) + visitor.calls + len(visitor.names) + len(dumped) + int(value)


def task_decimal(rng, unit):
    ctx = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
    D = decimal.Decimal
    balance = D("1000.00")
    rate = D("0.0425") + D(unit % 10) / D(10000)
    cent = D("0.01")
    for month in range(120):
        interest = ctx.multiply(balance, rate / 12).quantize(cent, rounding=decimal.ROUND_HALF_UP)
        balance = ctx.add(balance, interest) + D(25)
    root = ctx.sqrt(balance)
    parts = [D(rng.randint(1, 10 ** 6)) / D(rng.randint(1, 999)) for _ in range(60)]
    total = sum(parts, D(0)).quantize(D("0.0001"))
    return len(str(balance)) + len(str(root)) + len(str(total)) + len(format(total, ",.2f"))


def task_textwrap(rng, unit):
    words = PARAGRAPH.split()
    rng.shuffle(words)
    text = " ".join(words) * 5
    width = 40 + unit % 30
    wrapped = textwrap.wrap(text, width=width)
    filled = textwrap.fill(text, width=width + 10, initial_indent="* ", subsequent_indent="  ")
    shortened = textwrap.shorten(text, width=80, placeholder=" [...]")
    dedented = textwrap.dedent(textwrap.indent(filled, "    "))
    return len(wrapped) + len(filled) + len(shortened) + len(dedented)


def task_difflib(rng, unit):
    a = ["line %d: %s" % (i, " ".join(rng.sample(WORDS, 4))) for i in range(80)]
    b = list(a)
    for _ in range(10):
        i = rng.randrange(len(b))
        b[i] = b[i].replace(rng.choice(WORDS), rng.choice(WORDS))
    del b[rng.randrange(len(b))]
    b.insert(rng.randrange(len(b)), "inserted %d" % unit)
    diff = list(difflib.unified_diff(a, b, "a.txt", "b.txt", lineterm=""))
    ratio = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).quick_ratio()
    close = difflib.get_close_matches("gama", WORDS, n=3)
    return len(diff) + int(ratio * 100) + len(close)


def task_collections(rng, unit):
    records = [Record(rng.choice(WORDS), i % 7, rng.randint(0, 100), i) for i in range(500)]
    counts = collections.Counter(r.name for r in records)
    groups = collections.defaultdict(list)
    for r in records:
        groups[r.group].append(r.value)
    window = collections.deque(maxlen=16)
    peak = 0
    for r in records:
        window.append(r.value)
        peak = max(peak, sum(window))
    lru = collections.OrderedDict()
    for r in records:
        lru[r.name] = r
        lru.move_to_end(r.name)
        if len(lru) > 8:
            lru.popitem(last=False)
    chain = collections.ChainMap({"a": unit}, {"a": 0, "b": 1})
    replaced = [r._replace(value=r.value + 1)._asdict() for r in records[:20]]
    return (sum(counts.values()) + len(counts.most_common(3)) + len(groups) + peak + len(lru)
            + chain["a"] + chain["b"] + len(replaced))


def task_itertools(rng, unit):
    data = sorted(rng.randint(0, 50) for _ in range(800))
    runs = [(k, len(list(g))) for k, g in itertools.groupby(data)]
    acc = list(itertools.accumulate(data))
    pairs = sum(1 for a, b in itertools.combinations(range(45), 2) if (a * b + unit) % 3 == 0)
    perms = sum(1 for p in itertools.permutations("abcdefg", 3) if p[0] < p[2])
    prod = sum(x * y for x, y in itertools.product(range(12), repeat=2))
    sliced = list(itertools.islice(itertools.cycle(WORDS), unit % 7, 100, 3))
    chained = sum(1 for _ in itertools.chain.from_iterable([data, acc, sliced]))
    zipped = list(itertools.zip_longest(data[:10], sliced[:7], fillvalue=None))
    starred = list(itertools.starmap(pow, [(2, 5), (3, 4), (unit % 5 + 1, 2)]))
    return len(runs) + acc[-1] + pairs + perms + prod + chained + len(zipped) + sum(starred)


def task_datetime(rng, unit):
    base = datetime.datetime(2024, 1, 1, 8, 30, tzinfo=datetime.timezone.utc)
    tz = datetime.timezone(datetime.timedelta(hours=-5), "EST")
    total = 0
    for i in range(50):
        when = base + datetime.timedelta(days=unit % 365, hours=i * 7, minutes=i * 13)
        local = when.astimezone(tz)
        text = local.strftime("%Y-%m-%d %H:%M:%S %Z %a %b %j")
        iso = when.isoformat()
        back = datetime.datetime.fromisoformat(iso)
        parsed = datetime.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")   # pure Python
        total += len(text) + len(iso) + back.day + parsed.minute
        total += (when.date() - datetime.date(2024, 1, 1)).days
        total += len(format(when, "%d/%m/%y")) + when.isocalendar()[1]
    return total


_TEMPLATE = string.Template("$name owes $$${amount} since ${date} ($count items)")


def task_format(rng, unit):
    total = 0
    for i in range(80):
        name = WORDS[(i + unit) % len(WORDS)]
        value = rng.random() * 10000
        a = "%-10s|%8.2f|%5d|%x|%r" % (name, value, i, i * unit, name)
        b = "{0:>12}|{1:,.3f}|{2:08b}|{3!r:^20}".format(name, value, i % 256, (i, name))
        c = f"{name.upper():*<14}{value:+.2e}{i:>4}{unit % 100:%}"
        d = _TEMPLATE.substitute(name=name, amount="%.2f" % value, date="2024-06-%02d" % (1 + i % 28),
                                 count=i)
        e = "-".join(str(x) for x in range(i % 10)).center(30, ".")
        total += len(a) + len(b) + len(c) + len(d) + len(e)
    return total


TASKS = (task_json, task_re, task_email, task_ast, task_decimal, task_textwrap, task_difflib,
         task_collections, task_itertools, task_datetime, task_format)


def work(scale, progress):
    rng = random.Random(SEED)
    total = 0
    for unit in range(_common.scaled(UNITS, scale)):
        for task in TASKS:
            total += task(rng, unit)
        progress.add(1)
    return total


if __name__ == "__main__":
    _common.main(NAME, work, __doc__)
