"""A throwaway database for the benchmarks that measure one piece of work
beside its floor (exports, payment batches, the audit chain, CSV import):
made by Django's test-database machinery next to the configured one
(``<name>_<suffix>`` on PostgreSQL, a temporary file on SQLite) and
dropped afterwards."""

import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


@contextmanager
def throwaway_database(suffix: str):
    settings_dict = connection.settings_dict
    with tempfile.TemporaryDirectory() as directory:
        if connection.vendor == "sqlite":
            settings_dict["TEST"]["NAME"] = str(Path(directory) / "bench.sqlite3")
        else:
            settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_{suffix}"
        original = settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(original, verbosity=0)
