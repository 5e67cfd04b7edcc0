"""The one view path for exporting invoices as a file: parse the request,
refuse what cannot be exported, let ``pipeline.invoices_export`` load,
render and record, then serve; or, for a ZIP of many invoices, ask a worker
for it (``invoices.services.zip_exports``) and send the user to its page."""

from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django_scopes import get_scope, scope

from invoices.exports import pipeline
from invoices.models import Invoice, ZipExport
from invoices.services.zip_exports import zip_export_create


def _in_request_context(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` read in the tenant scope, language and time zone of the
    request (as they are now): a streamed response is read after the view
    and its middleware have returned. Entered for each chunk, so that
    nothing is left set between two."""
    saved = get_scope()
    language = translation.get_language()
    zone = timezone.get_current_timezone()

    def read() -> Iterator[bytes]:
        try:
            while True:
                with (
                    scope(**saved),
                    translation.override(language),
                    timezone.override(zone),
                ):
                    chunk = next(chunks, None)
                if chunk is None:
                    return
                yield chunk
        finally:
            # Closed with the response (a download cut short): so are the
            # chunks, and the cursor they read from.
            if close := getattr(chunks, "close", None):
                close()

    return read()


def export_file_response(file: pipeline.ExportFile) -> HttpResponseBase:
    if isinstance(file.content, bytes):
        response = HttpResponse(file.content, content_type=file.content_type)
    else:
        response = StreamingHttpResponse(
            _in_request_context(file.content), content_type=file.content_type
        )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=file.filename
    )
    return response


def zip_export_url(request, job: ZipExport, name: str = "invoice_zip") -> str:
    """The URL ``name`` of the job, on the side (city or supplier) of the
    request."""
    if city := getattr(request, "city", None):
        return reverse(
            f"city:{name}",
            kwargs={"municipality_slug": city.municipality.slug, "pk": job.pk},
        )
    return reverse(f"supplier:{name}", kwargs={"pk": job.pk})


def zip_export_start(request, *, invoices: QuerySet[Invoice]):
    """Ask a worker for the ZIP of ``invoices`` (chosen through what the
    user may see) and go to its page, where it is downloaded when ready."""
    if city := getattr(request, "city", None):
        owner = {"municipality": city.municipality}
    else:
        owner = {"supplier": request.supplier_access.supplier}
    job = zip_export_create(
        actor=request.user,
        invoice_ids=list(invoices.values_list("pk", flat=True)),
        **owner,
    )
    return redirect(zip_export_url(request, job))


class InvoiceExportView(View):
    """The invoices the user may see (``visible_invoices``), narrowed by the
    conditions of ``filter_form``, as a file (``?format=`` a key of
    ``formats``; a CSV is streamed); a format built in the background, for more than
    ``settings.INVOICE_ZIP_INLINE_LIMIT`` invoices, as a job's page.
    Refused, back on ``back_url`` with the conditions kept, when the
    conditions are invalid, match nothing or match more than
    ``pipeline.EXPORT_LIMIT`` invoices."""

    formats: dict[str, pipeline.ExportFormat]
    # The message for too many invoices, saying what to narrow by.
    too_many_message = _(
        "該当する請求書が%(count)s件あります。一度に出力できるのは"
        "%(limit)s件までです。条件で絞り込んでから、もう一度出力してください。"
    )

    def filter_form(self):
        raise NotImplementedError

    def visible_invoices(self) -> QuerySet[Invoice]:
        raise NotImplementedError

    def back_url(self) -> str:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        file_format = self.formats.get(request.GET.get("format", ""))
        if file_format is None:
            raise Http404
        form = self.filter_form()
        if not form.is_valid():
            return self._back()  # the page shows the errors
        matching = form.filter(self.visible_invoices())
        count = matching.count()
        if not count:
            messages.info(
                request, gettext("条件に該当する請求書がないため、出力しませんでした。")
            )
            return self._back()
        if count > pipeline.EXPORT_LIMIT:
            messages.error(
                request,
                self.too_many_message
                % {"count": f"{count:,}", "limit": f"{pipeline.EXPORT_LIMIT:,}"},
            )
            return self._back()
        if file_format.background and count > settings.INVOICE_ZIP_INLINE_LIMIT:
            return zip_export_start(request, invoices=matching)
        export = (
            pipeline.invoices_export_stream
            if file_format.streamed
            else pipeline.invoices_export
        )
        file = export(invoices=matching, file_format=file_format, actor=request.user)
        return export_file_response(file)

    def _back(self):
        query = self.request.GET.copy()
        query.pop("format", None)
        url = self.back_url()
        return redirect(f"{url}?{query.urlencode()}" if query else url)
