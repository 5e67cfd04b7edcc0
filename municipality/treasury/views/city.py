"""Treasury pages (会計管理者・出納室): the treasury's home, payables,
payment batches and their files, and the treasury settings for city
administrators. Thin views: they read through
``municipality.treasury.selectors`` and write through
``municipality.treasury.services``. Anyone without the role gets 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from invoices.duties import invoices_in_conflict, supplier_ids_of
from invoices.filters import deadline_alert
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from invoices.workflow import TransitionError
from municipality.models import BatchStatus, StaffRole
from municipality.selectors import department_list_for_access
from municipality.treasury.forms import (
    AddToBatchForm,
    BatchCancelForm,
    BatchCreateForm,
    PayablesFilterForm,
    TreasurySettingsForm,
    WithholdingStatementForm,
)
from municipality.treasury.selectors import (
    batch_get,
    batch_invoices,
    batch_list,
    batch_list_draft,
    batch_list_open,
    batch_notices,
    payables_list,
    payables_suppliers,
    payables_waiting_count,
    payees_of,
    remittance_notices_for_municipality,
    transfer_totals,
    transfers_plan,
    treasury_settings_get,
    withholding_paid_invoices,
    withholding_statement_rows,
)
from municipality.treasury.services.accounting import batch_accounting_csv
from municipality.treasury.services.batches import (
    SELF_APPROVAL,
    batch_add_invoices,
    batch_approve,
    batch_can_export,
    batch_cancel,
    batch_create,
    batch_export,
    batch_mark_paid,
    batch_remove_invoice,
    batch_zengin_read,
)
from municipality.treasury.services.settings import treasury_settings_save
from municipality.treasury.services.statements import withholding_statement_csv
from municipality.treasury.views.downloads import (
    remittance_format,
    remittance_period,
    remittance_period_form,
    remittance_response,
)
from municipality.treasury.views.supplier import NO_NOTICES_IN_PERIOD
from municipality.treasury.workflow import (
    batch_paid_too_early,
    batch_transition_check,
)
from municipality.views import CityRoleRequiredMixin
from partners.selectors import connection_list_for_municipality


class TreasuryRoleMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.TREASURY,)

    @property
    def municipality(self):
        return self.request.city.municipality


def _batch_redirect(batch):
    return redirect(
        "city:batch", municipality_slug=batch.municipality.slug, pk=batch.pk
    )


def _error_messages(error: ValidationError) -> list[str]:
    return [message for message in error.messages if message]


class TreasuryView(CityRoleRequiredMixin, ListView):
    """会計管理者・出納室: the open payment batches and the number of approved
    invoices waiting for one, beside the 支払先マスタ with payee codes."""

    required_roles = (StaffRole.TREASURY,)
    template_name = "municipality/treasury.html"
    context_object_name = "connections"
    paginate_by = 50

    def get_queryset(self):
        return connection_list_for_municipality(
            municipality=self.request.city.municipality
        )

    def get_context_data(self, **kwargs):
        municipality = self.request.city.municipality
        return super().get_context_data(
            open_batches=batch_list_open(municipality=municipality),
            waiting_count=payables_waiting_count(municipality=municipality),
            settings_missing=treasury_settings_get(municipality=municipality) is None,
            **kwargs,
        )


class PayablesView(TreasuryRoleMixin, ListView):
    """支払対象: the approved invoices, nearest deadline first, with filters
    and checkboxes to add the ticked ones to a draft batch."""

    template_name = "municipality/payables.html"
    context_object_name = "invoices"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = PayablesFilterForm(
            self.request.GET,
            departments=department_list_for_access(access=self.request.city),
            suppliers=payables_suppliers(municipality=self.municipality),
        )
        invoices = payables_list(municipality=self.municipality)
        if not self.filter_form.is_valid():
            return invoices.none()
        return self.filter_form.filter(invoices)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batches = batch_list_draft(municipality=self.municipality)
        add_form = AddToBatchForm(
            batches=batches, initial={"batch": self.request.GET.get("batch")}
        )
        today = timezone.localdate()
        # Invoices of a supplier the user belongs to cannot be picked
        # (separation of duties); the service refuses them anyway.
        conflict_supplier_ids = supplier_ids_of(self.request.user)
        # Flagged: the account the invoice names (or the one chosen) was
        # changed or removed since, or it names none; cannot be picked.
        payees = payees_of(context["object_list"])
        context.update(
            filter_form=self.filter_form,
            add_form=add_form,
            has_draft_batches=add_form.fields["batch"].queryset.exists(),
            rows=[
                (invoice, deadline_alert(invoice, today=today), payees[invoice.pk])
                for invoice in context["object_list"]
            ],
            has_flagged=any(payee.flagged for payee in payees.values()),
            conflict_supplier_ids=conflict_supplier_ids,
            has_conflicts=any(
                invoice.supplier_id in conflict_supplier_ids
                for invoice in context["object_list"]
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = AddToBatchForm(
            request.POST, batches=batch_list_draft(municipality=self.municipality)
        )
        if form.is_valid():
            batch = form.cleaned_data["batch"]
            try:
                added = batch_add_invoices(
                    batch=batch,
                    invoice_ids=form.cleaned_data["invoices"],
                    actor=request.user,
                )
            except ValidationError as error:
                for message in _error_messages(error):
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s 件の請求書を支払バッチ %(number)s に追加しました。",
                        "%(count)s 件の請求書を支払バッチ %(number)s に追加しました。",
                        len(added),
                    )
                    % {"count": len(added), "number": batch.number},
                )
                return _batch_redirect(batch)
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return redirect(request.get_full_path())


class BatchListView(TreasuryRoleMixin, ListView):
    """支払バッチ: every batch, and the form to create one."""

    template_name = "municipality/batch_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return batch_list(municipality=self.municipality)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            create_form=kwargs.pop("create_form", None) or BatchCreateForm(),
            period_form=remittance_period_form(),
            settings_missing=treasury_settings_get(municipality=self.municipality)
            is None,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = BatchCreateForm(request.POST)
        if form.is_valid():
            try:
                batch = batch_create(
                    municipality=self.municipality,
                    payment_date=form.cleaned_data["payment_date"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    gettext(
                        "支払バッチ %(number)s を作成しました。"
                        "支払対象の請求書を追加してください。"
                    )
                    % {"number": batch.number},
                )
                return _batch_redirect(batch)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(create_form=form))


class BatchPageMixin(TreasuryRoleMixin):
    """One batch: its invoices, its transfers (planned until export, then
    the payment notices) with totals per batch and per supplier, and the
    actions its status allows."""

    template_name = "municipality/batch_detail.html"

    def get_batch(self):
        return batch_get(municipality=self.municipality, pk=self.kwargs["pk"])

    def batch_context(self, batch, **kwargs) -> dict:
        settings = treasury_settings_get(municipality=self.municipality)
        invoices = list(batch_invoices(batch=batch))
        planned = batch.status in (BatchStatus.DRAFT, BatchStatus.APPROVED)
        if planned and settings:
            plan = transfers_plan(invoices=invoices, settings=settings)
            transfers = [(t, t.invoices) for t in plan]
        else:
            transfers = [(n, n.invoices.all()) for n in batch_notices(batch=batch)]
        totals, supplier_totals = transfer_totals(t for t, _ in transfers)
        # Invoices of suppliers the user belongs to: they may not approve,
        # export or mark paid this batch (separation of duties).
        duty_conflicts = (
            invoices_in_conflict(actor=self.request.user, invoices=invoices)
            if batch.status
            in (BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.EXPORTED)
            else []
        )
        return {
            "city": self.request.city,
            "batch": batch,
            "settings": settings,
            "invoices": invoices,
            "transfers": transfers,
            "planned": planned,
            "totals": totals,
            "supplier_totals": supplier_totals,
            "can_edit": batch.status == BatchStatus.DRAFT,
            "can_approve": batch.four_eyes and batch.status == BatchStatus.DRAFT,
            "is_preparer": batch.created_by_id == self.request.user.pk,
            "duty_conflicts": duty_conflicts,
            "duty_conflict_suppliers": sorted(
                {invoice.supplier.legal_name for invoice in duty_conflicts}
            ),
            "can_export": bool(settings) and batch_can_export(batch) and bool(invoices),
            "has_file": batch.status in (BatchStatus.EXPORTED, BatchStatus.PAID),
            "paid_too_early": batch_paid_too_early(batch),
            "can_cancel": batch.status
            in (BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.EXPORTED),
            "cancel_form": kwargs.pop("cancel_form", None) or BatchCancelForm(),
            **kwargs,
        }


class BatchDetailView(BatchPageMixin, TemplateView):
    def get_context_data(self, **kwargs):
        return self.batch_context(self.get_batch(), **kwargs)


class BatchActionView(BatchPageMixin, TemplateView):
    """POST only: run one service on the batch. Success redirects to the
    batch with a message; a refusal shows the batch page with every
    problem, and nothing changed."""

    http_method_names = ["post"]
    action = ""
    success_messages = {
        "remove": _("請求書をバッチから外しました。"),
        "approve": _("支払バッチを承認しました。振込データを作成できます。"),
        "export": _(
            "振込データを作成しました。ダウンロードして金融機関に送信してください。"
        ),
        "paid": _("支払済にしました。取引先に支払通知を送ります。"),
        "cancel": _("支払バッチを取り消しました。請求書は承認済に戻りました。"),
    }

    def post(self, request, *args, **kwargs):
        batch = self.get_batch()
        extra = {}
        try:
            self.perform(batch, extra)
        except (ValidationError, TransitionError) as error:
            problems = (
                _error_messages(error)
                if isinstance(error, ValidationError)
                else [str(error)]
            )
            batch = self.get_batch()
            return self.render_to_response(
                self.batch_context(batch, problems=problems, **extra)
            )
        messages.success(request, str(self.success_messages[self.action]))
        return _batch_redirect(batch)

    def perform(self, batch, extra: dict) -> None:
        user = self.request.user
        if self.action == "remove":
            batch_remove_invoice(batch=batch, invoice_id=self._invoice_id(), actor=user)
        elif self.action == "approve":
            batch_approve(batch=batch, actor=user)
        elif self.action == "export":
            batch_export(batch=batch, actor=user)
        elif self.action == "paid":
            batch_mark_paid(batch=batch, actor=user)
        elif self.action == "cancel":
            form = BatchCancelForm(self.request.POST)
            extra["cancel_form"] = form
            if not form.is_valid():
                raise ValidationError(form.errors["reason"])
            batch_cancel(batch=batch, actor=user, reason=form.cleaned_data["reason"])

    def _invoice_id(self) -> int:
        try:
            return int(self.request.POST.get("invoice", ""))
        except ValueError as error:
            raise ValidationError(
                gettext("外す請求書が指定されていません。画面を更新してください。")
            ) from error


class BatchDecisionView(BatchActionView):
    """承認, 振込データ作成, 支払済 and 取消, after the confirmation step
    (``invoices.views.confirm``): GET and a POST without the confirmation
    show the batch's payment date, invoices, suppliers and totals and what
    will happen; only the confirmed POST acts. A cancellation's reason is
    asked first (on the batch page or here); without one the batch page
    shows the problem, as before."""

    http_method_names = ["get", "post"]
    targets = {
        "approve": BatchStatus.APPROVED,
        "export": BatchStatus.EXPORTED,
        "paid": BatchStatus.PAID,
        "cancel": BatchStatus.CANCELLED,
    }
    confirmations = {
        "approve": Confirmation(_("支払バッチの承認"), _("承認を確定する")),
        "export": Confirmation(_("振込データの作成"), _("振込データの作成を確定する")),
        "paid": Confirmation(_("支払済にする"), _("支払済を確定する")),
        "cancel": Confirmation(_("支払バッチの取消"), _("取消を確定する"), danger=True),
    }

    def get(self, request, *args, **kwargs):
        batch = self.get_batch()
        return self.refusal(batch) or self.ask(
            batch, BatchCancelForm() if self.action == "cancel" else None
        )

    def post(self, request, *args, **kwargs):
        if confirmed(request):
            return super().post(request, *args, **kwargs)
        batch = self.get_batch()
        if refused := self.refusal(batch):
            return refused
        form = None
        if self.action == "cancel":
            form = BatchCancelForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(
                    self.batch_context(
                        batch,
                        problems=[m for ms in form.errors.values() for m in ms],
                        cancel_form=form,
                    )
                )
        return self.ask(batch, form)

    def refusal(self, batch):
        """The batch page with the reason, when its status does not allow
        the move now, or None."""
        try:
            batch_transition_check(batch, self.targets[self.action])
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(self.request, message)
            return _batch_redirect(batch)
        if self.action == "approve" and batch.created_by_id == self.request.user.pk:
            messages.error(self.request, gettext(SELF_APPROVAL))
            return _batch_redirect(batch)
        if self.action != "cancel" and invoices_in_conflict(
            actor=self.request.user, invoices=batch_invoices(batch=batch)
        ):
            # The batch page says why (separation of duties).
            return _batch_redirect(batch)
        return None

    def ask(self, batch, form):
        context = self.batch_context(batch)
        return confirmation_response(
            self.request,
            template_name=f"municipality/batch_confirm_{self.action}.html",
            confirmation=self.confirmations[self.action],
            cancel_url=reverse(
                "city:batch",
                kwargs={"municipality_slug": self.municipality.slug, "pk": batch.pk},
            ),
            form=form,
            **{
                name: context[name]
                for name in (
                    "city",
                    "batch",
                    "invoices",
                    "totals",
                    "supplier_totals",
                    "duty_conflicts",
                    "duty_conflict_suppliers",
                )
            },
        )


class BatchZenginView(TreasuryRoleMixin, View):
    """The batch's stored Zengin file (振込データ), for the bank."""

    def get(self, request, *args, **kwargs):
        batch = batch_get(municipality=self.municipality, pk=kwargs["pk"])
        try:
            data = batch_zengin_read(batch=batch, actor=request.user)
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(request, message)
            return _batch_redirect(batch)
        return _attachment(
            data, f"zengin_{batch.number}.txt", "application/octet-stream"
        )


class BatchAccountingCsvView(TreasuryRoleMixin, View):
    """財務会計 CSV of the batch: one row per invoice."""

    def get(self, request, *args, **kwargs):
        batch = batch_get(municipality=self.municipality, pk=kwargs["pk"])
        try:
            data = batch_accounting_csv(batch=batch, actor=request.user)
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(request, message)
            return _batch_redirect(batch)
        return _attachment(data, f"accounting_{batch.number}.csv", "text/csv")


class BatchRemittanceExportView(TreasuryRoleMixin, View):
    """The remittance data (取引明細データ) of an exported or paid batch's
    payment notices, as the suppliers receive it."""

    def get(self, request, *args, **kwargs):
        batch = batch_get(municipality=self.municipality, pk=kwargs["pk"])
        fmt = remittance_format(request)
        if fmt is None:
            return _batch_redirect(batch)
        notices = remittance_notices_for_municipality(
            municipality=self.municipality, batch=batch
        )
        if not notices.exists():
            messages.error(
                request,
                gettext(
                    "支払バッチ %(number)s には支払通知がありません"
                    "（振込データの作成後にできます）。"
                )
                % {"number": batch.number},
            )
            return _batch_redirect(batch)
        return remittance_response(
            request,
            notices=notices,
            fmt=fmt,
            basename=f"remittance_{batch.number}",
        )


class RemittancePeriodExportView(TreasuryRoleMixin, View):
    """The remittance data of every notice the municipality paid in a
    period."""

    def get(self, request, *args, **kwargs):
        period = remittance_period(request)
        back = redirect("city:batches", municipality_slug=self.municipality.slug)
        if period is None:
            return back
        notices = remittance_notices_for_municipality(
            municipality=self.municipality,
            date_from=period["date_from"],
            date_to=period["date_to"],
        )
        if not notices.exists():
            messages.info(request, gettext(NO_NOTICES_IN_PERIOD))
            return back
        return remittance_response(
            request,
            notices=notices,
            fmt=period["format"],
            basename=(
                f"remittance_{period['date_from']:%Y%m%d}-{period['date_to']:%Y%m%d}"
            ),
        )


class WithholdingStatementMixin(TreasuryRoleMixin):
    def statement_form(self) -> WithholdingStatementForm:
        data = self.request.GET if "year" in self.request.GET else None
        return WithholdingStatementForm(
            data, initial={"year": timezone.localdate().year}
        )

    def statement_year(self, form: WithholdingStatementForm) -> int | None:
        if not form.is_bound:
            return form.initial["year"]
        return form.cleaned_data["year"] if form.is_valid() else None


class WithholdingStatementView(WithholdingStatementMixin, TemplateView):
    """源泉徴収（支払調書の集計）: per payee and kind of fee, what the city
    paid individuals in a calendar year and withheld, with the payees over
    the filing threshold marked, and the CSV of it."""

    template_name = "municipality/withholding_statement.html"

    def get_context_data(self, **kwargs):
        form = self.statement_form()
        year = self.statement_year(form)
        rows = []
        if year is not None:
            rows = withholding_statement_rows(
                withholding_paid_invoices(municipality=self.municipality, year=year)
            )
        return super().get_context_data(form=form, year=year, rows=rows, **kwargs)


class WithholdingStatementCsvView(WithholdingStatementMixin, View):
    """The 支払調書 summary of a year as CSV; the download is recorded."""

    def get(self, request, *args, **kwargs):
        form = self.statement_form()
        year = self.statement_year(form)
        if year is None:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect(
                "city:withholding_statement",
                municipality_slug=self.municipality.slug,
            )
        data = withholding_statement_csv(
            municipality=self.municipality, year=year, actor=request.user
        )
        return _attachment(data, f"withholding_{year}.csv", "text/csv")


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class TreasurySettingsView(CityRoleRequiredMixin, FormView):
    """会計の設定, kept by city administrators."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/treasury_settings.html"
    form_class = TreasurySettingsForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": treasury_settings_get(
                municipality=self.request.city.municipality
            ),
        }

    def form_valid(self, form):
        treasury_settings_save(
            municipality=self.request.city.municipality,
            values=form.cleaned_data,
            actor=self.request.user,
        )
        messages.success(self.request, gettext("会計の設定を保存しました。"))
        return redirect(
            "city:treasury_settings",
            municipality_slug=self.request.city.municipality.slug,
        )
