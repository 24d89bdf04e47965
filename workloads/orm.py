"""orm: a small ORM over an in-memory sqlite3 database, the data path of a web request.

Model classes declare their columns as descriptor-instrumented fields: every assignment goes
through Field.__set__, which checks the value's type and marks the field dirty so that save()
writes only what changed. Each unit of work is one "request" as a web application would serve
it: insert a few rows, run filtered queries built from keyword lookups (views__gte=...,
title__startswith=...), hydrate the rows into model objects, change some of them and save the
dirty fields, and serialize the result to JSON with json.dumps.

This is the code a Python web service spends its time in: descriptors, small dicts, keyword
arguments, string building and C extension calls (sqlite3, json) interleaved with Python.
The types are stable but the code paths are many and short, so a JIT compiles many small
traces, each worth a little. Standard library only; the amount of work is fixed by --scale,
and the random choices come from a fixed seed.

    python3 workloads/orm.py [--scale S] [--workers N]

Unit of work: one request; 800 units per process at --scale 1.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import json  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402

NAME = "orm"
UNITS = 800
SEED = 20240611
INITIAL_AUTHORS = 50
INITIAL_ARTICLES = 2000
INITIAL_COMMENTS = 4        # per initial article
FRONT_PAGE = 200            # articles on the front page
DETAILS = 4                 # detail pages per request

_MISSING = object()


class ValidationError(TypeError):
    pass


class Field:
    """A column: a data descriptor that checks types and records changes in obj._dirty."""

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
                raise ValidationError("%s may not be None" % self.name)
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


class FloatField(Field):
    sql_type = "REAL"
    py_types = (float, int)

    def validate(self, value):
        value = Field.validate(self, value)
        return None if value is None else float(value)


class TextField(Field):
    def __init__(self, max_length=None, **kwargs):
        Field.__init__(self, **kwargs)
        self.max_length = max_length

    def validate(self, value):
        value = Field.validate(self, value)
        if value is not None and self.max_length is not None and len(value) > self.max_length:
            raise ValidationError("%s: longer than %d" % (self.name, self.max_length))
        return value


class BoolField(Field):
    sql_type = "INTEGER"
    py_types = (bool,)

    def to_sql(self, value):
        return None if value is None else int(value)

    def from_sql(self, value):
        return None if value is None else bool(value)


class ListField(TextField):
    """A list of strings stored as one comma-separated text column."""
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


_LOOKUPS = {
    "exact": "%s = ?",
    "gt": "%s > ?",
    "gte": "%s >= ?",
    "lt": "%s < ?",
    "lte": "%s <= ?",
    "ne": "%s != ?",
}


class Query:
    """A lazily built SELECT: filter(**lookups), order_by(), limit(), then all() or count()."""

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
        desc = key.startswith("-")
        name = key.lstrip("-")
        if name not in self.model._fields:
            raise KeyError(name)
        self.order = "%s %s" % (name, "DESC" if desc else "ASC")
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
        names = self.model._column_names
        cur = self.db.execute(self._sql(", ".join(names)), self.params)
        return [self.model.from_row(row) for row in cur.fetchall()]

    def first(self):
        self.limit_n = 1
        rows = self.all()
        return rows[0] if rows else None

    def count(self):
        return self.db.execute(self._sql("COUNT(*)"), self.params).fetchone()[0]


class Model:
    """Base class: collects the Field descriptors of each subclass in declaration order."""

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
            raise TypeError("unknown fields: %s" % ", ".join(sorted(values)))

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


class Author(Model):
    id = IntegerField(primary_key=True)
    name = TextField(max_length=80)
    email = TextField(max_length=120)
    age = IntegerField()
    active = BoolField(default=True)
    rating = FloatField(default=0.0)


class Article(Model):
    id = IntegerField(primary_key=True)
    author_id = IntegerField()
    title = TextField(max_length=200)
    body = TextField()
    views = IntegerField(default=0)
    score = FloatField(default=0.0)
    published = TextField(max_length=10)      # ISO date
    tags = ListField(default=None, nullable=True)


class Comment(Model):
    id = IntegerField(primary_key=True)
    article_id = IntegerField()
    author_id = IntegerField()
    text = TextField(max_length=500)
    likes = IntegerField(default=0)


WORDS = ("python", "memory", "jit", "trace", "cache", "object", "descriptor", "query",
         "request", "worker", "fork", "page", "heap", "arena", "code", "frame", "loop",
         "type", "dict", "slot")
TAGS = ("perf", "internals", "web", "db", "tutorial", "news", "release", "howto")


def _sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _new_author(rng, i):
    return Author(name=("author %d %s" % (i, rng.choice(WORDS))).title(),
                  email="author%d@example.org" % i, age=rng.randint(18, 80),
                  active=rng.random() < 0.8, rating=round(rng.uniform(0, 5), 2))


def _new_article(rng, author_id):
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return Article(author_id=author_id, title=_sentence(rng, 5).capitalize(),
                   body=_sentence(rng, 40), views=rng.randint(0, 10000),
                   score=rng.uniform(0, 100), published="2024-%02d-%02d" % (month, day),
                   tags=sorted(set(rng.choice(TAGS) for _ in range(rng.randint(0, 3)))))


def _new_comment(rng, article_id, n_authors):
    return Comment(article_id=article_id, author_id=rng.randint(1, n_authors),
                   text=_sentence(rng, 12), likes=rng.randint(0, 50))


def setup(db, rng):
    for model in (Author, Article, Comment):
        model.create_table(db)
    db.execute("CREATE INDEX article_author ON article (author_id)")
    db.execute("CREATE INDEX article_score ON article (score)")
    db.execute("CREATE INDEX comment_article ON comment (article_id)")
    for i in range(INITIAL_AUTHORS):
        _new_author(rng, i).save(db)
    for _ in range(INITIAL_ARTICLES):
        article = _new_article(rng, rng.randint(1, INITIAL_AUTHORS))
        article.save(db)
        for _ in range(INITIAL_COMMENTS):
            _new_comment(rng, article.id, INITIAL_AUTHORS).save(db)
    db.commit()


def request(db, rng, unit):
    """One request: write a little, read with filters, update what changed, render JSON."""
    n_authors = INITIAL_AUTHORS + unit // 10
    if unit % 10 == 0:
        _new_author(rng, n_authors).save(db)
        n_authors += 1
    author_id = rng.randint(1, n_authors)
    article = _new_article(rng, author_id)
    article.save(db)
    for _ in range(3):
        _new_comment(rng, article.id, n_authors).save(db)
    db.commit()

    # A listing page: one author's popular articles, with the author embedded.
    author = Author.objects(db).filter(id=author_id).first()
    listing = (Article.objects(db).filter(author_id=author_id, views__gte=rng.randint(0, 5000))
               .order_by("-score").limit(20).all())
    page = {"author": author.to_dict(), "articles": [a.to_dict() for a in listing]}

    # A front page: the best-scored articles with enough views, across all authors.
    front = (Article.objects(db).filter(views__gte=rng.randint(0, 8000))
             .order_by("-score").limit(FRONT_PAGE).all())
    page["front"] = [a.to_dict() for a in front]

    # Detail pages: an article and its comments with their authors.
    page["details"] = []
    for _ in range(DETAILS):
        detail_id = rng.randint(1, article.id)
        detail = Article.objects(db).filter(id=detail_id).first()
        comments = Comment.objects(db).filter(article_id=detail_id).order_by("id").all()
        commenters = Author.objects(db).filter(
            id__in=sorted(set(c.author_id for c in comments))).all()
        names = {a.id: a.name for a in commenters}
        page["details"].append(dict(detail.to_dict(), comments=[
            dict(c.to_dict(), author=names.get(c.author_id)) for c in comments]))

    # A search box and a count.
    prefix = rng.choice(WORDS)[:3].capitalize()
    found = Article.objects(db).filter(title__startswith=prefix, published__gte="2024-06-01")
    page["search"] = {"prefix": prefix, "count": found.count()}

    # Updates: a view counter on each listed article, a score on some; only dirty fields saved.
    for a in listing[:10]:
        a.views = a.views + 1
        if rng.random() < 0.3:
            a.score = a.score * 0.9 + 1
        a.save(db)
    if listing and rng.random() < 0.2:
        try:
            listing[0].views = "many"          # rejected by the descriptor
        except ValidationError:
            page["errors"] = 1
    db.commit()
    return json.dumps(page, sort_keys=True, separators=(",", ":"))


def work(scale, progress):
    rng = random.Random(SEED)
    db = sqlite3.connect(":memory:")
    try:
        setup(db, rng)
        size = 0
        for unit in range(_common.scaled(UNITS, scale)):
            size += len(request(db, rng, unit))
            progress.add(1)
    finally:
        db.close()
    return size


if __name__ == "__main__":
    _common.main(NAME, work, __doc__)
