"""Writing rows in bulk: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""

import json
from operator import itemgetter

from django.db import connection, models

# COPY's text format: these four characters are escaped inside values.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Dumped(str):
    """A JSON value already written as text (the canonical text whose hash
    is its content hash), so that it is serialised once; ``value`` is the
    value itself, for the databases that are not sent text."""

    value: object

    def __new__(cls, text: str, value: object):
        dumped = super().__new__(cls, text)
        dumped.value = value
        return dumped


def _escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _copy_converter(field: models.Field):
    """How ``field``'s values are written in COPY's text format."""
    if isinstance(field, models.JSONField):

        def convert(value):
            if isinstance(value, Dumped):
                return _escaped(value)
            return _escaped(json.dumps(value, ensure_ascii=False))

    elif isinstance(field, models.BooleanField):

        def convert(value):
            return "t" if value else "f"

    elif isinstance(field, models.CharField | models.TextField | models.FileField):

        def convert(value):
            return "\\N" if value is None else _escaped(value)

    elif isinstance(field, models.DateField):  # DateTimeField too

        def convert(value):
            return "\\N" if value is None else value.isoformat()

    else:

        def convert(value):
            return "\\N" if value is None else str(value)

    return convert


class Table:
    """Rows of one model, buffered as tuples in column order and written in
    bulk. Ids are given here (from the table's current maximum), so that
    rows can point at each other before they are written."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        # A generated column (the invoice's 未開封 flag) is the database's.
        self.fields = [
            f for f in model._meta.concrete_fields if not getattr(f, "generated", False)
        ]
        self.table = model._meta.db_table
        self._values = itemgetter(*[f.attname for f in self.fields])
        self.rows: list[tuple] = []
        self.written = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {self.table}")  # noqa: S608
            self.next_id = (cursor.fetchone()[0] or 0) + 1

    def id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add(self, row: dict) -> None:
        self.rows.append(self._values(row))

    def flush(self) -> None:
        if not self.rows:
            return
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        if connection.vendor == "postgresql":
            converters = [_copy_converter(f) for f in self.fields]
            text = "".join(
                "\t".join([c(v) for c, v in zip(converters, row, strict=True)]) + "\n"
                for row in self.rows
            )
            with connection.cursor() as cursor:
                copy = f"COPY {self.table} ({columns}) FROM STDIN"
                with cursor.cursor.copy(copy) as stream:
                    stream.write(text.encode())
        else:
            placeholders = ", ".join(["%s"] * len(self.fields))
            prepared = [
                [
                    f.get_db_prep_save(
                        value.value if isinstance(value, Dumped) else value, connection
                    )
                    for f, value in zip(self.fields, row, strict=True)
                ]
                for row in self.rows
            ]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {self.table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                    prepared,
                )
        self.written += len(self.rows)
        self.rows = []

    def sequence_reset(self) -> None:
        if connection.vendor != "postgresql":
            return  # SQLite takes the next id after the largest.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {self.table}))"
            )
