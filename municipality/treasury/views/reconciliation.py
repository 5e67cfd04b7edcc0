"""The supplier's reconciliation pages (売掛金消込): upload a bank file,
see each credit matched, ambiguous (choose) or unmatched, and download the
result as CSV. Read through the member's supplier: another supplier's
upload answers 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from municipality.models import CreditOutcome
from municipality.paging import NumberedPageMixin
from municipality.treasury.forms import CreditDecideForm, ReconciliationUploadForm
from municipality.treasury.reconciliation.bank_csv import CsvMapping
from municipality.treasury.selectors.reconciliation import (
    reconciliation_credit_get,
    reconciliation_credits,
    reconciliation_get_for_supplier,
    reconciliation_list_for_supplier,
)
from municipality.treasury.services.reconciliation import (
    RECONCILIATION_MAX_MB,
    reconciliation_create,
    reconciliation_credit_decide,
    reconciliation_csv,
)

_COLUMN_LABELS = {
    "date": _("入金日の列"),
    "amount": _("入金額の列"),
    "payer": _("振込依頼人名（カナ）の列"),
    "edi": _("EDI情報・摘要の列（任意）"),
}


class ReconciliationListView(NumberedPageMixin, ListView):
    """入金消込: the upload form and the earlier uploads. The CSV columns
    are filled in as the supplier named them last time."""

    template_name = "municipality/reconciliation_list.html"
    context_object_name = "reconciliations"
    paginate_by = 50

    def get_queryset(self):
        return reconciliation_list_for_supplier(
            supplier=self.request.supplier_access.supplier
        )

    def _initial(self) -> dict:
        last = (
            self.get_queryset()
            .filter(source="csv")
            .values_list("csv_mapping", flat=True)
            .first()
        )
        if not last:
            return {}
        return {
            "kind": ReconciliationUploadForm.CSV,
            "has_header": last.get("has_header", True),
            "date_column": last.get("date", ""),
            "amount_column": last.get("amount", ""),
            "payer_column": last.get("payer", ""),
            "edi_column": last.get("edi", ""),
        }

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or ReconciliationUploadForm(
            initial=self._initial(), max_mb=RECONCILIATION_MAX_MB
        )
        return super().get_context_data(form=form, **kwargs)

    def post(self, request, *args, **kwargs):
        form = ReconciliationUploadForm(
            request.POST, request.FILES, max_mb=RECONCILIATION_MAX_MB
        )
        if form.is_valid():
            upload = form.cleaned_data["file"]
            mapping = None
            if form.cleaned_data["kind"] == form.CSV:
                mapping = CsvMapping(
                    **form.mapping_values(),
                    labels={k: str(v) for k, v in _COLUMN_LABELS.items()},
                )
            try:
                reconciliation = reconciliation_create(
                    supplier=request.supplier_access.supplier,
                    actor=request.user,
                    filename=upload.name,
                    data=upload.read(),
                    kind=form.cleaned_data["kind"],
                    mapping=mapping,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, gettext("入金明細を取り込みました。"))
                return redirect("supplier:reconciliation", pk=reconciliation.pk)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


class ReconciliationMixin:
    def get_reconciliation(self):
        return reconciliation_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )


class ReconciliationDetailView(ReconciliationMixin, TemplateView):
    template_name = "municipality/reconciliation_detail.html"

    def get_context_data(self, **kwargs):
        reconciliation = self.get_reconciliation()
        credits = reconciliation_credits(reconciliation=reconciliation)
        groups = {
            outcome: [c for c in credits if c.outcome == outcome]
            for outcome in CreditOutcome.values
        }
        return super().get_context_data(
            reconciliation=reconciliation,
            matched=groups[CreditOutcome.MATCHED],
            ambiguous=[(c, CreditDecideForm(credit=c)) for c in groups["ambiguous"]],
            unmatched=groups[CreditOutcome.UNMATCHED],
            **kwargs,
        )


class CreditDecideView(ReconciliationMixin, View):
    """The choice for an ambiguous credit, after the confirmation step: it
    marks the invoices 入金確認済 and cannot be undone."""

    confirmation = Confirmation(_("入金の消込を確定する"), _("確定する"))

    def _credit(self):
        reconciliation = self.get_reconciliation()
        credit = reconciliation_credit_get(
            reconciliation=reconciliation, pk=self.kwargs["credit_pk"]
        )
        (credit.option_notices,) = [
            c.option_notices
            for c in reconciliation_credits(reconciliation=reconciliation)
            if c.pk == credit.pk
        ]
        return reconciliation, credit

    def _back(self, reconciliation) -> str:
        return reverse("supplier:reconciliation", kwargs={"pk": reconciliation.pk})

    def get(self, request, *args, **kwargs):
        reconciliation, credit = self._credit()
        return self._ask(reconciliation, credit, CreditDecideForm(credit=credit))

    def _ask(self, reconciliation, credit, form):
        return confirmation_response(
            request=self.request,
            template_name="municipality/reconciliation_confirm.html",
            confirmation=self.confirmation,
            cancel_url=self._back(reconciliation),
            form=form,
            credit=credit,
            reconciliation=reconciliation,
        )

    def post(self, request, *args, **kwargs):
        reconciliation, credit = self._credit()
        form = CreditDecideForm(request.POST, credit=credit)
        if not form.is_valid() or not confirmed(request):
            return self._ask(reconciliation, credit, form)
        try:
            reconciliation_credit_decide(
                credit=credit, option=form.chosen(), actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                gettext("%(row)s行目の入金を確定しました。") % {"row": credit.row},
            )
        return redirect(self._back(reconciliation))


class ReconciliationCsvView(ReconciliationMixin, View):
    """The outcome as CSV for accounting software: Shift_JIS (Excel) by
    default, UTF-8 with a BOM on request."""

    def get(self, request, *args, **kwargs):
        reconciliation = self.get_reconciliation()
        encoding = "utf-8-sig" if request.GET.get("format") == "csv-utf8" else "cp932"
        data = reconciliation_csv(
            reconciliation=reconciliation, encoding=encoding, actor=request.user
        )
        response = HttpResponse(data, content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="reconciliation_{reconciliation.pk}.csv"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
