"""The invoices and their histories, in the order they were received."""

import heapq
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from benchmarks.seed.chain import AuditChain
from benchmarks.seed.tables import Dumped, Table
from benchmarks.seed.world import World
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
    ReceiptCounter,
    ReturnReason,
    ReturnSeverity,
    TaxCategory,
)
from invoices.snapshot import header_snapshot
from invoices.tax import invoice_totals, line_amount
from municipality.audit import canonical_json, chain_actor_label, sha256_hex
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
)
from partners.models import Connection

# About 100,000 invoices a year: 1,000,000 span ten years (the retention
# period), 100,000 one year; the smallest sizes a month, so that they have
# every status too.
INVOICES_PER_YEAR = 100_000
CHUNK = 10_000
JST = timedelta(hours=9)

# (品名, 単位, 税区分, lowest and highest unit price in yen)
ITEMS = [
    ("コピー用紙 A4", "箱", TaxCategory.STANDARD, 2500, 4800),
    ("トナーカートリッジ", "個", TaxCategory.STANDARD, 8000, 32000),
    ("保守点検業務委託料", "月", TaxCategory.STANDARD, 20000, 180000),
    ("庁舎清掃業務委託", "月", TaxCategory.STANDARD, 50000, 400000),
    ("印刷製本費", "部", TaxCategory.STANDARD, 30, 900),
    ("修繕工事", "式", TaxCategory.STANDARD, 50000, 2500000),
    ("燃料費（軽油）", "L", TaxCategory.STANDARD, 140, 180),
    ("給食用食材（野菜）", "kg", TaxCategory.REDUCED, 200, 900),
    ("お茶（ペットボトル）", "本", TaxCategory.REDUCED, 90, 160),
    ("新聞購読料", "月", TaxCategory.REDUCED, 3000, 5000),
    ("測量設計業務委託", "式", TaxCategory.STANDARD, 300000, 5000000),
    ("証明書発行手数料", "件", TaxCategory.EXEMPT, 300, 1000),
]
RETURN_EXPLANATIONS = [
    "請求金額が契約金額と一致しません。契約書を確認のうえ再発行してください。",
    "宛先の部署が誤っています。正しい部署宛てに発行してください。",
    "軽減税率の対象品目の税区分が誤っています。",
]


def _jst_date(moment: datetime) -> date:
    return (moment + JST).date()


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _date_ja(day: date) -> str:
    """As ``municipality.treasury.workflow.date_ja`` writes it in Japanese."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class Batch:
    """A municipality's payment run: created every two weeks, exported two
    hours later, paid on its payment date (a week on)."""

    id: int
    municipality_id: int
    number: str
    created_at: datetime
    exported_at: datetime
    payment_date: date
    paid_at: datetime
    sha256: str
    notices: dict[int, dict] = field(default_factory=dict)  # supplier → notice


class InvoiceSeeder:
    """Generates the invoices in the order they were received, each with
    its history until ``now``, and writes them chunk by chunk."""

    def __init__(self, *, world: World, size: int, rng, now: datetime, log):
        self.world, self.size, self.rng, self.now, self.log = (
            world,
            size,
            rng,
            now,
            log,
        )
        days = max(30.0, 365 * size / INVOICES_PER_YEAR)
        self.start = now - timedelta(days=days)
        self.step = (now - self.start) / size
        self.tables = {
            model: Table(model)
            for model in (
                PaymentBatch,
                Invoice,
                InvoiceLine,
                InvoiceTaxSummary,
                PaymentBatchItem,
                PaymentNotice,
                PaymentNotice.invoices.through,
                InvoiceEvent,
            )
        }
        self.chain = AuditChain()
        self.pending: list[tuple[datetime, int, dict]] = []  # events, by time
        self.sequence = 0
        self.receipts: dict[tuple[int, int], int] = {}
        self.batches: dict[tuple[int, int], Batch] = {}
        self.open_batches: list[Batch] = []
        self.batch_numbers: dict[tuple[int, int], int] = {}
        self.municipality_of = {d.pk: d.municipality_id for d in world.departments}
        self.departments = {d.pk: d for d in world.departments}
        self.municipalities = {m.pk: m for m in world.municipalities}
        self.addressees = {
            d.pk: {
                "municipality": self.municipalities[d.municipality_id].name,
                "local_government_code": self.municipalities[
                    d.municipality_id
                ].local_government_code,
                "department": d.name,
                "department_code": d.code,
            }
            for d in world.departments
        }
        self.supplier_snapshots = {
            s.pk: {
                "name": s.legal_name,
                "name_kana": s.name_kana,
                "legal_form": s.legal_form,
                "registration_number": s.registration_number,
                "corporate_number": s.corporate_number,
                "postal_code": s.postal_code,
                "address": s.address,
                "phone": s.phone,
                "tax_rounding": s.tax_rounding,
                "seal_image": "",
            }
            for s in world.suppliers.values()
        }
        self.labels = {
            user.pk: chain_actor_label(user)
            for user in [
                *world.department_staff.values(),
                *world.treasury.values(),
                *world.owners.values(),
            ]
        }
        # Some suppliers send many invoices, most a few.
        self.weights = [
            min(rng.paretovariate(1.2), 50.0) for _ in range(len(world.connections))
        ]

    # Events are appended to a heap and written in time order, which is the
    # chain's order (and the order of their ids).
    def event(self, *, at: datetime, invoice: dict, kind: str, actor_id, **rest):
        self.sequence += 1
        row = {
            "invoice_id": invoice["id"],
            "municipality_id": invoice["municipality_id"],
            "kind": kind,
            "actor_id": actor_id,
            "actor_label": self.labels[actor_id],
            "from_status": rest.get("from_status", ""),
            "to_status": rest.get("to_status", ""),
            "reason": rest.get("reason", ""),
            "data": rest.get("data", {}),
            "content_hash": invoice["content_hash"],
            "created_at": at,
        }
        heapq.heappush(self.pending, (at, self.sequence, row))

    def events_flush(self, until: datetime) -> None:
        events = self.tables[InvoiceEvent]
        while self.pending and self.pending[0][0] <= until:
            _, _, row = heapq.heappop(self.pending)
            row["id"] = events.id()
            self.chain.link(row)
            events.add(row)

    def batch_for(self, municipality_id: int, approved_at: datetime) -> Batch:
        """The first batch of the municipality created after ``approved_at``."""
        period = timedelta(days=14)
        k = int((approved_at - self.start) / period) + 1
        key = (municipality_id, k)
        if key not in self.batches:
            created = self.start + k * period
            year = _jst_date(created).year
            counter = (municipality_id, year)
            self.batch_numbers[counter] = self.batch_numbers.get(counter, 0) + 1
            number = f"{year}-{self.batch_numbers[counter]:04d}"
            payment_date = _jst_date(created) + timedelta(days=7)
            batch = Batch(
                id=self.tables[PaymentBatch].id(),
                municipality_id=municipality_id,
                number=number,
                created_at=created,
                exported_at=created + timedelta(hours=2),
                payment_date=payment_date,
                paid_at=datetime.combine(payment_date, datetime.min.time(), UTC)
                + timedelta(hours=6),
                sha256=sha256_hex(f"{municipality_id}/{number}"),
            )
            self.batches[key] = batch
            self.open_batches.append(batch)
        return self.batches[key]

    def invoice(self, i: int, connection_: Connection) -> None:
        rng = self.rng
        supplier_id = connection_.supplier_id
        supplier = self.world.suppliers[supplier_id]
        municipality_id = connection_.municipality_id
        received = self.start + self.step * (i + rng.random())
        created = received - timedelta(minutes=rng.randint(5, 600))
        day = _jst_date(received)
        fiscal_year = _fiscal_year(day)
        key = (municipality_id, fiscal_year)
        self.receipts[key] = self.receipts.get(key, 0) + 1
        invoice_id = self.tables[Invoice].id()
        price_basis = supplier.default_price_basis
        lines = []
        for position in range(1, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)) + 1):
            description, unit, category, low, high = rng.choice(ITEMS)
            quantity = Decimal(rng.randint(1, 40)).quantize(Decimal("0.001"))
            unit_price = Decimal(rng.randint(low, high)).quantize(Decimal("0.001"))
            amount = line_amount(
                quantity=quantity, unit_price=unit_price, rounding=supplier.tax_rounding
            )
            lines.append(
                {
                    "id": self.tables[InvoiceLine].id(),
                    "invoice_id": invoice_id,
                    "position": position,
                    "description": description,
                    "note": "",
                    "delivery_number": "",
                    "quantity": quantity,
                    "unit": unit,
                    "unit_price": unit_price,
                    "tax_category": category,
                    "amount": amount,
                    "withholding": False,
                }
            )
        totals = invoice_totals(
            lines=[(line["tax_category"], line["amount"]) for line in lines],
            price_basis=price_basis,
            rounding=supplier.tax_rounding,
        )
        issue_date = day - timedelta(days=rng.randint(0, 3))
        transaction_date = issue_date - timedelta(days=rng.randint(0, 30))
        invoice = {
            "id": invoice_id,
            "municipality_id": municipality_id,
            "department_id": connection_.department_id,
            "supplier_id": supplier_id,
            "connection_id": connection_.pk,
            "status": InvoiceStatus.ISSUED,
            "number": f"B{supplier_id:05d}-{i + 1:07d}",
            "receipt_number": f"{fiscal_year}-{self.receipts[key]:06d}",
            "issue_date": issue_date,
            "transaction_date": transaction_date,
            "transaction_end_date": (
                transaction_date + timedelta(days=27) if rng.random() < 0.1 else None
            ),
            "due_date": issue_date + timedelta(days=30),
            "subject": f"{transaction_date.month}月分 {lines[0]['description']}",
            "order_number": "",
            "notes": "",
            "price_basis": price_basis,
            "withholding_kind": "general",
            "corrects_id": None,
            "subtotal": totals.subtotal,
            "tax_total": totals.tax_total,
            "total": totals.total,
            "withholding_base": Decimal(0),
            "withholding_tax": Decimal(0),
            "received_at": received,
            "opened_at": None,
            "opened_by_id": None,
            "returned_at": None,
            "return_reason": "",
            "return_explanation": "",
            "return_severity": "",
            "approved_at": None,
            "inspection_date": None,
            "withdrawn_at": None,
            "payment_deadline": day
            + timedelta(days=self.municipalities[municipality_id].payment_days),
            "created_by_id": self.world.owners[supplier_id].pk,
            "created_at": created,
            "updated_at": received,
        }
        summaries = [
            {
                "id": self.tables[InvoiceTaxSummary].id(),
                "invoice_id": invoice_id,
                "tax_category": bucket.category,
                "rate": bucket.rate.quantize(Decimal("0.001")),
                "taxable_amount": bucket.taxable_amount,
                "tax_amount": bucket.tax_amount,
            }
            for bucket in totals.buckets
        ]
        # invoices.snapshot.content_hash, keeping the canonical text to
        # write (serialised once).
        snapshot = self.snapshot(invoice, lines, summaries)
        text = canonical_json(snapshot)
        invoice["snapshot"] = Dumped(text, snapshot)
        invoice["content_hash"] = sha256_hex(text)
        self.history(invoice)
        self.tables[Invoice].add(invoice)
        for line in lines:
            self.tables[InvoiceLine].add(line)
        for summary in summaries:
            self.tables[InvoiceTaxSummary].add(summary)

    def snapshot(self, invoice: dict, lines: list[dict], summaries: list[dict]):
        """As ``invoices.snapshot.invoice_snapshot`` freezes it at issue."""
        return {
            **header_snapshot(SimpleNamespace(**invoice)),
            "supplier": self.supplier_snapshots[invoice["supplier_id"]],
            "addressee": self.addressees[invoice["department_id"]],
            "bank_account": self.world.accounts[invoice["supplier_id"]],
            "corrects": None,
            "lines": [
                {
                    "position": line["position"],
                    "description": line["description"],
                    "quantity": str(line["quantity"]),
                    "unit": line["unit"],
                    "unit_price": str(line["unit_price"]),
                    "tax_category": line["tax_category"],
                    "amount": str(line["amount"]),
                }
                for line in lines
            ],
            "subtotal": str(invoice["subtotal"]),
            "tax_total": str(invoice["tax_total"]),
            "total": str(invoice["total"]),
            "tax_summaries": [
                {
                    "tax_category": s["tax_category"],
                    "rate": str(s["rate"]),
                    "taxable_amount": str(s["taxable_amount"]),
                    "tax_amount": str(s["tax_amount"]),
                }
                for s in sorted(summaries, key=lambda s: s["tax_category"])
            ],
        }

    def history(self, invoice: dict) -> None:
        """The invoice's life until now, as the services record it."""
        rng, now, S = self.rng, self.now, InvoiceStatus  # noqa: N806
        received = invoice["received_at"]
        owner = self.world.owners[invoice["supplier_id"]].pk
        ms = timedelta(milliseconds=3)
        self.event(
            at=received + ms,
            invoice=invoice,
            kind=EventKind.ISSUED,
            actor_id=owner,
            from_status=S.DRAFT,
            to_status=S.ISSUED,
        )
        if rng.random() < 0.005:  # withdrawn before anyone opened it
            withdrawn = received + timedelta(hours=rng.uniform(0.5, 20))
            if withdrawn < now:
                self._move(invoice, S.WITHDRAWN, withdrawn, withdrawn_at=withdrawn)
                self.event(
                    at=withdrawn,
                    invoice=invoice,
                    kind=EventKind.WITHDRAWN,
                    actor_id=owner,
                    from_status=S.ISSUED,
                    to_status=S.WITHDRAWN,
                )
            return
        staff = self.world.department_staff[invoice["department_id"]]
        opened = received + timedelta(minutes=5, days=rng.expovariate(1 / 1.5))
        if opened > now:
            return
        self._move(invoice, S.OPENED, opened, opened_at=opened, opened_by_id=staff.pk)
        self.event(
            at=opened,
            invoice=invoice,
            kind=EventKind.OPENED,
            actor_id=staff.pk,
            from_status=S.ISSUED,
            to_status=S.OPENED,
        )
        decided = opened + timedelta(days=rng.uniform(0.1, 8))
        if decided > now:
            return
        # Returning or approving looks at the invoice first (a 閲覧 event).
        self.event(
            at=decided, invoice=invoice, kind=EventKind.VIEWED, actor_id=staff.pk
        )
        decided += ms
        if rng.random() < 0.04:
            reason = rng.choice(list(ReturnReason))
            explanation = rng.choice(RETURN_EXPLANATIONS)
            self._move(
                invoice,
                S.RETURNED,
                decided,
                returned_at=decided,
                return_reason=reason,
                return_explanation=explanation,
                return_severity=ReturnSeverity.MINOR,
            )
            self.event(
                at=decided,
                invoice=invoice,
                kind=EventKind.RETURNED,
                actor_id=staff.pk,
                from_status=S.OPENED,
                to_status=S.RETURNED,
                reason=explanation,
                data={"reason": reason, "severity": ReturnSeverity.MINOR},
            )
            return
        inspection = _jst_date(decided)
        self._move(
            invoice,
            S.APPROVED,
            decided,
            approved_at=decided,
            inspection_date=inspection,
        )
        self.event(
            at=decided,
            invoice=invoice,
            kind=EventKind.APPROVED,
            actor_id=staff.pk,
            from_status=S.OPENED,
            to_status=S.APPROVED,
            data={"inspection_date": inspection.isoformat()},
        )
        self.payment(invoice)

    def payment(self, invoice: dict) -> None:
        now, S = self.now, InvoiceStatus  # noqa: N806
        batch = self.batch_for(invoice["municipality_id"], invoice["approved_at"])
        if batch.created_at > now:
            return
        treasurer = self.world.treasury[invoice["municipality_id"]].pk
        self.tables[PaymentBatchItem].add(
            {
                "id": self.tables[PaymentBatchItem].id(),
                "batch_id": batch.id,
                "municipality_id": invoice["municipality_id"],
                "invoice_id": invoice["id"],
                "active": True,
                "added_at": batch.created_at,
            }
        )
        self.event(
            at=batch.created_at,
            invoice=invoice,
            kind=EventKind.BATCH,
            actor_id=treasurer,
            reason=f"支払バッチ {batch.number}（支払日 "
            f"{_date_ja(batch.payment_date)}）に入れました。",
            data={"batch": batch.number, "step": "added"},
        )
        if batch.exported_at > now:
            return
        notice = batch.notices.get(invoice["supplier_id"])
        if notice is None:
            notice = batch.notices[invoice["supplier_id"]] = {
                "id": self.tables[PaymentNotice].id(),
                "number": f"{batch.number}-{len(batch.notices) + 1:03d}",
                "amount": Decimal(0),
                "invoices": [],
            }
        notice["amount"] += invoice["total"]
        notice["invoices"].append(invoice["id"])
        self._move(invoice, S.SCHEDULED, batch.exported_at)
        self.event(
            at=batch.exported_at,
            invoice=invoice,
            kind=EventKind.SCHEDULED,
            actor_id=treasurer,
            from_status=S.APPROVED,
            to_status=S.SCHEDULED,
            reason=f"支払バッチ {batch.number} の振込データを作成しました"
            f"（支払日 {_date_ja(batch.payment_date)}、支払通知 {notice['number']}）。",
            data={
                "batch": batch.number,
                "notice": notice["number"],
                "payment_date": batch.payment_date.isoformat(),
                "format": "zengin",
                "sha256": batch.sha256,
            },
        )
        if batch.paid_at > now:
            return
        self._move(invoice, S.PAID, batch.paid_at)
        self.event(
            at=batch.paid_at,
            invoice=invoice,
            kind=EventKind.PAID,
            actor_id=treasurer,
            from_status=S.SCHEDULED,
            to_status=S.PAID,
            reason=f"{_date_ja(batch.payment_date)} に支払いました"
            f"（支払通知 {notice['number']}）。",
            data={
                "batch": batch.number,
                "notice": notice["number"],
                "payment_date": batch.payment_date.isoformat(),
            },
        )

    @staticmethod
    def _move(invoice: dict, status: str, at: datetime, **fields) -> None:
        invoice["status"] = status
        invoice["updated_at"] = at
        invoice.update(fields)

    def batches_close(self, until: datetime | None) -> None:
        """Write the batches no later invoice can join (created before
        ``until``; all of them when ``until`` is None), with their notices."""
        still_open = []
        for batch in self.open_batches:
            if until is not None and batch.created_at > until:
                still_open.append(batch)
                continue
            self.batch_write(batch)
        self.open_batches = still_open

    def batch_write(self, batch: Batch) -> None:
        now = self.now
        if batch.created_at > now:
            return  # not created yet: its invoices stay approved
        status = (
            BatchStatus.PAID
            if batch.paid_at <= now
            else BatchStatus.EXPORTED
            if batch.exported_at <= now
            else BatchStatus.DRAFT
        )
        exported = status != BatchStatus.DRAFT
        treasurer = self.world.treasury[batch.municipality_id].pk
        self.tables[PaymentBatch].add(
            {
                "id": batch.id,
                "municipality_id": batch.municipality_id,
                "number": batch.number,
                "payment_date": batch.payment_date,
                "status": status,
                "four_eyes": False,
                "created_by_id": treasurer,
                "approved_by_id": None,
                "approved_at": None,
                "exported_at": batch.exported_at if exported else None,
                "zengin_file": "",
                "zengin_sha256": batch.sha256 if exported else "",
                "paid_at": batch.paid_at if status == BatchStatus.PAID else None,
                "cancelled_at": None,
                "cancel_reason": "",
                "created_at": batch.created_at,
                # As batches made before the fiscal-year rule: not fixed.
                "fiscal_year": None,
            }
        )
        through = self.tables[PaymentNotice.invoices.through]
        for supplier_id, notice in batch.notices.items():
            self.tables[PaymentNotice].add(
                {
                    "id": notice["id"],
                    "batch_id": batch.id,
                    "municipality_id": batch.municipality_id,
                    "supplier_id": supplier_id,
                    "number": notice["number"],
                    "bank_account": self.world.accounts[supplier_id],
                    "amount": notice["amount"],
                    "withholding_tax": Decimal(0),
                    "fee": Decimal(0),
                    "transfer_amount": notice["amount"],
                    "pdf": "",
                    "sent_at": batch.paid_at if status == BatchStatus.PAID else None,
                }
            )
            for invoice_id in notice["invoices"]:
                through.add(
                    {
                        "id": through.id(),
                        "paymentnotice_id": notice["id"],
                        "invoice_id": invoice_id,
                    }
                )

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()

    def run(self) -> None:
        connections = self.world.connections
        chosen: list[Connection] = []
        started = time.perf_counter()
        for i in range(self.size):
            if not chosen:
                chosen = self.rng.choices(connections, self.weights, k=CHUNK)
            self.invoice(i, chosen.pop())
            if (i + 1) % CHUNK == 0:
                self.chunk_end(self.start + self.step * (i + 1))
                if (i + 1) % (CHUNK * 10) == 0:
                    rate = (i + 1) / (time.perf_counter() - started)
                    self.log(f"  {i + 1:,} invoices ({rate:,.0f}/s)")
        self.events_flush(self.now)
        self.batches_close(None)
        self.flush()
        for table in self.tables.values():
            table.sequence_reset()
        self.chain.heads_save()
        ReceiptCounter.objects.bulk_create(
            [
                ReceiptCounter(municipality_id=m, fiscal_year=fy, last=last)
                for (m, fy), last in self.receipts.items()
            ]
        )

    def chunk_end(self, until: datetime) -> None:
        self.events_flush(until)
        self.batches_close(until)
        self.flush()
