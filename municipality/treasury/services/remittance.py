"""Remittance data (取引明細情報, Gifu model ⑧): what each transfer paid, for
the supplier's accounting software, as CSV (Excel: CP932; UTF-8 with a BOM)
or JSON, one notice or every notice of a period.

The notice number is the transfer's EDI情報 (``batches.batch_export``
writes it into the Zengin file), so the supplier's bank statement and this
file name the same transfer. Every download is recorded in the history of
the invoices it lists, like the notice's PDF."""

import csv
import io
import json
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.spreadsheets import csv_cell
from invoices.audit import events_append
from invoices.models import EventKind, Invoice
from municipality.models import PaymentNotice

CSV_CP932 = "csv-cp932"
CSV_UTF8 = "csv-utf8"
JSON = "json"
FORMATS = (CSV_CP932, CSV_UTF8, JSON)
CONTENT_TYPES = {
    CSV_CP932: "text/csv; charset=Shift_JIS",
    CSV_UTF8: "text/csv; charset=utf-8",
    JSON: "application/json",
}
EXTENSIONS = {CSV_CP932: "csv", CSV_UTF8: "csv", JSON: "json"}
JSON_VERSION = 1

# Column names accounting software maps: a file format, not translated.
# One row per invoice paid; the notice's columns repeat on each.
REMITTANCE_CSV_HEADER = (
    "支払通知番号",
    "EDI情報",
    "支払日",
    "支払者",
    "請求額合計",
    "源泉徴収税額合計",
    "振込手数料",
    "振込額",
    "請求書番号",
    "受付番号",
    "部署コード",
    "部署名",
    "請求日",
    "請求金額",
    "源泉徴収税額",
    "差引支払額",
)


def _invoice_data(invoice: Invoice) -> dict:
    addressee = invoice.snapshot.get("addressee", {})
    return {
        "number": invoice.number,
        "receipt_number": invoice.receipt_number,
        "department_code": addressee.get("department_code", ""),
        "department": addressee.get("department", ""),
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "amount": int(invoice.total),
        "withholding_tax": int(invoice.withholding_tax),
        "net_amount": int(invoice.net_total),
    }


def remittance_notice_data(notice: PaymentNotice) -> dict:
    """One notice as JSON values (integer yen, ISO dates). Its invoices
    should be prefetched (the remittance selectors do)."""
    account = notice.bank_account or {}
    return {
        "number": notice.number,
        "edi": notice.number,
        "payment_date": notice.batch.payment_date.isoformat(),
        "payer": {
            "name": notice.municipality.name,
            "local_government_code": notice.municipality.local_government_code,
        },
        "bank_account": {
            key: account.get(key, "")
            for key in (
                "bank_code",
                "branch_code",
                "account_type",
                "account_number",
                "holder_kana",
            )
        },
        "amount": int(notice.amount),
        "withholding_tax": int(notice.withholding_tax),
        "fee": int(notice.fee),
        "transfer_amount": int(notice.transfer_amount),
        "invoices": [_invoice_data(invoice) for invoice in notice.invoices.all()],
    }


def _csv(notices: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REMITTANCE_CSV_HEADER)
    for notice in notices:
        head = [
            notice["number"],
            notice["edi"],
            notice["payment_date"],
            notice["payer"]["name"],
            notice["amount"],
            notice["withholding_tax"],
            notice["fee"],
            notice["transfer_amount"],
        ]
        for invoice in notice["invoices"]:
            row = [
                *head,
                invoice["number"],
                invoice["receipt_number"],
                invoice["department_code"],
                invoice["department"],
                invoice["issue_date"],
                invoice["amount"],
                invoice["withholding_tax"],
                invoice["net_amount"],
            ]
            writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


def remittance_export(
    *, notices: Iterable[PaymentNotice], fmt: str, actor: User
) -> bytes:
    """The notices' remittance data in ``fmt`` (one of ``FORMATS``),
    recorded as a download in each listed invoice's history. A character
    CP932 lacks becomes ``?`` rather than failing (the UTF-8 file keeps
    it)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    notices = list(notices)
    data = [remittance_notice_data(notice) for notice in notices]
    with transaction.atomic():
        for notice in notices:
            events_append(
                invoices=notice.invoices.all(),
                kind=EventKind.DOWNLOADED,
                actor=actor,
                data={"format": f"remittance_{fmt}", "notice": notice.number},
            )
    if fmt == JSON:
        document = {
            "format": "remittance",
            "version": JSON_VERSION,
            "generated_at": timezone.now().isoformat(),
            "notices": data,
        }
        return json.dumps(document, ensure_ascii=False, indent=2).encode()
    text = _csv(data)
    if fmt == CSV_UTF8:
        return text.encode("utf-8-sig")
    return text.encode("cp932", errors="replace")
