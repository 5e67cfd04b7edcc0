from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeppolConfig(AppConfig):
    """JP PINT (Peppol) invoices: UBL out and in, validation with the
    official artefacts, and the access-point adapter (AS4 transport is left
    to a certified access point)."""

    name = "peppol"
    verbose_name = _("デジタルインボイス（JP PINT）")

    def ready(self):
        from invoices.signals import invoices_decided
        from peppol.access_point.services import invoices_decided_respond

        invoices_decided.connect(
            invoices_decided_respond, dispatch_uid="peppol-invoice-responses"
        )
