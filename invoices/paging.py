"""Keyset (seek) pagination for long lists: 「次へ」 and 「前へ」 carry the
position of the last or first row shown, and the next page is read from
there through an index, so page 600 costs what page 1 costs (no OFFSET).
The number of rows is counted only up to ``COUNT_LIMIT``
(「10,000件以上」): a full COUNT of a million invoices is as slow as the
page itself.

A list's order is a sequence of ``Part``s: the rows of the first part, then
those of the second, each part in its own keys. Leading sort columns with
few values (unopened first, a deadline that may be missing) become parts,
so that within a part every key compares as a plain row value and one
index serves the page in either direction.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

# Counted exactly up to here; above it the page says 「10,000件以上」.
COUNT_LIMIT = 10_000
AFTER = "after"
BEFORE = "before"


@dataclass(frozen=True)
class Part:
    """The rows matching ``where``, ordered by ``keys``: field paths, ``-``
    for descending, never null within the part, the last one unique
    (``pk``). ``fixed``: columns that have one value (or are null) all
    through the part, ordered by first only so that the planner sees that
    an index leading with them gives the order of ``keys``."""

    where: Q = field(default_factory=Q)
    keys: tuple[str, ...] = ("-pk",)
    fixed: tuple[str, ...] = ()


def _path(key: str) -> str:
    return key.removeprefix("-")


def _value(obj: Model, key: str):
    for name in _path(key).split("__"):
        obj = getattr(obj, name)
    return obj


def _field(model: type[Model], key: str):
    *relations, name = _path(key).split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _encode(value) -> str | int:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _seek(keys: tuple[str, ...], values: list, *, forward: bool) -> Q:
    """Rows strictly after (``forward``) or before the position ``values``
    in the order ``keys``: the row comparison spelled out, plus a bound on
    the first key that an index can start from."""
    condition = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        path = _path(key)
        ascending = not key.startswith("-")
        op = "gt" if ascending == forward else "lt"
        condition |= equal & Q(**{f"{path}__{op}": value})
        equal &= Q(**{path: value})
    first_op = "gte" if (not keys[0].startswith("-")) == forward else "lte"
    return Q(**{f"{_path(keys[0])}__{first_op}": values[0]}) & condition


def _reverse(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_path(key) if key.startswith("-") else f"-{key}" for key in keys)


@dataclass
class Cursor:
    """A position in the list: the part and the keys of a row."""

    part: int
    values: list

    def token(self) -> str:
        raw = json.dumps([self.part, [_encode(v) for v in self.values]])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def of(cls, parts: list[Part], part: int, obj: Model) -> "Cursor":
        return cls(part, [_value(obj, key) for key in parts[part].keys])

    @classmethod
    def parse(cls, token: str, parts: list[Part], model: type[Model]):
        """The cursor in ``token``, or None when it is not one of this list
        (an edited or outdated link starts again at the first page)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            part, values = json.loads(raw)
            keys = parts[part].keys
            if not isinstance(values, list) or len(values) != len(keys):
                return None
            return cls(
                part,
                [
                    _field(model, key).to_python(value)
                    for key, value in zip(keys, values, strict=True)
                ],
            )
        except (
            binascii.Error,
            ValueError,
            TypeError,
            IndexError,
            ValidationError,
            FieldDoesNotExist,
        ):
            return None


class KeysetPaginator:
    """What templates read as ``paginator``: the bounded count."""

    def __init__(self, queryset: QuerySet, per_page: int):
        self.per_page = per_page
        self._queryset = queryset

    @property
    def count(self) -> int:
        if not hasattr(self, "_count"):
            # Ids only: the list's annotations stay out of the count.
            rows = self._queryset.order_by().values("pk")
            self._count = rows[: COUNT_LIMIT + 1].count()
        return self._count

    @property
    def count_capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.count > COUNT_LIMIT

    @property
    def count_limit(self) -> int:
        return COUNT_LIMIT


@dataclass
class KeysetPage:
    """What templates read as ``page_obj``: the rows and the links'
    cursors."""

    object_list: list
    has_next: bool
    has_previous: bool
    next_token: str = ""
    previous_token: str = ""

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _read(
    queryset,
    parts,
    start: Cursor | None,
    size: int,
    *,
    forward: bool,
    ids_first: bool = False,
):
    """Up to ``size`` rows from ``start`` on (or from the list's first or
    last row), as (part, row), in the walking direction; ``ids_first``:
    their order found on ids alone (``_late_rows``)."""
    rows: list[tuple[int, Model]] = []
    if forward:
        indexes = range(start.part if start else 0, len(parts))
    else:
        indexes = range(start.part if start else len(parts) - 1, -1, -1)
    for index in indexes:
        part = parts[index]
        keys = part.keys if forward else _reverse(part.keys)
        rows_here = queryset.filter(part.where)
        if start is not None and index == start.part:
            rows_here = rows_here.filter(
                _seek(part.keys, start.values, forward=forward)
            )
        # The fixed columns in the direction of the first key, so that one
        # index scan (forward or backward) gives the whole order.
        sign = "-" if keys[0].startswith("-") else ""
        order = [f"{sign}{name}" for name in part.fixed] + list(keys)
        if ids_first or any("__" in key for key in keys) or queryset.query.annotations:
            page = _late_rows(rows_here, order, size - len(rows))
        else:
            page = rows_here.order_by(*order)[: size - len(rows)]
        rows += [(index, row) for row in page]
        if len(rows) >= size:
            break
    return rows


def _late_rows(queryset: QuerySet, order: list[str], size: int) -> list[Model]:
    """The first ``size`` rows in ``order`` when it is on another table's
    column (the supplier's kana), or when the rows carry computed columns
    (the search's printed names, read from each snapshot): the order is
    found on ids alone, which an index-only scan gives, and then only these
    rows are read whole and computed."""
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[:size])
    found = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids]


def keyset_page(
    queryset: QuerySet,
    parts: list[Part],
    query,
    per_page: int,
    *,
    ids_first: bool = False,
) -> KeysetPage:
    """The page of ``queryset`` (filtered, not yet ordered) that the
    request's ``query`` (``?after=`` or ``?before=``) asks for;
    ``ids_first``: see ``_read``."""
    model = queryset.model
    after = query.get(AFTER) and Cursor.parse(query[AFTER], parts, model)
    before = not after and query.get(BEFORE)
    before = before and Cursor.parse(query[BEFORE], parts, model)
    if before:
        rows = _read(
            queryset, parts, before, per_page + 1, forward=False, ids_first=ids_first
        )
        if len(rows) > per_page:
            rows = rows[:per_page][::-1]
            return _page(parts, rows, has_next=True, has_previous=True)
        # Back at the start (rows were added or went since): the first page.
    rows = _read(
        queryset, parts, after or None, per_page + 1, forward=True, ids_first=ids_first
    )
    return _page(
        parts,
        rows[:per_page],
        has_next=len(rows) > per_page,
        has_previous=bool(after),
    )


def _page(parts, rows, *, has_next: bool, has_previous: bool) -> KeysetPage:
    objects = [row for _, row in rows]
    page = KeysetPage(objects, has_next=has_next, has_previous=has_previous)
    if rows and has_next:
        page.next_token = Cursor.of(parts, *rows[-1]).token()
    if rows and has_previous:
        page.previous_token = Cursor.of(parts, *rows[0]).token()
    return page


class KeysetListMixin:
    """For a ``ListView`` whose ``get_queryset`` returns the filtered rows
    unordered: ``keyset_parts()`` gives the order; pages by
    ``get_paginate_by``."""

    def keyset_parts(self) -> list[Part]:
        raise NotImplementedError

    def keyset_count_queryset(self, queryset: QuerySet) -> QuerySet:
        """The rows to count: ``queryset``, or the same rows described so
        that another index finds them all (a page reads the index in the
        list's order; a count wants the one that holds the fewest rows
        besides them)."""
        return queryset

    def keyset_sorted_queryset(self, queryset: QuerySet) -> QuerySet | None:
        """The rows to sort a page from instead of walking an index in the
        list's order, when that walk would pass many rows that do not
        match before the page's: the same rows, described so that an
        index holding every column the order needs finds them. None: walk."""
        return None

    def paginate_queryset(self, queryset, page_size):
        paginator = KeysetPaginator(self.keyset_count_queryset(queryset), page_size)
        sorted_rows = self.keyset_sorted_queryset(queryset)
        page = keyset_page(
            queryset if sorted_rows is None else sorted_rows,
            self.keyset_parts(),
            self.request.GET,
            page_size,
            ids_first=sorted_rows is not None,
        )
        return paginator, page, page.object_list, page.has_other_pages()
