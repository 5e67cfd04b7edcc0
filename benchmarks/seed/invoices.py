"""The invoices' own rows: lines, tax summaries and the snapshot frozen at issue."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from benchmarks.seed.tables import Dumped
from invoices.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
    TaxCategory,
)
from invoices.snapshot import header_snapshot
from invoices.tax import invoice_totals, line_amount
from municipality.audit import canonical_json, sha256_hex
from partners.models import Connection

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


def _jst_date(moment: datetime) -> date:
    return (moment + JST).date()


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


class InvoiceRowsMixin:
    """``InvoiceSeeder``'s invoice rows (its state is the seeder's)."""

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
