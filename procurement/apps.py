from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    """Orders (支出負担行為), deliveries (納品), inspections (検収) and the
    city's budget codes (予算科目)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "procurement"
    verbose_name = _("発注・検収")

    def ready(self):
        from invoices.signals import invoice_accounting_defaults
        from procurement.selectors import invoice_accounting_defaults_answer

        invoice_accounting_defaults.connect(
            invoice_accounting_defaults_answer,
            dispatch_uid="procurement-invoice-accounting",
        )
