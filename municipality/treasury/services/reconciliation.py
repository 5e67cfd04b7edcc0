"""The supplier's reconciliation of incoming payments (売掛金消込): read a
bank file, pair its credits with the supplier's payment notices, record
the outcome and mark the paid invoices 入金確認済 (the supplier's own
record; the city's invoice status is not touched). All or nothing: a file
with any unreadable row stores nothing."""

import csv
import hashlib
import io
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from accounts.spreadsheets import csv_cell
from invoices.audit import events_append
from invoices.models import EventKind
from municipality.models import (
    BatchStatus,
    CreditOutcome,
    IncomingCredit,
    InvoicePaymentConfirmation,
    MatchMethod,
    PaymentNotice,
    Reconciliation,
    TreasurySettings,
)
from municipality.treasury.reconciliation import matching
from municipality.treasury.reconciliation.bank_csv import CsvMapping, parse_bank_csv
from municipality.treasury.reconciliation.credits import BankFileError, ParsedFile
from municipality.treasury.reconciliation.incoming import (
    looks_like_zengin,
    parse_incoming,
)
from partners.models import Supplier

# Read and matched within the request: about 10,000 records of 200 bytes.
RECONCILIATION_MAX_MB = 2
RECONCILIATION_MAX_BYTES = RECONCILIATION_MAX_MB * 1024 * 1024
MAX_CREDITS = 5_000

ZENGIN, CSV = "zengin", "csv"

# The one move of a credit: the supplier decides an ambiguous one.
CREDIT_TRANSITIONS = {
    CreditOutcome.AMBIGUOUS: {CreditOutcome.MATCHED, CreditOutcome.UNMATCHED},
}

NOTE_LABELS = {
    matching.ALREADY: _(
        "EDI情報の支払通知は、すでに別の入金で消込済です（二重の入金か、"
        "同じ明細を再度読み込んだ可能性があります）。"
    ),
}


def _parse(data: bytes, *, kind: str, mapping: CsvMapping | None) -> ParsedFile:
    if not data.strip(b"\x1a\r\n "):
        raise BankFileError([gettext("ファイルが空です。")])
    if kind == ZENGIN:
        if not looks_like_zengin(data):
            first_line = data.split(b"\n", 1)[0]
            if b"," in first_line or b"\t" in first_line:
                raise BankFileError(
                    [
                        gettext(
                            "CSVファイルのようです。ファイルの種類で"
                            "「ネットバンキングのCSV」を選び、列を指定してください。"
                        )
                    ]
                )
            raise BankFileError(
                [
                    gettext(
                        "全銀協形式のファイルではありません（1番目のレコードが"
                        "ヘッダーではありません）。金融機関の画面で「全銀協形式」"
                        "「固定長」の振込入金通知または入出金明細を選んで"
                        "ダウンロードしてください。"
                    )
                ]
            )
        return parse_incoming(data, today=timezone.localdate())
    return parse_bank_csv(data, mapping=mapping)


def _candidates(supplier: Supplier) -> list[matching.NoticeCandidate]:
    notices = list(
        PaymentNotice.objects.filter(supplier=supplier, batch__status=BatchStatus.PAID)
        .select_related("batch", "municipality")
        .order_by("batch__payment_date", "number")
    )
    reconciled = set(
        PaymentNotice.objects.filter(
            supplier=supplier, credits__outcome=CreditOutcome.MATCHED
        ).values_list("pk", flat=True)
    )
    originators = dict(
        TreasurySettings.objects.filter(
            municipality_id__in={n.municipality_id for n in notices}
        ).values_list("municipality_id", "originator_name_kana")
    )
    return [
        matching.NoticeCandidate(
            id=n.pk,
            number=n.number,
            payment_date=n.batch.payment_date,
            transfer_amount=int(n.transfer_amount),
            payer_kanas=tuple(
                key
                for key in (
                    matching.kana_key(originators.get(n.municipality_id, "")),
                    matching.kana_key(n.municipality.name_kana),
                )
                if key
            ),
            municipality_id=n.municipality_id,
            reconciled=n.pk in reconciled,
        )
        for n in notices
    ]


def _confirm(credit: IncomingCredit, notices: Iterable[PaymentNotice], actor: User):
    """入金確認済 for every invoice of ``notices`` not confirmed yet."""
    invoices = [invoice for notice in notices for invoice in notice.invoices.all()]
    done = set(
        InvoicePaymentConfirmation.objects.filter(invoice__in=invoices).values_list(
            "invoice_id", flat=True
        )
    )
    InvoicePaymentConfirmation.objects.bulk_create(
        InvoicePaymentConfirmation(
            supplier_id=credit.supplier_id,
            invoice=invoice,
            credit=credit,
            confirmed_by=actor,
        )
        for invoice in invoices
        if invoice.pk not in done
    )


def _difference(credit_amount, notices) -> int:
    return int(credit_amount) - int(sum(n.transfer_amount for n in notices))


@transaction.atomic
def reconciliation_create(
    *,
    supplier: Supplier,
    actor: User,
    filename: str,
    data: bytes,
    kind: str,
    mapping: CsvMapping | None = None,
) -> Reconciliation:
    """Read ``data`` (``kind`` ``zengin``: a 全銀 種別01/03 file; ``csv``:
    a net-banking CSV read with ``mapping``), match every credit and store
    the outcome. Raises ``ValidationError`` listing every problem (row and
    field), in which case nothing is stored."""
    # One reconciliation of a supplier at a time: two must not pay one
    # notice twice.
    Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
    if len(data) > RECONCILIATION_MAX_BYTES:
        raise ValidationError(
            gettext("ファイルが大きすぎます。%(max)sMB以下に分けてください。")
            % {"max": RECONCILIATION_MAX_MB}
        )
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = Reconciliation.objects.filter(supplier=supplier, sha256=sha256).first()
    if earlier is not None:
        raise ValidationError(
            gettext(
                "このファイルは %(when)s に取り込み済みです。同じ入金を二重に"
                "消し込まないよう、もう一度は取り込みません。"
            )
            % {
                "when": timezone.localtime(earlier.created_at).strftime(
                    "%Y-%m-%d %H:%M"
                )
            }
        )
    try:
        parsed = _parse(data, kind=kind, mapping=mapping)
    except BankFileError as error:
        raise ValidationError(error.problems) from error
    if not parsed.credits:
        raise ValidationError(gettext("このファイルには入金がありません。"))
    if len(parsed.credits) > MAX_CREDITS:
        raise ValidationError(
            gettext(
                "入金が%(count)s件あります。1回に取り込めるのは%(max)s件までです。"
                "期間を分けてダウンロードしてください。"
            )
            % {"count": f"{len(parsed.credits):,}", "max": f"{MAX_CREDITS:,}"}
        )
    reconciliation = Reconciliation.objects.create(
        supplier=supplier,
        source=parsed.source,
        filename=filename[:255],
        size=len(data),
        sha256=sha256,
        csv_mapping=mapping.as_dict() if mapping and kind == CSV else {},
        skipped_count=parsed.skipped,
        created_by=actor,
    )
    notices = {n.pk: n for n in _candidate_notices(supplier)}
    for match in matching.match_credits(parsed.credits, _candidates(supplier)):
        credit_row = match.credit
        matched = [notices[i] for i in match.notice_ids]
        credit = IncomingCredit.objects.create(
            reconciliation=reconciliation,
            supplier=supplier,
            row=credit_row.row,
            booking_date=credit_row.booking_date,
            amount=credit_row.amount,
            payer_name=credit_row.payer_name[:100],
            edi=credit_row.edi[:100],
            description=credit_row.description[:100],
            reference=credit_row.reference[:20],
            outcome=match.outcome,
            method=match.method,
            note=match.note,
            options=[list(option) for option in match.options],
            difference=(
                _difference(credit_row.amount, matched)
                if match.outcome == CreditOutcome.MATCHED
                else 0
            ),
        )
        if match.outcome == CreditOutcome.MATCHED:
            credit.notices.set(matched)
            _confirm(credit, matched, actor)
    return reconciliation


def _candidate_notices(supplier: Supplier):
    return PaymentNotice.objects.filter(
        supplier=supplier, batch__status=BatchStatus.PAID
    ).prefetch_related("invoices")


@transaction.atomic
def reconciliation_credit_decide(
    *, credit: IncomingCredit, option: int | None, actor: User
) -> IncomingCredit:
    """The supplier's choice for an ambiguous credit: ``option`` is the
    index of one of its ``options`` (those notices are paid by it), or
    None (none of them: it stays unmatched). Raises ``ValidationError``
    when the credit was decided already or a notice was reconciled since."""
    credit = IncomingCredit.objects.select_for_update().get(pk=credit.pk)
    Supplier.objects.select_for_update().filter(pk=credit.supplier_id).first()
    target = CreditOutcome.UNMATCHED if option is None else CreditOutcome.MATCHED
    if target not in CREDIT_TRANSITIONS.get(credit.outcome, ()):
        raise ValidationError(
            gettext(
                "%(row)s行目の入金は「%(outcome)s」です。選び直すことはできません。"
                "画面を更新してください。"
            )
            % {"row": credit.row, "outcome": credit.get_outcome_display()}
        )
    credit.decided_by = actor
    credit.decided_at = timezone.now()
    if option is None:
        credit.outcome = CreditOutcome.UNMATCHED
        credit.save(update_fields=["outcome", "decided_by", "decided_at"])
        return credit
    if not 0 <= option < len(credit.options):
        raise ValidationError(gettext("候補を選んでください。"))
    ids = credit.options[option]
    notices = list(
        _candidate_notices(credit.supplier).filter(pk__in=ids).order_by("number")
    )
    if len(notices) != len(ids):
        raise ValidationError(gettext("候補の支払通知が見つかりません。"))
    taken = [
        n.number
        for n in notices
        if n.credits.filter(outcome=CreditOutcome.MATCHED).exists()
    ]
    if taken:
        raise ValidationError(
            gettext(
                "支払通知 %(numbers)s は、すでに別の入金で消込済です。"
                "ほかの候補を選ぶか、「該当なし」にしてください。"
            )
            % {"numbers": "、".join(taken)}
        )
    credit.outcome = CreditOutcome.MATCHED
    credit.method = MatchMethod.CHOSEN
    credit.difference = _difference(credit.amount, notices)
    credit.save(
        update_fields=["outcome", "method", "difference", "decided_by", "decided_at"]
    )
    credit.notices.set(notices)
    _confirm(credit, notices, actor)
    return credit


# Result CSV for the supplier's accounting software: a file format, not
# translated. One row per invoice of a matched credit, one row for any
# other credit.
RECONCILIATION_CSV_HEADER = (
    "行",
    "入金日",
    "入金額",
    "振込依頼人名",
    "EDI情報",
    "結果",
    "照合方法",
    "差額",
    "支払通知番号",
    "支払日",
    "支払者",
    "振込額",
    "請求書番号",
    "受付番号",
    "部署名",
    "請求金額",
    "源泉徴収税額",
)


def reconciliation_csv(
    *, reconciliation: Reconciliation, encoding: str, actor: User
) -> bytes:
    """The outcome as CSV in ``encoding`` (``cp932`` or ``utf-8-sig``),
    recorded as an export in the history of every invoice it lists."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RECONCILIATION_CSV_HEADER)
    listed = []
    credits = reconciliation.credits.prefetch_related(
        "notices__batch", "notices__municipality", "notices__invoices"
    ).order_by("row")
    for credit in credits:
        head = [
            credit.row,
            credit.booking_date.isoformat(),
            credit.amount,
            credit.payer_name,
            credit.edi or credit.description,
            credit.get_outcome_display(),
            credit.get_method_display() if credit.method else "",
            credit.difference if credit.outcome == CreditOutcome.MATCHED else "",
        ]
        rows = []
        for notice in credit.notices.all():
            for invoice in notice.invoices.all():
                listed.append(invoice)
                addressee = invoice.snapshot.get("addressee", {})
                rows.append(
                    [
                        notice.number,
                        notice.batch.payment_date.isoformat(),
                        notice.municipality.name,
                        notice.transfer_amount,
                        invoice.number,
                        invoice.receipt_number,
                        addressee.get("department", ""),
                        invoice.total,
                        invoice.withholding_tax,
                    ]
                )
        for row in rows or [[""] * 9]:
            writer.writerow([csv_cell(value) for value in [*head, *row]])
    with transaction.atomic():
        events_append(
            invoices=listed,
            kind=EventKind.EXPORTED,
            actor=actor,
            data={"format": "reconciliation_csv", "reconciliation": reconciliation.pk},
        )
    return out.getvalue().encode(encoding, errors="replace")
