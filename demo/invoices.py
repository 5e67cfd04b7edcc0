"""The demo's invoices, made through the same services people use (the
entry form's ``invoice_draft_save`` and ``invoice_issue``, the inbox's
``invoice_approve``…), so their histories, PDFs and audit chain are real.

- 株式会社おおすみ文具 → 子育て支援課: one invoice in every state
  (``DEMO-0001``…``DEMO-0006``, a returned one with its correction), and
  ``DEMO-0007`` with a discount line (値引き), approved for payment.
- 山田設計事務所, a sole proprietor (個人事業主) → 建築住宅課:
  ``YAMADA-0001``, issued, its fee lines subject to withholding income tax
  (源泉徴収). Before it is issued the office gets its seal image (印影)
  and a bank account.

Each invoice is looked up by its number: one that exists is left as the
demo made it.
"""

import dataclasses
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from demo.seal import seal_png
from invoices.models import Invoice, ReturnReason, ReturnSeverity, WithholdingKind
from invoices.services.decisions import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
    invoice_withdraw,
)
from invoices.services.drafts import LineInput, invoice_copy, invoice_draft_save
from invoices.services.issue import invoice_issue
from partners.images import seal_image_clean
from partners.models import BankAccount, Connection, LegalForm, Supplier
from partners.services.bank_accounts import bank_account_create
from partners.services.profile import SUPPLIER_PROFILE_FIELDS, supplier_profile_update

if TYPE_CHECKING:
    from demo.world import DemoSeedResult

# 鹿児島銀行 鹿屋支店 (0185-500): the demo invoices carry a real bank and
# branch from the Zengin master, with invented account numbers.
_OSUMI_BANK_ACCOUNT = {
    "bank_code": "0185",
    "branch_code": "500",
    "account_type": "1",
    "account_number": "1234567",
    "holder_input": "カブシキガイシャオオスミブング",
}
# A sole proprietor's account is in the owner's own name.
_YAMADA_BANK_ACCOUNT = {
    "bank_code": "0185",
    "branch_code": "500",
    "account_type": "1",
    "account_number": "2345678",
    "holder_input": "ヤマダ タロウ",
}

# (number, status to reach, subject) for おおすみ文具 → 子育て支援課.
_DEMO_INVOICES = (
    ("DEMO-0001", "draft", "11月分 事務用品（作成中）"),
    ("DEMO-0002", "issued", "10月分 事務用品"),
    ("DEMO-0003", "opened", "保育所用 画用紙・クレヨン"),
    ("DEMO-0004", "returned", "9月分 事務用品"),
    ("DEMO-0005", "approved", "8月分 事務用品"),
    ("DEMO-0006", "withdrawn", "重複して送った請求書"),
)

DISCOUNT_INVOICE_NUMBER = "DEMO-0007"
WITHHOLDING_INVOICE_NUMBER = "YAMADA-0001"

# 設計料 are fees of 所得税法204条①二: every line is subject to
# withholding (expenses the office passes on are part of the fee).
_WITHHOLDING_LINES = (
    LineInput(
        "基本設計業務（市営住宅 外壁改修）",
        Decimal(1),
        Decimal(300000),
        "S",
        "式",
        withholding=True,
    ),
    LineInput(
        "現地調査・打合せ",
        Decimal(2),
        Decimal(15000),
        "S",
        "回",
        note="10月8日・10月22日",
        withholding=True,
    ),
)

# A discount (値引き) is a line with a negative unit price.
_DISCOUNT_LINES = (
    LineInput("学習ノート B5 10冊パック", Decimal(30), Decimal(980), "S", "パック"),
    LineInput("色鉛筆 24色", Decimal(20), Decimal(1650), "S", "箱"),
    LineInput(
        "まとめ買い値引き",
        Decimal(1),
        Decimal(-3000),
        "S",
        "式",
        note="50点以上のご注文",
    ),
)


def _period(today: date) -> dict:
    return {
        "issue_date": today,
        "transaction_date": date(today.year, today.month, 1),
        "transaction_end_date": today,
        "price_basis": "exclusive",
    }


def _bank_account_ensure(
    supplier: Supplier, owner: User, values: dict, result: "DemoSeedResult"
) -> None:
    if not BankAccount.objects.filter(supplier=supplier).exists():
        bank_account_create(supplier=supplier, actor=owner, **values)
        result.add("振込先口座")


def demo_invoices_ensure(
    *,
    supplier: Supplier,
    owner: User,
    staff: User,
    connection: Connection,
    result: "DemoSeedResult",
) -> None:
    """おおすみ文具's invoices in every state (``_DEMO_INVOICES``)."""
    _bank_account_ensure(supplier, owner, _OSUMI_BANK_ACCOUNT, result)
    lines = [
        LineInput("コピー用紙 A4 500枚×5冊", Decimal(10), Decimal(2480), "S", "箱"),
        LineInput("ボールペン 黒 10本入", Decimal(5), Decimal("880"), "S", "箱"),
        LineInput("お茶 500ml（来客用）", Decimal(24), Decimal(108), "AA", "本"),
    ]
    today = timezone.localdate()
    for number, status, subject in _DEMO_INVOICES:
        if Invoice.objects.filter(supplier=supplier, number=number).exists():
            continue
        invoice = invoice_draft_save(
            supplier=supplier,
            actor=owner,
            connection=connection,
            fields={
                "number": number,
                **_period(today),
                "subject": subject,
                "notes": "いつもありがとうございます。",
            },
            lines=lines,
        )
        result.add("請求書")
        if status == "draft":
            continue
        invoice = invoice_issue(invoice=invoice, actor=owner)
        if status == "withdrawn":
            invoice_withdraw(invoice=invoice, actor=owner)
        elif status == "opened":
            invoice_view_record(invoice=invoice, actor=staff)
        elif status == "approved":
            invoice_approve(invoice=invoice, actor=staff, inspection_date=today)
        elif status == "returned":
            invoice = invoice_return(
                invoice=invoice,
                actor=staff,
                reason=ReturnReason.AMOUNT,
                explanation="ボールペンの数量が納品書（4箱）と異なります。"
                "数量を直した請求書を発行してください。",
                severity=ReturnSeverity.MINOR,
            )
            correction = invoice_copy(invoice=invoice, actor=owner, corrects=True)
            fixed = [
                lines[0],
                dataclasses.replace(lines[1], quantity=Decimal(4)),
                lines[2],
            ]
            correction = invoice_draft_save(
                supplier=supplier,
                actor=owner,
                connection=connection,
                invoice=correction,
                fields={"subject": f"{subject}（訂正）"},
                lines=fixed,
            )
            invoice_issue(invoice=correction, actor=owner)
            result.add("請求書")


def discount_invoice_ensure(
    *,
    supplier: Supplier,
    owner: User,
    staff: User,
    connection: Connection,
    result: "DemoSeedResult",
) -> Invoice | None:
    """``DEMO-0007`` with a discount line, issued and approved; returned
    only when made now (the treasury's demo batch pays it)."""
    if Invoice.objects.filter(
        supplier=supplier, number=DISCOUNT_INVOICE_NUMBER
    ).exists():
        return None
    today = timezone.localdate()
    invoice = invoice_draft_save(
        supplier=supplier,
        actor=owner,
        connection=connection,
        fields={
            "number": DISCOUNT_INVOICE_NUMBER,
            **_period(today),
            "subject": "学用品（まとめ買い値引きあり）",
            "notes": "まとめ買いの値引きをしております。",
        },
        lines=list(_DISCOUNT_LINES),
    )
    invoice = invoice_issue(invoice=invoice, actor=owner)
    invoice = invoice_approve(invoice=invoice, actor=staff, inspection_date=today)
    result.add("値引きのある請求書")
    return invoice


def _sole_proprietor_ensure(supplier: Supplier, result: "DemoSeedResult") -> Supplier:
    """山田設計事務所 as a sole proprietor with a seal, through the
    profile page's service. A demo database seeded before the seed knew
    the legal form (事業者の区分) has it as a corporation."""
    individual = supplier.legal_form == LegalForm.INDIVIDUAL
    if individual and supplier.seal_image:
        return supplier
    seal = None
    if not supplier.seal_image:
        png = seal_png(text="山田")
        seal = seal_image_clean(ContentFile(png, name="yamada-seal.png"))
    supplier = supplier_profile_update(
        supplier=supplier,
        data={
            **{name: getattr(supplier, name) for name in SUPPLIER_PROFILE_FIELDS},
            "legal_form": LegalForm.INDIVIDUAL,
        },
        seal=seal,
    )
    if not individual:
        result.add("事業者の区分（個人事業主）")
    if seal is not None:
        result.add("印影")
    return supplier


def withholding_invoice_ensure(
    *,
    supplier: Supplier,
    owner: User,
    connection: Connection,
    result: "DemoSeedResult",
) -> None:
    """``YAMADA-0001``: a sole proprietor's fees, issued, with withholding
    income tax deducted from what the city transfers (差引請求額)."""
    if Invoice.objects.filter(
        supplier=supplier, number=WITHHOLDING_INVOICE_NUMBER
    ).exists():
        return
    supplier = _sole_proprietor_ensure(supplier, result)
    _bank_account_ensure(supplier, owner, _YAMADA_BANK_ACCOUNT, result)
    invoice = invoice_draft_save(
        supplier=supplier,
        actor=owner,
        connection=connection,
        fields={
            "number": WITHHOLDING_INVOICE_NUMBER,
            **_period(timezone.localdate()),
            "subject": "市営住宅 外壁改修の基本設計業務",
            "withholding_kind": WithholdingKind.GENERAL,
            "notes": "源泉徴収税額を差し引いた差引請求額をお振り込みください。",
        },
        lines=list(_WITHHOLDING_LINES),
    )
    invoice_issue(invoice=invoice, actor=owner)
    result.add("源泉徴収のある請求書")
