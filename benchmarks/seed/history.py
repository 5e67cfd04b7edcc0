"""The invoices and their histories, in the order they were received."""

import heapq
import time
from datetime import datetime, timedelta

from benchmarks.seed.chain import AuditChain
from benchmarks.seed.invoices import InvoiceRowsMixin, _jst_date
from benchmarks.seed.payments import Batch, PaymentBatchesMixin
from benchmarks.seed.tables import Table
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
)
from municipality.audit import chain_actor_label
from municipality.models import (
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

RETURN_EXPLANATIONS = [
    "請求金額が契約金額と一致しません。契約書を確認のうえ再発行してください。",
    "宛先の部署が誤っています。正しい部署宛てに発行してください。",
    "軽減税率の対象品目の税区分が誤っています。",
]


class InvoiceSeeder(InvoiceRowsMixin, PaymentBatchesMixin):
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

    @staticmethod
    def _move(invoice: dict, status: str, at: datetime, **fields) -> None:
        invoice["status"] = status
        invoice["updated_at"] = at
        invoice.update(fields)

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
