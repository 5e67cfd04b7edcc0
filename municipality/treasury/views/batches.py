"""Payment batch pages (支払バッチ): the list, a batch's page, its actions
and its files (Zengin, 財務会計 CSV, remittance data)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from invoices.duties import invoices_in_conflict, supplier_ids_of
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from invoices.workflow import TransitionError
from municipality.models import BatchStatus
from municipality.paging import NumberedPageMixin
from municipality.treasury.forms import BatchCancelForm, BatchCreateForm
from municipality.treasury.selectors.batches import (
    batch_get,
    batch_invoice_rows,
    batch_invoices,
    batch_list,
    batch_notice_rows,
    batch_notice_supplier_totals,
    batch_notice_totals,
    batch_notices,
    notice_invoice_numbers,
    planned_page,
    planned_transfers,
    transfer_totals,
    transfers_plan,
)
from municipality.treasury.selectors.notices import remittance_notices_for_municipality
from municipality.treasury.selectors.settings import treasury_settings_get
from municipality.treasury.services.accounting import batch_accounting_csv
from municipality.treasury.services.batch_moves import (
    SELF_APPROVAL,
    batch_approve,
    batch_can_export,
    batch_cancel,
    batch_export,
    batch_mark_paid,
    batch_zengin_read,
)
from municipality.treasury.services.batches import batch_create, batch_remove_invoice
from municipality.treasury.views.city import (
    TreasuryRoleMixin,
    _attachment,
    _batch_redirect,
    _error_messages,
)
from municipality.treasury.views.downloads import (
    remittance_format,
    remittance_period_form,
    remittance_response,
)
from municipality.treasury.views.links import PkLinks
from municipality.treasury.workflow import batch_paid_too_early, batch_transition_check


class BatchListView(TreasuryRoleMixin, NumberedPageMixin, ListView):
    """支払バッチ: every batch, and the form to create one."""

    template_name = "municipality/batch_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return batch_list(municipality=self.municipality)

    def paginate_queryset(self, queryset, page_size):
        """The page's batches are found by their ids first and only they are
        summed: past an OFFSET, PostgreSQL would sum each batch it skips too
        (page 5 of a city's 260 batches: 100 ms against 15)."""
        paginator, page, ids, is_paginated = super().paginate_queryset(
            queryset.values_list("pk", flat=True), page_size
        )
        found = queryset.order_by().in_bulk(list(ids))
        page.object_list = [found[pk] for pk in ids]
        return paginator, page, page.object_list, is_paginated

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


# Rows per page of a batch's transfers and of its invoices: a batch may
# hold thousands of invoices, and rendering them all is what made its page
# slow.
BATCH_PAGE_SIZE = 50
TRANSFERS_PAGE = "transfers"
INVOICES_PAGE = "invoices"


class BatchPageMixin(TreasuryRoleMixin):
    """One batch: its transfers (planned until export, then the payment
    notices) and its invoices a page at a time, the totals of the whole
    batch and of the suppliers on the page, and the actions its status
    allows."""

    template_name = "municipality/batch_detail.html"

    def get_batch(self):
        return batch_get(municipality=self.municipality, pk=self.kwargs["pk"])

    def _paged(self, batch, rows, name: str):
        """The page of ``rows`` that ``?<name>=`` asks for, with the links
        to the pages before and after it (on the batch's page, also when a
        refused action shows it)."""
        page = Paginator(rows, BATCH_PAGE_SIZE).get_page(self.request.GET.get(name))
        url = reverse(
            "city:batch",
            kwargs={"municipality_slug": self.municipality.slug, "pk": batch.pk},
        )

        def link(number: int) -> str:
            query = self.request.GET.copy()
            query[name] = number
            return f"{url}?{query.urlencode()}#{name}-heading"

        page.previous_url = (
            link(page.previous_page_number()) if page.has_previous() else ""
        )
        page.next_url = link(page.next_page_number()) if page.has_next() else ""
        return page

    def batch_context(self, batch, **kwargs) -> dict:
        """A constant number of queries whatever the batch's size, and rows
        summed in SQL: a planned batch's transfers (one row per supplier
        and account), then the invoices of the page's transfers only; an
        exported one's notices."""
        settings = treasury_settings_get(municipality=self.municipality)
        invoice_page = self._paged(
            batch, batch_invoice_rows(batch=batch), INVOICES_PAGE
        )
        invoice_count = invoice_page.paginator.count
        planned = batch.status in (BatchStatus.DRAFT, BatchStatus.APPROVED)
        if planned and settings:
            plan = (
                planned_transfers(batch=batch, settings=settings)
                if invoice_count
                else []
            )
            totals, every_supplier = transfer_totals(plan)
            transfer_page = self._paged(batch, plan, TRANSFERS_PAGE)
            transfers = planned_page(transfer_page.object_list, batch=batch)
            shown = {transfer.supplier.pk for transfer, _ in transfers}
            supplier_totals = [row for row in every_supplier if row[0].pk in shown]
        else:
            transfer_page = self._paged(
                batch, batch_notice_rows(batch=batch), TRANSFERS_PAGE
            )
            numbers = notice_invoice_numbers(transfer_page.object_list)
            transfers = [(n, numbers.get(n.pk, [])) for n in transfer_page]
            totals = batch_notice_totals(batch=batch)
            suppliers = list({n.supplier.pk: n.supplier for n, _ in transfers}.values())
            supplier_totals = batch_notice_supplier_totals(
                batch=batch, suppliers=suppliers
            )
        # Invoices of suppliers the user belongs to: they may not approve,
        # export or mark paid this batch (separation of duties).
        conflict_ids = (
            supplier_ids_of(self.request.user)
            if batch.status
            in (BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.EXPORTED)
            else frozenset()
        )
        duty_conflicts = (
            list(batch_invoice_rows(batch=batch).filter(supplier_id__in=conflict_ids))
            if conflict_ids
            else []
        )
        invoice_url = PkLinks("city:invoice", municipality_slug=self.municipality.slug)
        return {
            "city": self.request.city,
            "batch": batch,
            "settings": settings,
            "invoices": invoice_page.object_list,
            "invoice_rows": [
                (invoice, invoice_url(invoice.pk))
                for invoice in invoice_page.object_list
            ],
            "invoice_page": invoice_page,
            "invoice_count": invoice_count,
            "transfers": transfers,
            "transfer_page": transfer_page,
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
            "can_export": bool(settings)
            and batch_can_export(batch)
            and invoice_count > 0,
            "has_file": batch.status in (BatchStatus.EXPORTED, BatchStatus.PAID),
            "paid_too_early": batch_paid_too_early(batch),
            "can_cancel": batch.status
            in (BatchStatus.DRAFT, BatchStatus.APPROVED, BatchStatus.EXPORTED),
            "cancel_form": kwargs.pop("cancel_form", None) or BatchCancelForm(),
            **kwargs,
        }

    def confirmation_context(self, batch) -> dict:
        """What an action's confirmation step shows: every invoice of the
        batch and the totals of every supplier (read in full: a step taken
        once per batch, not a page browsed)."""
        settings = treasury_settings_get(municipality=self.municipality)
        invoices = list(batch_invoices(batch=batch))
        if batch.status in (BatchStatus.DRAFT, BatchStatus.APPROVED) and settings:
            transfers = transfers_plan(invoices=invoices, settings=settings)
        else:
            transfers = list(batch_notices(batch=batch))
        totals, supplier_totals = transfer_totals(transfers)
        duty_conflicts = invoices_in_conflict(
            actor=self.request.user, invoices=invoices
        )
        return {
            "city": self.request.city,
            "batch": batch,
            "invoices": invoices,
            "totals": totals,
            "supplier_totals": supplier_totals,
            "duty_conflicts": duty_conflicts,
            "duty_conflict_suppliers": sorted(
                {invoice.supplier.legal_name for invoice in duty_conflicts}
            ),
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
        conflict_ids = supplier_ids_of(self.request.user)
        if (
            self.action != "cancel"
            and conflict_ids
            and batch_invoice_rows(batch=batch)
            .filter(supplier_id__in=conflict_ids)
            .exists()
        ):
            # The batch page says why (separation of duties).
            return _batch_redirect(batch)
        return None

    def ask(self, batch, form):
        return confirmation_response(
            self.request,
            template_name=f"municipality/batch_confirm_{self.action}.html",
            confirmation=self.confirmations[self.action],
            cancel_url=reverse(
                "city:batch",
                kwargs={"municipality_slug": self.municipality.slug, "pk": batch.pk},
            ),
            form=form,
            **self.confirmation_context(batch),
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
