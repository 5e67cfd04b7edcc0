"""Inserting many new rows with one ``COPY`` on PostgreSQL.

``bulk_create`` on PostgreSQL sends each column as one array literal, and
psycopg escapes every quote of every text element of it in Python, one
regular-expression match at a time: an issued invoice's snapshot (JSON,
hundreds of quotes each) cost an upload more than all of its checks.
``COPY`` takes the rows in its text format, escaped in C.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault

# From this many rows on, PostgreSQL gets them with one COPY rather than
# INSERTs built by the ORM; fewer go through ``bulk_create``, as do all on
# any other database.
COPY_FROM = 50


def rows_copy(table: str, columns: list[str], rows: list[Sequence]) -> list[int]:
    """Store ``rows`` (the values of ``columns`` after the first, the id)
    in ``table`` with one ``COPY``; their ids, taken from the table's
    sequence first, in list order (a caller that holds a chain's head gets
    ids that grow in chain order). Errors as Django raises them (an
    ``IntegrityError`` for a taken number)."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s))"
            " FROM generate_series(1, %s)",
            [table, columns[0], len(rows)],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids


def rows_insert(model: type[Model], rows: list[Model]) -> None:
    """``model.objects.bulk_create(rows)``: the new rows saved, their
    primary keys set, in list order. From ``COPY_FROM`` rows on, on
    PostgreSQL, with one ``COPY`` and the ids taken from the table's
    sequence first. Generated columns are not read back then (an instance
    reads them when asked); rows with an id already, or left to a database
    default (``db_default``), go through ``bulk_create``."""
    if (
        connection.vendor != "postgresql"
        or len(rows) < COPY_FROM
        or any(row.pk is not None for row in rows)
    ):
        model.objects.bulk_create(rows)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f != meta.pk]
    values = []
    for row in rows:
        # As bulk_create prepares them: a related object saved since it was
        # set gives its id, auto_now fields take the time.
        row._prepare_related_fields_for_save(operation_name="bulk_create")
        values.append([f.pre_save(row, True) for f in fields])
    if any(isinstance(v, DatabaseDefault) for row in values for v in row):
        model.objects.bulk_create(rows)
        return
    ids = rows_copy(
        meta.db_table,
        [meta.pk.column, *(f.column for f in fields)],
        [
            [
                f.get_db_prep_save(value, connection)
                for f, value in zip(fields, row_values, strict=True)
            ]
            for row_values in values
        ],
    )
    for pk, row in zip(ids, rows, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias
