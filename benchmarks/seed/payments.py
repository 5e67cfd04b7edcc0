"""Payment batches and their notices: the runs approved invoices are paid in."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from benchmarks.seed.invoices import _jst_date
from invoices.models import EventKind, InvoiceStatus
from municipality.audit import sha256_hex
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
)


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


class PaymentBatchesMixin:
    """``InvoiceSeeder``'s payment batches (its state is the seeder's)."""

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
