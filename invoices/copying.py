"""Inserting many new rows with one ``COPY`` on PostgreSQL.

``bulk_create`` on PostgreSQL sends each column as one array literal, and
psycopg escapes every quote of every text element of it in Python, one
regular-expression match at a time: an issued invoice's snapshot (JSON,
hundreds of quotes each) cost an upload more than all of its checks.
``COPY`` takes the rows in its text format, escaped in C.
"""

from django.db import connection
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault

# From this many rows on (as the audit events' ``COPY_FROM``); fewer go
# through ``bulk_create``, as does any database but PostgreSQL.
COPY_FROM = 50


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
    table = meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in (meta.pk, *fields))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s))"
            " FROM generate_series(1, %s)",
            [table, meta.pk.column, len(rows)],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        # Errors as Django raises them (IntegrityError for a taken number).
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for pk, row_values in zip(ids, values, strict=True):
                copy.write_row(
                    [
                        pk,
                        *(
                            f.get_db_prep_save(value, connection)
                            for f, value in zip(fields, row_values, strict=True)
                        ),
                    ]
                )
    for pk, row in zip(ids, rows, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias
