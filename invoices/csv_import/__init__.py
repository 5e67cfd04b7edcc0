"""CSV bulk upload of invoices (一括アップロード).

One row per invoice line; the rows with the same 請求書番号 form one
invoice. ``csv_parse`` decodes and checks a whole file without writing
anything, and describes every invoice it would create and every problem,
at the row and column Excel shows. ``csv_import`` parses the file again and
creates the invoices with the rules of screen entry, in bulk (the services'
``drafts_build``, ``drafts_insert``, ``invoices_issue_built``), in one
transaction.

One module per step, in the order a file goes through them:

- ``decoding``: bytes to rows of text (encoding, "is this a CSV at all");
- ``header``: the columns of the format and the header row;
- ``cells``: one row's cells read into values;
- ``assembly``: rows grouped into invoices, addressees, numbers already
  used, totals; ``csv_parse``;
- ``writing``: ``csv_import`` through the services, ``csv_issue_problems``,
  ``preview_json``;
- ``results``: what parsing gives (``ParseResult``, ``RowError``, …).

Import from this package, not from its modules: names with a leading
underscore are shared between the modules only.
"""

from invoices.csv_import.assembly import csv_parse
from invoices.csv_import.cells import TAX_CATEGORY_LABELS
from invoices.csv_import.decoding import ENCODING_LABELS
from invoices.csv_import.header import COLUMNS
from invoices.csv_import.results import (
    CsvImportError,
    ParsedInvoice,
    ParseResult,
    RowError,
)
from invoices.csv_import.writing import csv_import, csv_issue_problems, preview_json

__all__ = [
    "COLUMNS",
    "ENCODING_LABELS",
    "TAX_CATEGORY_LABELS",
    "CsvImportError",
    "ParseResult",
    "ParsedInvoice",
    "RowError",
    "csv_import",
    "csv_issue_problems",
    "csv_parse",
    "preview_json",
]
