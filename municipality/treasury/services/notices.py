"""Payment notices (支払通知): each notice of a paid batch is rendered to
PDF and emailed to its supplier once."""

import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.emails import email_send_template
from accounts.notifications import Notification, recipients_wanting
from invoices.pdf import render_pdf
from municipality.models import PaymentNotice
from partners.selectors import supplier_users_for


def render_payment_notice_pdf(notice: PaymentNotice) -> bytes:
    """The notice as an A4 PDF, rendered like the invoice PDF."""
    invoices = notice.invoices.select_related("department").order_by(
        "receipt_number", "pk"
    )
    return render_pdf(
        "municipality/pdf/payment_notice.html",
        {
            "notice": notice,
            "batch": notice.batch,
            "municipality": notice.municipality,
            "invoices": invoices,
        },
    )


def _notice_lock(notice_id: int) -> PaymentNotice:
    return (
        PaymentNotice.objects.select_for_update(of=("self",))
        .select_related("batch", "municipality", "supplier")
        .get(pk=notice_id)
    )


def payment_notice_deliver(*, notice_id: int) -> PaymentNotice:
    """Render the notice's PDF and email its supplier, each once: a retried
    or duplicated task finds the PDF stored and the email sent."""
    with transaction.atomic():
        notice = _notice_lock(notice_id)
        if notice.pdf and notice.sent_at:
            return notice
    if not notice.pdf:
        data = render_payment_notice_pdf(notice)
        with transaction.atomic():
            notice = _notice_lock(notice_id)
            if not notice.pdf:  # else a concurrent run stored it first
                notice.pdf.save(
                    f"{notice.municipality_id}/{notice.number}-{secrets.token_hex(8)}.pdf",
                    ContentFile(data),
                    save=False,
                )
                notice.save(update_fields=["pdf"])
    with transaction.atomic():
        notice = _notice_lock(notice_id)
        if notice.sent_at is None:
            email_send_template(
                template="payment_notice",
                key=f"payment_notice:{notice.pk}",
                to=recipients_wanting(
                    supplier_users_for(supplier=notice.supplier),
                    Notification.PAYMENT_NOTICES,
                ),
                context={"notice": notice, "batch": notice.batch},
                attachment=(
                    notice.pdf.name,
                    gettext("支払通知_%(number)s.pdf") % {"number": notice.number},
                ),
            )
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
    return notice
