"""webapp: a pre-forking HTTP/1.1 JSON web service, the web-service scenario.

The master process binds one listening socket (SO_REUSEADDR), forks N workers that all
accept() on it, and waits for them. A worker that dies (killed, crashed) is restarted by the
master, which logs the old and new pid on stderr, the way gunicorn and uwsgi do, so that
restarts and the new worker's warm-up show in the measurements. SIGTERM or SIGINT to the
master sends SIGTERM to the workers, waits up to 5 s for them (then SIGKILL) and exits 0.

Each worker is a single-threaded event loop (selectors) serving HTTP/1.1 with keep-alive and
pipelining on many connections; a request is handled to completion before the next one. Each
worker creates its own in-memory sqlite3 database at start. Routes (JSON answers):

    GET /, GET /health   {"ok": true}
    GET /json?n=K        a nested structure of K items (default 50) through json.dumps
    GET /orm?limit=K     descriptor-field models over sqlite3: filtered query, hydration,
                         dirty-field updates, JSON (default limit 20)
    POST /orders         a JSON order: handler classes picked by the order's fields,
                         getattr-dispatched pricing rules, subclasses overriding methods;
                         the order is inserted into sqlite3 and its totals returned
    GET /crash           the worker exits at once (os._exit(1)) without answering
    anything else        404

Standard library only (CPython 3.8 to 3.14). The work per request depends only on the
request (and, for /orm and /orders, on how many requests this worker has served): no
randomness except from fixed seeds, no amount of work set by the clock.

    python3 workloads/webapp.py --port PORT [--workers N] [--host 127.0.0.1]
"""
import argparse
import errno
import json
import mmap
import os
import random
import selectors
import signal
import socket
import sqlite3
import struct
import sys
import time

NAME = "webapp"
SEED = 20240611
N_CUSTOMERS = 120
N_PRODUCTS = 300
CATEGORIES = ("books", "music", "games", "garden", "kitchen", "tools", "toys", "sports")
MAX_HEADER = 64 * 1024
MAX_BODY = 1024 * 1024
MAX_JSON_ITEMS = 10000
MAX_LIMIT = 1000
KEEP_ORDERS = 1000          # orders kept per worker; older ones are deleted
IDLE_TIMEOUT = 60.0         # seconds an idle keep-alive connection is kept
SHUTDOWN_GRACE = 5.0
ACCEPT_BACKOFF = 0.002      # seconds a worker with more connections than its share waits
ACCEPT_PATIENCE = 0.05      # ... and after this long it accepts anyway (a stuck sibling)
_MISSING = object()


# ---------------------------------------------------------------------------------------
# A small ORM: descriptor fields with validation and dirty tracking.

class ValidationError(ValueError):
    pass


class Field:
    sql_type = "TEXT"
    py_types = (str,)

    def __init__(self, nullable=False, default=None, primary_key=False):
        self.nullable = nullable or primary_key
        self.default = default
        self.primary_key = primary_key
        self.name = None

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj._values.get(self.name, self.default)

    def __set__(self, obj, value):
        value = self.validate(value)
        values = obj._values
        if values.get(self.name, _MISSING) != value:
            values[self.name] = value
            if not obj._loading:
                obj._dirty.add(self.name)

    def validate(self, value):
        if value is None:
            if not self.nullable:
                raise ValidationError("%s may not be null" % self.name)
            return None
        if isinstance(value, bool) and bool not in self.py_types or not isinstance(value, self.py_types):
            raise ValidationError("%s: expected %s, got %s"
                                  % (self.name, self.py_types[0].__name__, type(value).__name__))
        return value

    def to_sql(self, value):
        return value

    def from_sql(self, value):
        return value

    def column_sql(self):
        sql = "%s %s" % (self.name, self.sql_type)
        if self.primary_key:
            sql += " PRIMARY KEY"
        elif not self.nullable:
            sql += " NOT NULL"
        return sql


class IntegerField(Field):
    sql_type = "INTEGER"
    py_types = (int,)

    def __init__(self, min_value=None, **kwargs):
        Field.__init__(self, **kwargs)
        self.min_value = min_value

    def validate(self, value):
        value = Field.validate(self, value)
        if value is not None and self.min_value is not None and value < self.min_value:
            raise ValidationError("%s: less than %d" % (self.name, self.min_value))
        return value


class FloatField(Field):
    sql_type = "REAL"
    py_types = (float, int)

    def validate(self, value):
        value = Field.validate(self, value)
        return None if value is None else float(value)


class TextField(Field):
    def __init__(self, max_length=None, choices=None, **kwargs):
        Field.__init__(self, **kwargs)
        self.max_length = max_length
        self.choices = choices

    def validate(self, value):
        value = Field.validate(self, value)
        if value is None:
            return None
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError("%s: longer than %d" % (self.name, self.max_length))
        if self.choices is not None and value not in self.choices:
            raise ValidationError("%s: not one of %s" % (self.name, ", ".join(self.choices)))
        return value


class BoolField(Field):
    sql_type = "INTEGER"
    py_types = (bool,)

    def to_sql(self, value):
        return None if value is None else int(value)

    def from_sql(self, value):
        return None if value is None else bool(value)


class ListField(TextField):
    py_types = (list,)

    def validate(self, value):
        value = Field.validate(self, value)
        if value is not None and not all(isinstance(v, str) for v in value):
            raise ValidationError("%s: expected a list of str" % self.name)
        return value

    def to_sql(self, value):
        return None if value is None else ",".join(value)

    def from_sql(self, value):
        return None if value is None else [v for v in value.split(",") if v]


_LOOKUPS = {"exact": "%s = ?", "gt": "%s > ?", "gte": "%s >= ?", "lt": "%s < ?",
            "lte": "%s <= ?", "ne": "%s != ?"}


class Query:
    def __init__(self, model, db):
        self.model = model
        self.db = db
        self.where = []
        self.params = []
        self.order = None
        self.limit_n = None

    def filter(self, **lookups):
        for key in sorted(lookups):
            value = lookups[key]
            name, _, op = key.partition("__")
            field = self.model._fields[name]
            if op == "in":
                self.where.append("%s IN (%s)" % (name, ",".join("?" * len(value))))
                self.params.extend(field.to_sql(v) for v in value)
            elif op == "startswith":
                self.where.append("%s LIKE ? ESCAPE '\\'" % name)
                escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                self.params.append(escaped + "%")
            else:
                self.where.append(_LOOKUPS[op or "exact"] % name)
                self.params.append(field.to_sql(value))
        return self

    def order_by(self, key):
        name = key.lstrip("-")
        if name not in self.model._fields:
            raise KeyError(name)
        self.order = "%s %s" % (name, "DESC" if key.startswith("-") else "ASC")
        return self

    def limit(self, n):
        self.limit_n = int(n)
        return self

    def _sql(self, columns):
        sql = "SELECT %s FROM %s" % (columns, self.model._table)
        if self.where:
            sql += " WHERE " + " AND ".join(self.where)
        if self.order:
            sql += " ORDER BY " + self.order
        if self.limit_n is not None:
            sql += " LIMIT %d" % self.limit_n
        return sql

    def all(self):
        cur = self.db.execute(self._sql(", ".join(self.model._column_names)), self.params)
        return [self.model.from_row(row) for row in cur.fetchall()]

    def first(self):
        self.limit_n = 1
        rows = self.all()
        return rows[0] if rows else None

    def count(self):
        return self.db.execute(self._sql("COUNT(*)"), self.params).fetchone()[0]


class Model:
    _fields = {}
    _column_names = ()
    _table = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fields = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Field):
                    fields[key] = value
        cls._fields = fields
        cls._column_names = tuple(fields)
        cls._table = cls.__name__.lower()

    def __init__(self, **values):
        self._values = {}
        self._dirty = set()
        self._loading = False
        for name, field in self._fields.items():
            if name in values:
                setattr(self, name, values.pop(name))
            elif not field.primary_key:
                setattr(self, name, field.default)
        if values:
            raise ValidationError("unknown fields: %s" % ", ".join(sorted(values)))

    @classmethod
    def create_table(cls, db):
        columns = ", ".join(f.column_sql() for f in cls._fields.values())
        db.execute("CREATE TABLE %s (%s)" % (cls._table, columns))

    @classmethod
    def objects(cls, db):
        return Query(cls, db)

    @classmethod
    def from_row(cls, row):
        obj = cls.__new__(cls)
        obj._values = {}
        obj._dirty = set()
        obj._loading = True
        fields = cls._fields
        for name, value in zip(cls._column_names, row):
            setattr(obj, name, fields[name].from_sql(value))
        obj._loading = False
        return obj

    def save(self, db):
        if self.id is None:
            names = [n for n in self._column_names if n != "id"]
            sql = "INSERT INTO %s (%s) VALUES (%s)" % (
                self._table, ", ".join(names), ", ".join("?" * len(names)))
            cur = db.execute(sql, [self._fields[n].to_sql(getattr(self, n)) for n in names])
            self._loading = True
            self.id = cur.lastrowid
            self._loading = False
        elif self._dirty:
            names = sorted(self._dirty)
            sql = "UPDATE %s SET %s WHERE id = ?" % (
                self._table, ", ".join("%s = ?" % n for n in names))
            params = [self._fields[n].to_sql(getattr(self, n)) for n in names]
            params.append(self.id)
            db.execute(sql, params)
        self._dirty.clear()

    def to_dict(self):
        return {name: getattr(self, name) for name in self._column_names}


class Customer(Model):
    id = IntegerField(primary_key=True)
    code = TextField(max_length=16)
    name = TextField(max_length=80)
    email = TextField(max_length=120)
    country = TextField(max_length=2)
    tier = TextField(choices=("bronze", "silver", "gold"))
    orders = IntegerField(default=0, min_value=0)


class Product(Model):
    id = IntegerField(primary_key=True)
    sku = TextField(max_length=16)
    title = TextField(max_length=120)
    category = TextField(choices=CATEGORIES)
    price = FloatField()
    stock = IntegerField(min_value=0)
    views = IntegerField(default=0)
    rating = FloatField(default=0.0)
    active = BoolField(default=True)
    tags = ListField(default=None, nullable=True)


class PurchaseOrder(Model):
    id = IntegerField(primary_key=True)
    customer_id = IntegerField()
    kind = TextField(max_length=16)
    shipping = TextField(max_length=16)
    subtotal = FloatField()
    discount = FloatField(default=0.0)
    shipping_cost = FloatField(default=0.0)
    tax = FloatField(default=0.0)
    total = FloatField()
    lines = IntegerField(min_value=1)


class OrderLine(Model):
    id = IntegerField(primary_key=True)
    order_id = IntegerField(nullable=True)    # set when the order is saved
    product_id = IntegerField()
    qty = IntegerField(min_value=1)
    unit_price = FloatField()
    amount = FloatField()


WORDS = ("python", "memory", "jit", "trace", "cache", "object", "descriptor", "query",
         "request", "worker", "fork", "page", "heap", "arena", "code", "frame", "loop",
         "type", "dict", "slot")
TAGS = ("new", "sale", "eco", "bestseller", "gift", "bundle", "limited", "import")
COUNTRIES = ("DE", "FR", "GB", "US", "NL", "SE", "IT", "ES")


def setup_db():
    """A fresh in-memory database with a few hundred rows, the same in every worker."""
    rng = random.Random(SEED)
    db = sqlite3.connect(":memory:")
    for model in (Customer, Product, PurchaseOrder, OrderLine):
        model.create_table(db)
    db.execute("CREATE INDEX product_category ON product (category, price)")
    db.execute("CREATE INDEX product_sku ON product (sku)")
    db.execute("CREATE INDEX customer_code ON customer (code)")
    db.execute("CREATE INDEX orderline_order ON orderline (order_id)")
    for i in range(1, N_CUSTOMERS + 1):
        Customer(code="c%d" % i, name=("customer %d %s" % (i, rng.choice(WORDS))).title(),
                 email="customer%d@example.org" % i, country=rng.choice(COUNTRIES),
                 tier=("bronze", "bronze", "silver", "gold")[i % 4]).save(db)
    for i in range(1, N_PRODUCTS + 1):
        Product(sku="P-%04d" % i,
                title=" ".join(rng.choice(WORDS) for _ in range(4)).capitalize(),
                category=CATEGORIES[i % len(CATEGORIES)],
                price=round(rng.uniform(1.0, 200.0), 2), stock=rng.randint(0, 500),
                rating=round(rng.uniform(1.0, 5.0), 1), active=(i % 11 != 0),
                tags=sorted(set(rng.choice(TAGS) for _ in range(rng.randint(0, 3))))).save(db)
    db.commit()
    return db


# ---------------------------------------------------------------------------------------
# Order processing: dynamic dispatch over handler classes and named rules.

class OrderError(ValueError):
    pass


class ShippingMethod:
    base = 4.90
    per_item = 0.50
    free_above = 100.0

    def cost(self, subtotal, items, country):
        if self.free_above is not None and subtotal >= self.free_above:
            return 0.0
        return self.base + self.per_item * items + self.zone_surcharge(country)

    def zone_surcharge(self, country):
        return 0.0 if country in ("DE", "NL", "FR") else 3.0


class StandardShipping(ShippingMethod):
    pass


class ExpressShipping(ShippingMethod):
    base = 12.0
    per_item = 1.0
    free_above = None

    def zone_surcharge(self, country):
        return ShippingMethod.zone_surcharge(self, country) * 2 + 1.5


class PickupShipping(ShippingMethod):
    def cost(self, subtotal, items, country):
        return 0.0


class FreightShipping(ShippingMethod):
    base = 45.0
    per_item = 0.1
    free_above = 5000.0

    def zone_surcharge(self, country):
        return 25.0 if country in ("US", "GB") else 10.0


SHIPPING = {"standard": StandardShipping, "express": ExpressShipping,
            "pickup": PickupShipping, "freight": FreightShipping}

VAT = {"DE": 0.19, "FR": 0.20, "GB": 0.20, "NL": 0.21, "SE": 0.25, "IT": 0.22, "ES": 0.21,
       "US": 0.0}
COUPONS = {"SAVE10": ("percent", 10.0), "SAVE20": ("percent", 20.0), "FIVEOFF": ("fixed", 5.0),
           "FREESHIP": ("shipping", 0.0)}


class OrderHandler:
    """Prices an order; subclasses override the pricing steps and add rules."""

    rules = ("coupon", "loyalty")
    max_lines = 50

    def __init__(self, db, customer, data):
        self.db = db
        self.customer = customer
        self.data = data
        self.notes = []
        self.free_shipping = False

    def unit_price(self, product, qty):
        return product.price

    def check_line(self, product, qty):
        if not product.active:
            raise OrderError("product %s is not available" % product.sku)
        if qty > product.stock:
            self.notes.append("backorder %s" % product.sku)

    def tax_rate(self, country):
        return VAT.get(country, 0.2)

    def rule_coupon(self, subtotal, lines):
        code = self.data.get("coupon")
        if not code:
            return 0.0
        kind, amount = COUPONS.get(code, (None, 0.0))
        if kind is None:
            self.notes.append("unknown coupon %s" % code)
            return 0.0
        self.notes.append("coupon %s" % code)
        if kind == "percent":
            return subtotal * amount / 100.0
        if kind == "fixed":
            return min(amount, subtotal)
        self.free_shipping = True
        return 0.0

    def rule_loyalty(self, subtotal, lines):
        rate = {"bronze": 0.0, "silver": 0.02, "gold": 0.05}[self.customer.tier]
        if rate:
            self.notes.append("loyalty %s" % self.customer.tier)
        return subtotal * rate

    def rule_bulk(self, subtotal, lines):
        discount = 0.0
        for line in lines:
            if line.qty >= 10:
                discount += line.amount * 0.08
            elif line.qty >= 5:
                discount += line.amount * 0.03
        if discount:
            self.notes.append("bulk")
        return discount

    def rule_category_promo(self, subtotal, lines):
        promo = CATEGORIES[self.customer.id % len(CATEGORIES)]
        discount = sum(line.amount * 0.1 for line in lines if line.category == promo)
        if discount:
            self.notes.append("promo %s" % promo)
        return discount

    def rule_first_order(self, subtotal, lines):
        if self.customer.orders == 0:
            self.notes.append("first order")
            return min(10.0, subtotal * 0.1)
        return 0.0

    def process(self):
        items = self.data.get("items")
        if not isinstance(items, list) or not items or len(items) > self.max_lines:
            raise OrderError("items: expected a list of 1 to %d items" % self.max_lines)
        wanted = {}
        for item in items:
            if not isinstance(item, dict):
                raise OrderError("items: expected objects")
            sku, qty = item.get("sku"), item.get("qty", 1)
            if not isinstance(sku, str) or not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
                raise OrderError("items: expected {\"sku\": str, \"qty\": int >= 1}")
            wanted[sku] = wanted.get(sku, 0) + qty
        products = {p.sku: p for p in Product.objects(self.db).filter(sku__in=sorted(wanted)).all()}
        lines = []
        for sku in sorted(wanted):
            product = products.get(sku)
            if product is None:
                raise OrderError("unknown product %s" % sku)
            qty = wanted[sku]
            self.check_line(product, qty)
            price = round(self.unit_price(product, qty), 2)
            line = OrderLine(product_id=product.id, qty=qty, unit_price=price,
                             amount=round(price * qty, 2))
            line.category = product.category
            line.product = product
            lines.append(line)
        subtotal = round(sum(line.amount for line in lines), 2)
        discount = 0.0
        for name in self.rules:
            rule = getattr(self, "rule_" + name, None)
            if rule is not None:
                discount += rule(subtotal, lines)
        discount = round(min(discount, subtotal), 2)
        shipping_name = self.data.get("shipping", "standard")
        shipping_class = SHIPPING.get(shipping_name)
        if shipping_class is None:
            raise OrderError("unknown shipping %r" % (shipping_name,))
        country = self.data.get("country") or self.customer.country
        shipping_cost = 0.0 if self.free_shipping else round(
            shipping_class().cost(subtotal - discount, sum(l.qty for l in lines), country), 2)
        tax = round((subtotal - discount + shipping_cost) * self.tax_rate(country), 2)
        order = PurchaseOrder(customer_id=self.customer.id, kind=self.kind, shipping=shipping_name,
                      subtotal=subtotal, discount=discount, shipping_cost=shipping_cost,
                      tax=tax, total=round(subtotal - discount + shipping_cost + tax, 2),
                      lines=len(lines))
        order.save(self.db)
        for line in lines:
            line.order_id = order.id
            line.save(self.db)
            stock = line.product.stock - line.qty
            line.product.stock = stock + 200 if stock < 5 else stock     # restocked
            line.product.save(self.db)
        self.customer.orders = self.customer.orders + 1
        self.customer.save(self.db)
        if order.id > KEEP_ORDERS and order.id % 100 == 0:
            old = order.id - KEEP_ORDERS
            self.db.execute("DELETE FROM orderline WHERE order_id <= ?", (old,))
            self.db.execute("DELETE FROM purchaseorder WHERE id <= ?", (old,))
        self.db.commit()
        result = order.to_dict()
        result["customer"] = self.customer.code
        result["notes"] = self.notes
        result["items"] = [{"sku": l.product.sku, "qty": l.qty, "unit_price": l.unit_price,
                            "amount": l.amount} for l in lines]
        return result


class RetailHandler(OrderHandler):
    kind = "retail"
    rules = ("coupon", "loyalty", "category_promo", "first_order")


class WholesaleHandler(OrderHandler):
    kind = "wholesale"
    rules = ("bulk", "loyalty")
    max_lines = 200

    def unit_price(self, product, qty):
        return product.price * (0.85 if qty >= 20 else 0.9)

    def check_line(self, product, qty):
        if qty < 2:
            raise OrderError("wholesale lines need at least 2 of %s" % product.sku)
        OrderHandler.check_line(self, product, qty)

    def tax_rate(self, country):
        return 0.0 if self.data.get("vat_id") else OrderHandler.tax_rate(self, country)


class SubscriptionHandler(RetailHandler):
    kind = "subscription"
    rules = ("coupon", "subscription")

    def unit_price(self, product, qty):
        return RetailHandler.unit_price(self, product, qty) * 0.95

    def rule_subscription(self, subtotal, lines):
        months = self.data.get("months", 1)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
            raise OrderError("months: expected 1 to 24")
        self.notes.append("subscription %d months" % months)
        return subtotal * min(0.02 * months, 0.2)


class GiftHandler(RetailHandler):
    kind = "gift"

    def rule_gift_wrap(self, subtotal, lines):
        return -2.5 * len(lines) if self.data.get("wrap") else 0.0

    rules = RetailHandler.rules + ("gift_wrap",)


HANDLERS = {"retail": RetailHandler, "wholesale": WholesaleHandler,
            "subscription": SubscriptionHandler, "gift": GiftHandler}


# ---------------------------------------------------------------------------------------
# The application: routes to handlers.

class HTTPError(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


def _int_param(params, name, default, low, high):
    value = params.get(name, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise HTTPError(400, "%s: expected an integer" % name)
    if not low <= value <= high:
        raise HTTPError(400, "%s: expected %d to %d" % (name, low, high))
    return value


def _parse_query(query):
    params = {}
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[_unquote(key)] = _unquote(value)
    return params


def _unquote(text):
    if "%" not in text and "+" not in text:
        return text
    from urllib.parse import unquote_plus
    return unquote_plus(text)


class App:
    def __init__(self):
        self.db = setup_db()
        self.served = 0

    def handle(self, method, target, headers, body):
        """(status, body bytes) for one request; None to crash."""
        path, _, query = target.partition("?")
        self.served += 1
        try:
            route = ROUTES.get(path)
            if route is None:
                raise HTTPError(404, "no route for %s" % path)
            want_method, name = route
            if method != want_method and not (method == "HEAD" and want_method == "GET"):
                raise HTTPError(405, "%s expects %s" % (path, want_method))
            result = getattr(self, name)(_parse_query(query), headers, body)
            if result is None:
                return None
            return 200, result
        except HTTPError as e:
            return e.status, json.dumps({"error": e.message}).encode()

    def r_health(self, params, headers, body):
        return b'{"ok": true}'

    def r_json(self, params, headers, body):
        n = _int_param(params, "n", 50, 0, MAX_JSON_ITEMS)
        items = []
        for i in range(n):
            items.append({
                "id": i,
                "name": "item-%d" % i,
                "title": " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(3)),
                "price": round(1.5 + (i * 37 % 1000) / 7.0, 2),
                "in_stock": i % 3 != 0,
                "tags": [TAGS[(i + k) % len(TAGS)] for k in range(i % 4)],
                "dimensions": {"w": i % 17 + 1, "h": i % 13 + 1, "d": i % 5 + 1,
                               "unit": "cm"},
                "variants": [{"sku": "V-%d-%d" % (i, k), "color": ("red", "green", "blue")[k],
                              "delta": k * 0.25} for k in range(i % 3 + 1)],
                "rating": None if i % 10 == 0 else {"stars": i % 5 + 1, "votes": i * 3},
            })
        doc = {"count": n, "page": {"size": n, "next": None},
               "items": items, "summary": {"total": round(sum(it["price"] for it in items), 2),
                                           "categories": sorted(set(t for it in items for t in it["tags"]))}}
        return json.dumps(doc, sort_keys=True).encode()

    def r_orm(self, params, headers, body):
        limit = _int_param(params, "limit", 20, 1, MAX_LIMIT)
        category = params.get("category") or CATEGORIES[self.served % len(CATEGORIES)]
        if category not in CATEGORIES:
            raise HTTPError(400, "unknown category %s" % category)
        min_price = _int_param(params, "min_price", 5, 0, 1000000)
        query = (Product.objects(self.db).filter(category=category, price__gte=min_price, active=True)
                 .order_by("-rating").limit(limit))
        products = query.all()
        total = (Product.objects(self.db).filter(category=category, price__gte=min_price, active=True)
                 .count())
        for product in products[:5]:
            product.views = product.views + 1
            product.save(self.db)
        buyers = Customer.objects(self.db).filter(
            id__in=sorted(set(p.id % N_CUSTOMERS + 1 for p in products))).all()
        self.db.commit()
        doc = {"category": category, "min_price": min_price, "total": total,
               "products": [p.to_dict() for p in products],
               "buyers": [c.to_dict() for c in buyers]}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def r_orders(self, params, headers, body):
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise HTTPError(400, "the body is not JSON")
        if not isinstance(data, dict):
            raise HTTPError(400, "expected a JSON object")
        code = data.get("customer")
        if not isinstance(code, str):
            raise HTTPError(422, "customer: expected a string")
        customer = Customer.objects(self.db).filter(code=code).first()
        if customer is None:
            raise HTTPError(422, "unknown customer %s" % code)
        handler_class = HANDLERS.get(data.get("kind", "retail"))
        if handler_class is None:
            raise HTTPError(422, "kind: expected one of %s" % ", ".join(sorted(HANDLERS)))
        try:
            result = handler_class(self.db, customer, data).process()
        except (OrderError, ValidationError) as e:
            self.db.rollback()
            raise HTTPError(422, str(e))
        return json.dumps(result, sort_keys=True).encode()

    def r_crash(self, params, headers, body):
        return None


ROUTES = {"/": ("GET", "r_health"), "/health": ("GET", "r_health"),
          "/json": ("GET", "r_json"), "/orm": ("GET", "r_orm"),
          "/orders": ("POST", "r_orders"), "/crash": ("GET", "r_crash")}

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           413: "Payload Too Large", 422: "Unprocessable Entity", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 501: "Not Implemented"}


# ---------------------------------------------------------------------------------------
# HTTP/1.1 on a selectors event loop, one per worker.

class _Stop(Exception):
    pass


class Board:
    """Open connections per worker slot, in memory shared by the master and the workers.

    The workers all accept() on one socket, and the one the kernel wakes first would take
    every new connection; a worker that holds more connections than the fewest held by a live
    sibling leaves the next one to the others (for ACCEPT_PATIENCE at most)."""

    def __init__(self, slots):
        self.slots = slots
        self.mem = mmap.mmap(-1, 8 * slots)     # MAP_SHARED | MAP_ANONYMOUS: survives fork

    def set(self, slot, value):
        struct.pack_into("q", self.mem, 8 * slot, value)

    def may_accept(self, slot, mine):
        if self.slots == 1:
            return True
        counts = struct.unpack_from("%dq" % self.slots, self.mem, 0)
        fewest = min((c for i, c in enumerate(counts) if i != slot and c >= 0), default=mine)
        return mine <= fewest


class Connection:
    __slots__ = ("sock", "inbuf", "outbuf", "closing", "last", "events")

    def __init__(self, sock, now):
        self.sock = sock
        self.inbuf = b""
        self.outbuf = bytearray()
        self.closing = False
        self.last = now
        self.events = selectors.EVENT_READ


def _response(status, body, keep_alive, head_only=False):
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (status, REASONS.get(status, "Error"), len(body),
               "" if keep_alive else "Connection: close\r\n")).encode("latin-1")
    return head if head_only else head + body


def _error(status, message):
    return _response(status, json.dumps({"error": message}).encode(), False)


def _next_request(conn, app):
    """Handles one complete request at the start of conn.inbuf; False if none is complete."""
    buf = conn.inbuf
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEADER:
            conn.outbuf += _error(431, "headers too large")
            conn.closing = True
        return False
    if end > MAX_HEADER:
        conn.outbuf += _error(431, "headers too large")
        conn.closing = True
        return False
    lines = buf[:end].decode("latin-1").split("\r\n")
    while lines and not lines[0]:        # tolerate stray CRLF between requests
        lines.pop(0)
    parts = lines[0].split() if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        conn.outbuf += _error(400, "bad request line")
        conn.closing = True
        return False
    method, target, version = parts
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            conn.outbuf += _error(400, "bad header line")
            conn.closing = True
            return False
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        conn.outbuf += _error(501, "chunked request bodies are not supported")
        conn.closing = True
        return False
    length = headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        conn.outbuf += _error(413 if length.isdigit() else 400, "bad Content-Length")
        conn.closing = True
        return False
    length = int(length)
    start = end + 4
    if len(buf) < start + length:
        return False
    body = buf[start:start + length]
    conn.inbuf = buf[start + length:]
    token = headers.get("connection", "").lower()
    keep_alive = "close" not in token and (version != "HTTP/1.0" or "keep-alive" in token)
    try:
        result = app.handle(method, target, headers, body)
    except Exception:
        import traceback
        traceback.print_exc()
        result = 500, b'{"error": "internal error"}'
    if result is None:
        sys.stderr.flush()
        os._exit(1)                      # GET /crash
    status, payload = result
    conn.outbuf += _response(status, payload, keep_alive, method == "HEAD")
    if not keep_alive:
        conn.closing = True
    return True


def _stop_handler(signum, frame):
    raise _Stop()


def worker_main(listener, board, slot):
    """Runs in a forked worker; never returns."""
    status = 1
    try:
        signal.signal(signal.SIGTERM, _stop_handler)
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # the master decides, on SIGINT
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        status = serve(listener, App(), board, slot)
    except _Stop:
        status = 0
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


def serve(listener, app, board, slot):
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    listening = True
    conns = {}
    next_sweep = time.monotonic() + IDLE_TIMEOUT / 4
    relisten_at = None          # when to watch the listening socket again after backing off
    holding_since = None        # since when this worker has left new connections to others
    board.set(slot, 0)

    def close(conn):
        sel.unregister(conn.sock)
        del conns[conn.sock.fileno()]
        conn.sock.close()
        board.set(slot, len(conns))

    while True:
        timeout = IDLE_TIMEOUT / 4
        if relisten_at is not None:
            timeout = max(0.0, relisten_at - time.monotonic())
        for key, events in sel.select(timeout=timeout):
            now = time.monotonic()
            if key.data is None:
                if not board.may_accept(slot, len(conns)):
                    if holding_since is None:
                        holding_since = now
                    if now - holding_since < ACCEPT_PATIENCE:
                        sel.unregister(listener)
                        listening = False
                        relisten_at = now + ACCEPT_BACKOFF
                        continue
                holding_since = None
                try:
                    sock, _ = listener.accept()     # one per wake-up: spread over the workers
                except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                    continue
                except OSError as e:
                    if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                        continue
                    raise
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn = Connection(sock, now)
                conns[sock.fileno()] = conn
                sel.register(sock, selectors.EVENT_READ, conn)
                board.set(slot, len(conns))
                continue
            conn = key.data
            conn.last = now
            if events & selectors.EVENT_READ:
                try:
                    data = conn.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError:
                    close(conn)
                    continue
                if data == b"":
                    close(conn)
                    continue
                if data and not conn.closing:
                    conn.inbuf += data
                    while not conn.closing and _next_request(conn, app):
                        pass
            if conn.outbuf:
                try:
                    sent = conn.sock.send(conn.outbuf)
                    del conn.outbuf[:sent]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    close(conn)
                    continue
            if conn.closing and not conn.outbuf:
                close(conn)
                continue
            want = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbuf else 0)
            if want != conn.events:
                conn.events = want
                sel.modify(conn.sock, want, conn)
        now = time.monotonic()
        if not listening and now >= relisten_at:
            sel.register(listener, selectors.EVENT_READ, None)
            listening = True
            relisten_at = None
        if now >= next_sweep:
            next_sweep = now + IDLE_TIMEOUT / 4
            for conn in [c for c in conns.values() if now - c.last > IDLE_TIMEOUT]:
                close(conn)


# ---------------------------------------------------------------------------------------
# The master: forks the workers, restarts the ones that die, stops them on SIGTERM/SIGINT.

def _describe_status(status):
    if os.WIFSIGNALED(status):
        return "was killed by signal %d" % os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return "exited with status %d" % os.WEXITSTATUS(status)
    return "ended with wait status %d" % status


def _log(message):
    sys.stderr.write("%s[%d]: %s\n" % (NAME, os.getpid(), message))
    sys.stderr.flush()


def _spawn(listener, board, slot):
    board.set(slot, 0)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        worker_main(listener, board, slot)
    return pid


def _reap(workers):
    """Reaps every ended worker; a list of (pid, wait status)."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        if pid in workers:
            ended.append((pid, status))


def master(listener, n_workers, host, port):
    wanted = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}
    # Signals stay blocked in the master and are taken with sigtimedwait; SIGCHLD needs a
    # handler that is not SIG_IGN so that it is delivered at all.
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    board = Board(n_workers)
    workers = {}                    # pid -> (start time, slot on the board)
    for slot in range(n_workers):
        workers[_spawn(listener, board, slot)] = (time.monotonic(), slot)
    sys.stdout.write("%s: listening on http://%s:%d/ with %d workers\n" % (NAME, host, port, n_workers))
    sys.stdout.flush()
    quick_deaths = 0
    stop = None
    while stop is None:
        info = signal.sigtimedwait(wanted, 1.0)
        if info is not None and info.si_signo in (signal.SIGTERM, signal.SIGINT):
            stop = info.si_signo
            break
        for pid, status in _reap(workers):
            started, slot = workers.pop(pid)
            board.set(slot, -1)     # not a sibling to wait for until it is back
            # A worker that keeps dying at once (a broken environment) is restarted ever
            # more slowly rather than in a tight fork loop.
            quick_deaths = quick_deaths + 1 if time.monotonic() - started < 1.0 else 0
            if quick_deaths > 3:
                time.sleep(min(5.0, 0.1 * 2 ** (quick_deaths - 3)))
            new = _spawn(listener, board, slot)
            workers[new] = (time.monotonic(), slot)
            _log("worker %d %s; restarted as %d" % (pid, _describe_status(status), new))
    _log("got signal %d, stopping %d workers" % (stop, len(workers)))
    for pid in workers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + SHUTDOWN_GRACE
    while workers:
        for pid, _ in _reap(workers):
            del workers[pid]
        left = deadline - time.monotonic()
        if not workers or left <= 0:
            break
        signal.sigtimedwait({signal.SIGCHLD}, min(left, 0.2))
    for pid in workers:
        _log("worker %d did not stop in %g s, killing it" % (pid, SHUTDOWN_GRACE))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in list(workers):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    listener.close()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "webapp.py",
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring or workloads/README.md for the routes.")
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("argument --port: expected 0 to 65535")
    if not 1 <= args.workers <= 1024:
        parser.error("argument --workers: expected 1 to 1024")
    try:
        infos = socket.getaddrinfo(args.host, args.port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
        family, _, _, _, addr = infos[0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(addr)
        listener.listen(1024)
    except OSError as e:
        sys.stderr.write("%s: cannot listen on %s:%d: %s\n" % (NAME, args.host, args.port, e))
        return 1
    port = listener.getsockname()[1]
    return master(listener, args.workers, args.host, port)


if __name__ == "__main__":
    sys.exit(main())
