"""Pages for received JP PINT documents.

Suppliers: the upload of JP PINT XML (or a ZIP of several) next to the CSV
upload, with the same preview and confirm, and the original XML of an
imported invoice. City staff: the original XML of an invoice they may see,
and for city administrators the 「宛先不明」 queue (assign to a department,
reject with a reason, invite the unknown sender). Everything is read
through the user's own supplier or municipality, so anything else answers
404; every download of an original is in the invoice's history.
"""

import logging
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView

from invoices.models import EventKind, TaxCategory, filename_part
from invoices.services.records import invoices_record_export
from invoices.views.city import CityInvoiceMixin
from invoices.views.supplier import SupplierInvoiceMixin
from municipality.models import Department, StaffRole
from municipality.paging import NumberedPageMixin
from municipality.views import CityRoleRequiredMixin
from peppol.inbound import (
    QUEUE_STATUSES,
    REJECTION_ACTIONS,
    inbound_assign,
    inbound_for_invoice,
    inbound_reject,
)
from peppol.models import InboundDocument, InboundStatus, JpPintUpload, UploadStatus
from peppol.uploads import (
    UPLOAD_MAX_BYTES,
    UPLOAD_MAX_MB,
    ZIP_MAX_MEMBERS,
    UploadAlreadyStartedError,
    pint_upload_confirm,
    pint_upload_create,
)

logger = logging.getLogger(__name__)
RECENT_UPLOADS = 20
PAGE_SIZE = 100


# Supplier: upload ------------------------------------------------------------


def _file_help() -> str:
    return gettext(
        "%(mb)sMBまで。複数の請求書はZIPにまとめてアップロードできます"
        "（%(members)s件まで、XMLファイルだけ）。"
    ) % {"mb": UPLOAD_MAX_MB, "members": ZIP_MAX_MEMBERS}


class PintUploadForm(forms.Form):
    file = forms.FileField(
        label=_("JP PINTのXMLファイル、またはZIP"),
        # Lazy as a whole: ``_() % {}`` would fix the language at import.
        help_text=lazy(_file_help, str)(),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,.zip,application/xml,text/xml,application/zip"}
        ),
        error_messages={
            "required": _("アップロードするXMLファイルかZIPを選んでください。"),
            "empty": _("ファイルが空です。XMLファイルかZIPを選んでください。"),
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                gettext(
                    "ファイルが大きすぎます（%(size)s）。%(mb)sMB以下に分けて"
                    "アップロードしてください。"
                )
                % {"size": filesizeformat(upload.size), "mb": UPLOAD_MAX_MB},
                code="too_large",
            )
        return upload


def _upload(request, pk: int) -> JpPintUpload:
    return get_object_or_404(
        JpPintUpload.objects.filter(supplier=request.supplier_access.supplier), pk=pk
    )


class PintUploadView(View):
    template_name = "peppol/upload.html"

    def get(self, request):
        return self.render(PintUploadForm())

    def post(self, request):
        form = PintUploadForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = pint_upload_create(
                    supplier=request.supplier_access.supplier,
                    actor=request.user,
                    name=file.name,
                    data=file.read(),
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("supplier:pint_upload_detail", pk=upload.pk)
        return self.render(form)

    def render(self, form):
        recent = JpPintUpload.objects.filter(
            supplier=self.request.supplier_access.supplier
        ).select_related("created_by")[:RECENT_UPLOADS]
        return TemplateResponse(
            self.request, self.template_name, {"form": form, "recent": recent}
        )


class PintUploadDetailView(DetailView):
    template_name = "peppol/upload_detail.html"
    context_object_name = "upload"

    def get_object(self, queryset=None):
        return _upload(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        upload = self.object
        context = {}
        if upload.status == UploadStatus.READY:
            context["amount_total"] = Decimal(upload.preview["total"])
            items = [
                {
                    **invoice,
                    "total": Decimal(invoice["total"]),
                    "buckets": [
                        {
                            **b,
                            "label": TaxCategory(b["category"]).label,
                            "taxable": Decimal(b["taxable"]),
                            "tax": Decimal(b["tax"]),
                        }
                        for b in invoice["buckets"]
                    ],
                }
                for invoice in upload.preview["invoices"]
            ]
        elif upload.status == UploadStatus.INVALID:
            items = upload.preview["errors"]
        elif upload.status == UploadStatus.FAILED:
            items = upload.result.get("errors", [])
        else:
            items = upload.result.get("invoice_ids", [])
        page = Paginator(items, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context["page_obj"] = page
        if upload.status == UploadStatus.DONE:
            context["invoices"] = (
                upload.supplier.invoices.filter(pk__in=page.object_list)
                .select_related("municipality", "department")
                .order_by("pk")
            )
        return super().get_context_data(**context, **kwargs)


class PintUploadConfirmView(View):
    """取り込む. A second click finds the upload started and only says so."""

    def post(self, request, pk):
        upload = _upload(request, pk)
        try:
            pint_upload_confirm(upload=upload)
        except UploadAlreadyStartedError:
            messages.info(
                request,
                gettext(
                    "このファイルはすでに取り込みを始めています。二重に取り込まれる"
                    "ことはありません。"
                ),
            )
        return redirect("supplier:pint_upload_detail", pk=upload.pk)


# The original XML of an imported invoice --------------------------------------


def original_response(request, invoice):
    """The received document, unchanged, recorded in the invoice's history."""
    document = inbound_for_invoice(invoice)
    if document is None:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=gettext("請求書_%(number)s_原本.xml")
        % {"number": filename_part(invoice.number)},
        content_type="application/xml",
    )
    invoices_record_export(
        invoices=[invoice],
        actor=request.user,
        kind=EventKind.DOWNLOADED,
        data={"format": "jp-pint-original", "sha256": document.sha256},
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class SupplierOriginalXmlView(SupplierInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return original_response(request, self.get_object())


class CityOriginalXmlView(CityInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return original_response(request, self.get_object())


# City admin: the 宛先不明 queue ------------------------------------------------


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("宛先の部署"),
        queryset=Department.objects.none(),
        error_messages={"required": _("割り当てる部署を選んでください。")},
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("code")


class RejectForm(forms.Form):
    response_action = forms.ChoiceField(
        label=_("送信者に求める対応"),
        choices=list(REJECTION_ACTIONS.items()),
        initial="NIN",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("受取拒否の理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "送信者に伝わります。何が誤りで、どうすればよいかを書いてください。"
        ),
        error_messages={"required": _("受取拒否の理由を入力してください。")},
    )


class InboundQueueMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.CITY_ADMIN,)

    def documents(self):
        return InboundDocument.objects.filter(
            municipality=self.request.city.municipality
        ).select_related("supplier", "department", "invoice")


class InboundListView(InboundQueueMixin, NumberedPageMixin, ListView):
    template_name = "peppol/inbound_list.html"
    context_object_name = "documents"
    paginate_by = 50
    STATES = {
        "open": (_("未対応"), QUEUE_STATUSES),
        "imported": (_("取り込み済"), (InboundStatus.IMPORTED,)),
        "rejected": (_("受取拒否"), (InboundStatus.REJECTED,)),
    }

    def state(self) -> str:
        state = self.request.GET.get("state", "open")
        return state if state in self.STATES else "open"

    def get_queryset(self):
        return self.documents().filter(status__in=self.STATES[self.state()][1])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            states={key: label for key, (label, _s) in self.STATES.items()},
            current_state=self.state(),
            **kwargs,
        )


class InboundDetailView(InboundQueueMixin, DetailView):
    template_name = "peppol/inbound_detail.html"
    context_object_name = "document"

    def get_queryset(self):
        return self.documents()

    def get_context_data(self, **kwargs):
        document = self.object
        municipality = self.request.city.municipality
        open_ = document.status in QUEUE_STATUSES
        invite = {
            "company_name": document.seller_name,
            "registration_number": document.seller_registration_number,
        }
        if document.department_id:
            invite["departments"] = document.department_id
        return super().get_context_data(
            is_open=open_,
            can_assign=document.status == InboundStatus.UNKNOWN_ADDRESSEE,
            assign_form=kwargs.pop("assign_form", None)
            or AssignForm(
                municipality=municipality,
                initial={"department": document.department_id},
            ),
            reject_form=kwargs.pop("reject_form", None) or RejectForm(),
            invite_url=reverse(
                "city:invitation_create",
                kwargs={"municipality_slug": municipality.slug},
            )
            + "?"
            + urlencode({k: v for k, v in invite.items() if v}),
            problems=[p for p in document.problems if not p.get("warning")],
            warnings=[p for p in document.problems if p.get("warning")],
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        self.object = document = self.get_object()
        municipality = request.city.municipality
        action = request.POST.get("action")
        try:
            if action == "assign":
                form = AssignForm(request.POST, municipality=municipality)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(assign_form=form)
                    )
                document = inbound_assign(
                    document=document,
                    department=form.cleaned_data["department"],
                    actor=request.user,
                )
                messages.success(
                    request,
                    gettext("%(department)sに割り当て、請求書として取り込みました。")
                    % {"department": document.department.name},
                )
            elif action == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(reject_form=form)
                    )
                inbound_reject(
                    document=document,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    action=form.cleaned_data["response_action"],
                )
                messages.success(request, gettext("受取拒否として理由を記録しました。"))
            else:
                raise Http404
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(
            "city:inbound_document", municipality_slug=municipality.slug, pk=document.pk
        )


class InboundOriginalView(InboundQueueMixin, View):
    """The original of a queued document, for the city administrator."""

    def get(self, request, *args, pk, **kwargs):
        document = get_object_or_404(self.documents(), pk=pk)
        logger.info(
            "inbound document %s downloaded by user %s", document.pk, request.user.pk
        )
        if document.invoice_id:
            invoices_record_export(
                invoices=[document.invoice],
                actor=request.user,
                kind=EventKind.DOWNLOADED,
                data={"format": "jp-pint-original", "sha256": document.sha256},
            )
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=gettext("受信文書_%(id)s.xml") % {"id": document.pk},
            content_type="application/xml",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
