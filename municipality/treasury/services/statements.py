"""The yearly summary of withholding income tax per payee (支払調書の集計):
what the city paid individuals for fees in a calendar year and withheld,
for filing 報酬、料金、契約金及び賞金の支払調書 (jp-invoice-law.md §1.6).

The file is a summary to prepare the filing with, not the filing itself:
the 支払調書 also needs each payee's 個人番号, which the portal does not
hold."""

import csv
import io

from django.db import transaction

from accounts.models import User
from accounts.spreadsheets import csv_cell
from invoices.audit import events_append
from invoices.models import EventKind
from municipality.models import Municipality
from municipality.treasury.selectors.settings import treasury_settings_get
from municipality.treasury.selectors.statements import (
    withholding_paid_invoices,
    withholding_statement_rows,
)

# Column names and values of the file: a format for the filing, in
# Japanese whoever downloads it, not translated.
WITHHOLDING_STATEMENT_HEADER = (
    "支払年",
    "支払を受ける者の氏名又は名称",
    "郵便番号",
    "住所又は所在地",
    "登録番号",
    "区分",
    "支払金額（税抜）",
    "源泉徴収税額",
    "請求書の件数",
    "支払調書の提出（支払金額5万円超）",
)
STATEMENT_KINDS = {
    "general": "報酬・料金",
    "scrivener": "司法書士・土地家屋調査士・海事代理士の報酬",
}
FILING_MARKS = {True: "要", False: "不要"}


def withholding_statement_csv(
    *, municipality: Municipality, year: int, actor: User
) -> bytes:
    """One row per payee and kind of fee paid in ``year``, in the encoding
    of the treasury settings (CP932 without them); the download is
    recorded in each invoice's history."""
    invoices = list(withholding_paid_invoices(municipality=municipality, year=year))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WITHHOLDING_STATEMENT_HEADER)
    for row in withholding_statement_rows(invoices):
        supplier = row.supplier
        values = [
            year,
            supplier.legal_name,
            supplier.postal_code,
            supplier.address,
            supplier.registration_number,
            STATEMENT_KINDS[row.kind],
            row.amount,
            row.withholding_tax,
            row.invoice_count,
            FILING_MARKS[row.must_file],
        ]
        writer.writerow([csv_cell(value) for value in values])
    with transaction.atomic():
        events_append(
            invoices=invoices,
            kind=EventKind.EXPORTED,
            actor=actor,
            data={"format": "withholding_statement", "year": year},
        )
    settings = treasury_settings_get(municipality=municipality)
    encoding = settings.csv_encoding if settings else "cp932"
    return out.getvalue().encode(encoding, errors="replace")
