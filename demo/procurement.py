"""Kanoya's demo procurement (発注・検収): budget codes of the current
fiscal year, and orders of 子育て支援課 to 株式会社おおすみ文具 in every
state, with deliveries awaiting inspection, inspected and rejected, and a
monthly invoice drafted from a unit-price contract's deliveries. Made
through the procurement services, once (nothing is changed when the first
demo order exists)."""

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import User
from invoices.services.decisions import invoice_approve
from invoices.services.drafts import LineInput, invoice_draft_save
from invoices.services.issue import invoice_issue
from municipality.fiscal import fiscal_year_bounds, fiscal_year_of
from municipality.models import BudgetCode, Municipality
from partners.models import Connection
from procurement.models import Order, OrderKind
from procurement.services.budget_codes import budget_code_save
from procurement.services.deliveries import (
    DeliveryLineInput,
    InspectionResult,
    delivery_inspect,
    delivery_record,
)
from procurement.services.invoicing import invoice_draft_from_deliveries
from procurement.services.orders import (
    OrderLineInput,
    order_ask,
    order_cancel,
    order_complete,
    order_confirm,
    order_save,
    order_send,
)

if TYPE_CHECKING:
    from demo.world import DemoSeedResult

FIRST_ORDER = "R-DEMO-001"
# The first order of the three-way match demo (added later: a database
# seeded before it gains it on the next run).
MATCH_ORDER = "R-DEMO-008"
_CODES = (
    (
        "02",
        "総務費",
        "01",
        "総務管理費",
        "01",
        "一般管理費",
        "10",
        "需用費",
        "01",
        "消耗品費",
    ),
    (
        "03",
        "民生費",
        "02",
        "児童福祉費",
        "01",
        "児童福祉総務費",
        "10",
        "需用費",
        "01",
        "消耗品費",
    ),
    (
        "03",
        "民生費",
        "02",
        "児童福祉費",
        "01",
        "児童福祉総務費",
        "13",
        "委託料",
        "",
        "",
    ),
)


def _budget_codes(municipality: Municipality, actor: User, year: int) -> list:
    codes = []
    for row in _CODES:
        fields = dict(
            zip(
                (
                    "kan",
                    "kan_name",
                    "kou",
                    "kou_name",
                    "moku",
                    "moku_name",
                    "setsu",
                    "setsu_name",
                    "saisetsu",
                    "saisetsu_name",
                ),
                row,
                strict=True,
            )
        )
        existing = BudgetCode.objects.filter(
            municipality=municipality,
            fiscal_year=year,
            account="一般会計",
            **{k: fields[k] for k in ("kan", "kou", "moku", "setsu", "saisetsu")},
        ).first()
        codes.append(
            existing
            or budget_code_save(
                municipality=municipality,
                actor=actor,
                fields={"fiscal_year": year, "account": "一般会計", **fields},
            )
        )
    return codes


def demo_procurement_ensure(
    *,
    municipality: Municipality,
    connection: Connection,
    staff: User,
    owner: User,
    admin: User,
    result: "DemoSeedResult",
) -> None:
    today = timezone.localdate()
    year = fiscal_year_of(today)
    codes = _budget_codes(municipality, admin, year)
    day = max(fiscal_year_bounds(year)[0], today - timedelta(days=14))
    supplier = connection.supplier

    def order(number, subject, *, kind=OrderKind.ONE_OFF, lines=None, **fields):
        values = {
            "kind": kind,
            "number": number,
            "order_date": day,
            "fiscal_year": year,
            "budget_code": codes[1],
            "subject": subject,
            "delivery_place": "鹿屋市役所 子育て支援課（本庁舎1階）",
            "delivery_date": today + timedelta(days=7),
            **fields,
        }
        return order_save(
            department=connection.department,
            actor=staff,
            connection=connection,
            fields=values,
            lines=lines
            or [
                OrderLineInput(
                    "コピー用紙 A4 2500枚", Decimal(10), Decimal(2800), "S", "箱"
                ),
                OrderLineInput(
                    "ボールペン 黒 10本入", Decimal(5), Decimal(900), "S", "箱"
                ),
            ],
        )

    def confirmed(o):
        return order_confirm(
            order=order_send(order=o, actor=staff), supplier=supplier, actor=owner
        )

    def deliver(o, number, quantities):
        lines = list(o.lines.order_by("position"))
        return delivery_record(
            order=o,
            supplier=supplier,
            actor=owner,
            number=number,
            delivered_on=day,
            lines=[
                DeliveryLineInput(order_line=line, quantity=Decimal(q))
                for line, q in zip(lines, quantities, strict=False)
                if Decimal(q)
            ],
        )

    def inspect(delivery, result_kind=InspectionResult.ACCEPTED, reason=""):
        return delivery_inspect(
            delivery=delivery,
            actor=staff,
            result=result_kind,
            inspected_on=min(today, day + timedelta(days=3)),
            reason=reason,
        )

    if not Order.objects.filter(municipality=municipality, number=FIRST_ORDER).exists():
        result.add("予算科目", len(codes))
        order(FIRST_ORDER, "事務用品（作成中）")
        order_send(order=order("R-DEMO-002", "事務用品（請書待ち）"), actor=staff)
        order_ask(
            order=order_send(
                order=order("R-DEMO-003", "絵本の購入（照会中）"), actor=staff
            ),
            supplier=supplier,
            actor=owner,
            message="納品は分割でもよろしいでしょうか。",
        )
        partial = confirmed(order("R-DEMO-004", "事務用品（分納）"))
        inspect(deliver(partial, "N-DEMO-0401", ["4"]))
        inspect(
            deliver(partial, "N-DEMO-0402", ["0", "5"]),
            InspectionResult.REJECTED,
            "色違い（青が納品された）。黒を改めて納品してください。",
        )
        deliver(partial, "N-DEMO-0403", ["3", "5"])  # 検収待ち
        contract = confirmed(
            order(
                "R-DEMO-005",
                "保育用品の単価契約",
                kind=OrderKind.UNIT_PRICE,
                period_start=day,
                period_end=fiscal_year_bounds(year)[1],
                ceiling_amount=Decimal(300000),
                lines=[
                    OrderLineInput("おしりふき 80枚", None, Decimal(250), "S", "個"),
                    OrderLineInput("麦茶 2L", None, Decimal(180), "AA", "本"),
                ],
            )
        )
        billed = [
            inspect(deliver(contract, "N-DEMO-0501", ["40", "24"])),
            inspect(deliver(contract, "N-DEMO-0502", ["20", "12"])),
        ]
        invoice_draft_from_deliveries(
            order=contract,
            supplier=supplier,
            actor=owner,
            delivery_ids=[d.pk for d in billed],
            number=f"DEMO-ORDER-{today:%Y%m}",
            issue_date=today,
        )
        order_cancel(
            order=order_send(
                order=order("R-DEMO-006", "事務用品（取消）"), actor=staff
            ),
            actor=staff,
            reason="予算の組み替えのため取り消します。",
        )
        done = confirmed(order("R-DEMO-007", "事務用品（完了）"))
        delivered = inspect(deliver(done, "N-DEMO-0701", ["10", "5"]))
        # Invoiced and approved: the approval carries the order's 会計年度,
        # 予算科目 and 支出負担行為番号 to the treasury (its payables and CSV).
        billed_done = invoice_draft_from_deliveries(
            order=done,
            supplier=supplier,
            actor=owner,
            delivery_ids=[delivered.pk],
            number=f"DEMO-ORDER-{today:%Y%m}-007",
            issue_date=today,
        )
        invoice_approve(
            invoice=invoice_issue(invoice=billed_done, actor=owner),
            actor=staff,
            inspection_date=today,
        )
        order_complete(order=done, actor=staff)
        result.add("発注", 7)
        result.add("納品", 7)
    if not Order.objects.filter(municipality=municipality, number=MATCH_ORDER).exists():
        _matching_demo(
            order=order,
            confirmed=confirmed,
            deliver=deliver,
            inspect=inspect,
            connection=connection,
            owner=owner,
            today=today,
            result=result,
        )


def _matching_demo(
    *, order, confirmed, deliver, inspect, connection, owner, today, result
) -> None:
    """Three issued invoices that name their orders, for the three-way
    match on the staff's invoice page: one drafted from two inspected
    deliveries (「一致」), one typed by hand billing more than was
    inspected (不一致), and one that takes a unit-price contract over its
    ceiling (契約金額の超過)."""
    supplier = connection.supplier

    def issued(number, order_number, lines):
        invoice = invoice_draft_save(
            supplier=supplier,
            actor=owner,
            connection=connection,
            fields={
                "number": number,
                "issue_date": today,
                "transaction_date": today - timedelta(days=14),
                "subject": "事務用品",
                "order_number": order_number,
            },
            lines=lines,
        )
        return invoice_issue(invoice=invoice, actor=owner)

    def generated(o, number, deliveries):
        invoice = invoice_draft_from_deliveries(
            order=o,
            supplier=supplier,
            actor=owner,
            delivery_ids=[d.pk for d in deliveries],
            number=number,
            issue_date=today,
        )
        return invoice_issue(invoice=invoice, actor=owner)

    matched = confirmed(order(MATCH_ORDER, "事務用品（照合: 一致）"))
    generated(
        matched,
        "DEMO-MATCH-1",
        [
            inspect(deliver(matched, "N-DEMO-0801", ["6", "5"])),
            inspect(deliver(matched, "N-DEMO-0802", ["4"])),
        ],
    )
    mismatched = confirmed(order("R-DEMO-009", "事務用品（照合: 不一致）"))
    inspect(deliver(mismatched, "N-DEMO-0901", ["8", "5"]))
    issued(
        "DEMO-MATCH-2",
        mismatched.number,
        [
            LineInput("コピー用紙 A4 2500枚", Decimal(10), Decimal(2800), "S", "箱"),
            LineInput("ボールペン 黒 10本入", Decimal(5), Decimal(900), "S", "箱"),
        ],
    )
    contract = confirmed(
        order(
            "R-DEMO-010",
            "おむつの単価契約（照合: 上限額の超過）",
            kind=OrderKind.UNIT_PRICE,
            period_start=matched.order_date,
            period_end=fiscal_year_bounds(matched.fiscal_year)[1],
            ceiling_amount=Decimal(50000),
            lines=[OrderLineInput("紙おむつ M", None, Decimal(250), "S", "袋")],
        )
    )
    first = inspect(deliver(contract, "N-DEMO-1001", ["100"]))
    inspect(deliver(contract, "N-DEMO-1002", ["80"]))
    generated(contract, "DEMO-MATCH-3", [first])
    # 27,500 billed already; another 100 bags take it to 55,000 (> 50,000).
    issued(
        "DEMO-MATCH-4",
        contract.number,
        [LineInput("紙おむつ M", Decimal(100), Decimal(250), "S", "袋")],
    )
    result.add("発注", 3)
    result.add("納品", 5)
    result.add("注文番号のある請求書（照合）", 4)


def procurement_highlights(*, municipality: Municipality) -> list[str]:
    """The demo line about orders, for ``seed_demo``."""
    count = Order.objects.filter(municipality=municipality).count()
    if not count:
        return []
    return [
        f"発注・検収: 子育て支援課から株式会社おおすみ文具への発注 {count}件"
        "（作成中・請書待ち・照会中・受注済・完了・取消）、検収待ちの納品、"
        "単価契約の納品から作った請求書の下書き、発注の予算科目を引き継いで承認した"
        "請求書（会計の支払対象で会計年度・予算科目で絞り込めます）"
        "（kanoya-kosodate@・supplier-owner@・kanoya-treasury@）",
        "三点照合: 請求書 DEMO-MATCH-1 は発注・検収と「一致」、DEMO-MATCH-2 は"
        "検収より多い数量の請求（不一致）、DEMO-MATCH-4 は単価契約の上限額を超える"
        "請求（kanoya-kosodate@ の受信箱から開く）",
    ]
