"""Proof that nothing changed: a fingerprint of every row of our apps,
compared before and after a refused request."""

from django.apps import apps
from django.core import mail
from django.db import connection

# The apps whose rows the fingerprint compares.
OUR_APPS = (
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "api",
    "procurement",
)


# Proof that nothing changed -------------------------------------------------


# A login sets this; it is not a change a request made.
_NOT_COMPARED = {
    "accounts.User": {"last_login"},
    # Every API call is logged, refused ones too (by design).
    "api.ApiKey": {"last_used_at"},
}
_NOT_COMPARED_MODELS = {"api.ApiCall"}


def fingerprint() -> dict[str, str]:
    """Every row of our apps (many-to-many tables too) and the mail sent,
    as text per table. Raw SQL: it runs after every role of every URL."""
    prints = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.app_label not in OUR_APPS or meta.label in _NOT_COMPARED_MODELS:
                continue
            skip = _NOT_COMPARED.get(meta.label, set())
            columns = ", ".join(
                quote(f.column) for f in meta.concrete_fields if f.name not in skip
            )
            cursor.execute(
                f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
                f"ORDER BY {quote(meta.pk.column)}"
            )
            prints[meta.label] = repr(cursor.fetchall())
    prints["mail.outbox"] = repr([m.subject for m in getattr(mail, "outbox", [])])
    return prints


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    keys = before.keys() | after.keys()
    return sorted(k for k in keys if before.get(k) != after.get(k))
