"""Backup and restore (バックアップと復元) of the database and the stored files.

A backup is a folder: ``manifest.json``, the database (``database.dump``,
PostgreSQL's custom format, or ``database.sqlite3``) and ``media/`` with
every file a row refers to (PDFs, attachments, JP PINT XML, ZIP exports,
seals, Zengin files, payment notices), under their storage names. The
manifest lists the SHA-256 and size of every file, the database's
included, with the app's version and commit, the applied migrations and
the number of rows of every table. The database and the list of files come
from one snapshot, so each file a row refers to is in the backup.

A restore checks the manifest first (a corrupted or incomplete backup is
refused before anything is written), goes only into an empty database, and
checks afterwards that the row counts are those of the manifest, that each
stored file has the SHA-256 its row records, and that the audit chain
verifies.
"""

from operations.backup.create import backup_create
from operations.backup.manifest import BackupError
from operations.backup.restore import RestoreReport, backup_restore

__all__ = ["BackupError", "RestoreReport", "backup_create", "backup_restore"]
