from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    """Orders (支出負担行為), deliveries (納品), inspections (検収) and the
    city's budget codes (予算科目)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "procurement"
    verbose_name = _("発注・検収")

    def ready(self):
        from invoices.signals import (
            city_invoice_panels,
            invoice_accounting_defaults,
            invoices_decided,
        )
        from procurement.panels import city_invoice_match_panel
        from procurement.selectors import invoice_accounting_defaults_answer
        from procurement.services.links import invoices_decided_link

        invoice_accounting_defaults.connect(
            invoice_accounting_defaults_answer,
            dispatch_uid="procurement-invoice-accounting",
        )
        invoices_decided.connect(
            invoices_decided_link, dispatch_uid="procurement-invoice-orders"
        )
        city_invoice_panels.connect(
            city_invoice_match_panel, dispatch_uid="procurement-invoice-match"
        )
