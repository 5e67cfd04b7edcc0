"""The payment notice PDF's head (issue 13.11): the city's address, however
long, stays in the sender's block and never runs into the recipient line
(「○○ 御中」). Checked on the rendered PDF: where pypdf finds each text."""

import io

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from municipality.models import PaymentNotice
from municipality.treasury.services.batch_moves import batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.notices import render_payment_notice_pdf
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

LONG_ADDRESS = "鹿児島県鹿屋市共栄町20番1号 鹿屋市役所本庁舎 会計管理者出納室 3階"


@pytest.fixture(autouse=True)
def _no_scopes():
    with scopes_disabled():
        yield


def _texts(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, x, y) of every piece of text on the first page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            # The text matrix's origin, in page space.
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def _notice(tenant) -> PaymentNotice:
    municipality = tenant.municipality
    municipality.postal_code = "893-8501"
    municipality.address = LONG_ADDRESS
    municipality.phone = "0994-43-2111"
    municipality.save()
    make_settings(municipality)
    batch = batch_create(
        municipality=municipality,
        payment_date=business_day_after(timezone.localdate()),
        actor=tenant.treasury,
    )
    user, connection = make_supplier(tenant.department)
    invoice = make_approved(tenant, user, connection)
    batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    batch_export(batch=batch, actor=tenant.treasury)
    return PaymentNotice.objects.get(batch=batch)


def test_the_city_address_stays_off_the_recipient_line(tenant):
    notice = _notice(tenant)
    texts = _texts(render_payment_notice_pdf(notice))
    (recipient,) = [t for t in texts if t[0].endswith("御中")]
    sender = [
        t
        for t in texts
        if t[0] == tenant.municipality.name
        or "鹿児島県" in t[0]
        or "本庁舎" in t[0]
        or t[0].startswith("電話")
    ]
    assert len(sender) >= 3, texts
    recipient_y = recipient[2]
    # Every line of the city's block is below the recipient line (PDF y
    # grows upwards), none beside it, and on the right half of the page.
    for text, x, y in sender:
        assert y < recipient_y - 10, (text, y, recipient_y)
        assert x > 250, (text, x)
    whole = "".join(t[0] for t in texts).replace(" ", "")
    assert LONG_ADDRESS.replace(" ", "") in whole
    assert notice.supplier.legal_name in recipient[0]
