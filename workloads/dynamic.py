"""dynamic: attribute-heavy, polymorphic object code that keeps changing shape, the JIT's worst case.

What it exercises:
- getattr with attribute names computed at run time ("get_" + a field name, "tag_%d");
- a four-level class hierarchy (Entity > Shape > Polygon > Square, ...) whose methods are
  overridden at several levels and chained with super();
- properties, and a custom data descriptor (Clamped) on the base class;
- polymorphic call sites: the same loop calls obj.cost() (which calls self.area()) and
  obj.perimeter() on objects of nine classes, and a second loop reads the obj.label property
  (apart, because on CPython 3.14 a property read aborts the JIT's trace of its whole loop);
- instance dicts mutated at run time (setattr of new attribute names, delattr), and classes
  mutated mid-run: a class attribute of the base class is replaced and methods are swapped
  every few units, which invalidates the type caches the specializer and the JIT depend on;
- a new class made with type() every unit, so the call sites keep meeting new types.

The specializing interpreter guards its attribute and call instructions on type versions and
dict shapes; here those guards keep failing, so instructions despecialize, traces exit early
at their guards or are invalidated when a class changes, and the JIT has little stable code
to compile: whatever machine code it makes buys little. Compare its JIT memory and its
speed-up with numeric.py's. Measured at --scale 1 (--trace-jit): CPython 3.14.7 compiles 7
executors and frees 1 of them while it runs; 3.15.0rc1 compiles about 400 and frees about 270. Standard library only; the amount of work is fixed by --scale.

    python3 workloads/dynamic.py [--scale S] [--workers N]

Unit of work: one pass over the object population (about 2,400 objects); 400 units per process
at --scale 1.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

NAME = "dynamic"
UNITS = 400
COPIES = 270         # objects of each class in the population
TAGS = 12            # distinct run-time attribute names
SWAP_EVERY = 7       # units between class mutations


class Clamped:
    """A data descriptor: a float kept in the instance dict under a private name, clamped."""

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi
        self.slot = None

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj.__dict__[self.slot]

    def __set__(self, obj, value):
        value = float(value)
        if value < self.lo:
            value = self.lo
        elif value > self.hi:
            value = self.hi
        obj.__dict__[self.slot] = value


class Entity:                                   # level 1
    kind = "entity"
    factor = 1.0                                # replaced mid-run
    weight = Clamped(0.0, 500.0)

    def __init__(self, ident, weight):
        self.ident = ident
        self.weight = weight

    def area(self):
        return 0.0

    def cost(self):
        return self.area() * self.factor + self.weight

    def describe(self):
        return "%s#%d" % (self.kind, self.ident)

    @property
    def label(self):
        return self.describe().upper()

    def get_weight(self):
        return self.weight

    def get_ident(self):
        return self.ident


class Shape(Entity):                            # level 2
    kind = "shape"

    def __init__(self, ident, weight, size):
        super().__init__(ident, weight)
        self.size = size

    def area(self):
        return self.size * self.size

    def cost(self):
        return super().cost() + 1.0

    def get_size(self):
        return self.size


class Polygon(Shape):                           # level 3
    kind = "polygon"
    sides = 0

    def area(self):
        return self.sides * self.size * self.size / 4.0

    def perimeter(self):
        return self.sides * self.size

    @property
    def label(self):
        return "%s/%d" % (Shape.label.fget(self), self.sides)


class Square(Polygon):                          # level 4
    kind = "square"
    sides = 4

    def area(self):
        return self.size * self.size


class Triangle(Polygon):                        # level 4
    kind = "triangle"
    sides = 3

    def area(self):
        return self.size * self.size * 0.4330127

    def cost(self):
        return super().cost() * 1.5


class Hexagon(Polygon):                         # level 4
    kind = "hexagon"
    sides = 6

    def describe(self):
        return "hex(%s)" % super().describe()


class Circle(Shape):                            # level 3
    kind = "circle"

    def area(self):
        return 3.14159 * self.size * self.size

    def perimeter(self):
        return 6.28318 * self.size


class Ring(Circle):                             # level 4
    kind = "ring"

    def __init__(self, ident, weight, size):
        super().__init__(ident, weight, size)
        self.inner = size / 2.0

    def area(self):
        return super().area() - 3.14159 * self.inner * self.inner


class Blob(Entity):                             # level 2: attributes made up on demand
    kind = "blob"

    def __getattr__(self, name):
        if name.startswith("get_"):
            return lambda: len(name)
        raise AttributeError(name)

    def area(self):
        return float(self.ident % 5)


class Point(Entity):                            # level 2, plain
    kind = "point"


CLASSES = (Square, Triangle, Hexagon, Circle, Ring, Polygon, Shape, Blob, Point)
GETTERS = ("weight", "ident", "size", "sides")


def _make(cls, ident):
    if issubclass(cls, Shape):
        return cls(ident, ident % 37, 1.0 + ident % 9)
    return cls(ident, ident % 37)


def _alt_perimeter(self):
    return self.sides * self.size + 0.5


def _alt_square_area(self):
    return self.size * self.size + 0.25


def mutate_classes(unit):
    """Replaces class attributes and methods, invalidating every type version below them."""
    Entity.factor = 1.0 + (unit % 5) * 0.1
    if unit % 2:
        Polygon.perimeter = _alt_perimeter
        Square.area = _alt_square_area
    else:
        Polygon.perimeter = _perimeter
        Square.area = _square_area


_perimeter = Polygon.perimeter
_square_area = Square.area


def one_pass(objects, unit, dynamic_cls):
    total = 0.0
    n = len(objects)
    for i in range(n):
        obj = objects[i]
        # Polymorphic call sites: nine classes plus one new class per unit.
        total += obj.cost()
        per = getattr(obj, "perimeter", None)
        if per is not None:
            total += per()
        # getattr with names computed at run time.
        getter = getattr(obj, "get_" + GETTERS[(i + unit) % len(GETTERS)], None)
        if getter is not None:
            total += getter()
        # Instance dicts change shape: new attribute names come and go.
        tag = "tag_%d" % ((i * 5 + unit) % TAGS)
        setattr(obj, tag, getattr(obj, tag, 0) + 1)
        if (i + unit) % 3 == 0:
            old = "tag_%d" % ((i * 5 + unit + TAGS // 2) % TAGS)
            if old in obj.__dict__:
                delattr(obj, old)
        # The descriptor's __set__ on every object.
        obj.weight = obj.weight + ((unit + i) % 3) - 1
    # Properties, in a loop of their own: on CPython 3.14 a property read aborts the JIT's trace
    # of the loop it is in (3.15 traces through it), which would leave the loop above with no
    # machine code at all on 3.14.
    for obj in objects:
        total += len(obj.label)
    for ident in range(4):
        extra = dynamic_cls(n + ident, ident, 2.0 + ident)
        total += extra.cost() + len(extra.label) + extra.perimeter()
    return total


def work(scale, progress):
    objects = []
    ident = 0
    for _ in range(COPIES):
        for cls in CLASSES:
            objects.append(_make(cls, ident))
            ident += 1
    units = _common.scaled(UNITS, scale)
    total = 0.0
    for unit in range(units):
        if unit % SWAP_EVERY == 0 or unit == units // 2:
            mutate_classes(unit)
        # A new class each unit, as class factories (namedtuple, dataclasses, ORMs) do.
        base = (Square, Triangle, Hexagon)[unit % 3]
        dynamic_cls = type("Dynamic%d" % unit, (base,), {
            "kind": "dyn%d" % (unit % 10),
            "area": lambda self, k=unit % 4: self.size * (k + 1.0),
        })
        total += one_pass(objects, unit, dynamic_cls)
        progress.add(1)
    mutate_classes(0)
    return total


if __name__ == "__main__":
    _common.main(NAME, work, __doc__)
