"""ZIPs of invoices' documents (PDFs, attachments and the index CSV): the
job's page with its progress (a meta refresh without JavaScript, polling
with it), its state as JSON, and the download once ready; and the
supplier's ZIP of the invoices ticked in its list.

A job is opened only by the user who asked for it, in the area they asked
from (``invoices.selectors``); anyone else gets 404. Every download is
recorded in the history of each issued invoice in it.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from invoices.exports import pipeline, search_csv
from invoices.models import ZipExport, ZipExportStatus
from invoices.selectors import (
    invoice_list_for_supplier,
    zip_export_get_for_access,
    zip_export_get_for_supplier,
)
from invoices.services.zip_exports import IN_PROGRESS, zip_export_record_download
from invoices.views.exports import (
    export_file_response,
    zip_export_start,
    zip_export_url,
)
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin


class CityZipJobMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)

    def get_job(self) -> ZipExport:
        return zip_export_get_for_access(
            access=self.request.city, user=self.request.user, pk=self.kwargs["pk"]
        )

    def search_url(self) -> str:
        return reverse(
            "city:invoice_search",
            kwargs={"municipality_slug": self.request.city.municipality.slug},
        )


class SupplierZipJobMixin:
    def get_job(self) -> ZipExport:
        return zip_export_get_for_supplier(
            supplier=self.request.supplier_access.supplier,
            user=self.request.user,
            pk=self.kwargs["pk"],
        )

    def search_url(self) -> str:
        return reverse("supplier:invoice_search")


class ZipExportView(TemplateView):
    """The job: its progress while it is built (refreshing by itself), the
    download link once ready, what to do when it failed."""

    template_name = "invoices/zip_export.html"

    def get_context_data(self, **kwargs):
        job = self.get_job()
        return super().get_context_data(
            job=job,
            in_progress=job.status in IN_PROGRESS,
            status_url=zip_export_url(self.request, job, "invoice_zip_status"),
            download_url=zip_export_url(self.request, job, "invoice_zip_download"),
            search_url=self.search_url(),
            **kwargs,
        )


class ZipExportStatusView(View):
    """The job's state as JSON, for the page's progress bar."""

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        return JsonResponse(
            {
                "status": job.status,
                "label": job.get_status_display(),
                "in_progress": job.status in IN_PROGRESS,
                "done": job.progress_done,
                "total": job.progress_total,
            }
        )


def _filename(job: ZipExport) -> str:
    return f"invoices_{timezone.localtime(job.created_at):%Y%m%d}_pdf.zip"


class ZipExportDownloadView(View):
    """The built ZIP, its download recorded first; back to the job's page
    while it is not ready."""

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        if job.status != ZipExportStatus.READY or not job.file:
            return redirect(zip_export_url(request, job))
        try:
            file = job.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        zip_export_record_download(job=job, actor=request.user)
        response = FileResponse(
            file,
            as_attachment=True,
            filename=_filename(job),
            content_type="application/zip",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class CityZipExportView(CityZipJobMixin, ZipExportView):
    pass


class CityZipExportStatusView(CityZipJobMixin, ZipExportStatusView):
    pass


class CityZipExportDownloadView(CityZipJobMixin, ZipExportDownloadView):
    pass


class SupplierZipExportView(SupplierZipJobMixin, ZipExportView):
    pass


class SupplierZipExportStatusView(SupplierZipJobMixin, ZipExportStatusView):
    pass


class SupplierZipExportDownloadView(SupplierZipJobMixin, ZipExportDownloadView):
    pass


class SupplierInvoicePdfZipView(View):
    """The PDFs (with attachments and the index) of the invoices ticked in
    the supplier's list (``?invoice=<pk>`` repeated), as one ZIP: at once
    for a few, through a job's page for many. An invoice that is not the
    supplier's answers 404, like one that does not exist."""

    def get(self, request):
        back = reverse("supplier:invoices")
        try:
            ids = {int(pk) for pk in request.GET.getlist("invoice")}
        except ValueError as error:
            raise Http404 from error
        if not ids:
            messages.info(
                request,
                gettext(
                    "PDFをまとめてダウンロードする請求書を、一覧のチェックボックスで"
                    "選んでください。"
                ),
            )
            return redirect(back)
        if len(ids) > pipeline.EXPORT_LIMIT:
            messages.error(
                request,
                gettext(
                    "%(count)s件の請求書が選ばれています。一度にダウンロードできるのは"
                    "%(limit)s件までです。"
                )
                % {"count": f"{len(ids):,}", "limit": f"{pipeline.EXPORT_LIMIT:,}"},
            )
            return redirect(back)
        invoices = invoice_list_for_supplier(
            supplier=request.supplier_access.supplier
        ).filter(pk__in=ids)
        if invoices.count() != len(ids):
            raise Http404
        if len(ids) > settings.INVOICE_ZIP_INLINE_LIMIT:
            return zip_export_start(request, invoices=invoices)
        file = pipeline.invoices_export(
            invoices=invoices.order_by("receipt_number", "pk"),
            file_format=search_csv.SEARCH_FORMATS[pipeline.ZIP],
            actor=request.user,
        )
        return export_file_response(file)
