"""The one view path for exporting invoices as a file: parse the request,
refuse what cannot be exported, let ``exports.invoices_export`` load,
render and record, then serve."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View

from invoices import exports
from invoices.models import Invoice


class InvoiceExportView(View):
    """The invoices the user may see (``visible_invoices``), narrowed by the
    conditions of ``filter_form``, as a file (``?format=`` a key of
    ``formats``). Refused, back on ``back_url`` with the conditions kept,
    when the conditions are invalid, match nothing or match more than
    ``exports.EXPORT_LIMIT`` invoices."""

    formats: dict[str, exports.ExportFormat]
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
        if count > exports.EXPORT_LIMIT:
            messages.error(
                request,
                self.too_many_message
                % {"count": f"{count:,}", "limit": f"{exports.EXPORT_LIMIT:,}"},
            )
            return self._back()
        file = exports.invoices_export(
            invoices=matching, file_format=file_format, actor=request.user
        )
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=file.filename
        )
        return response

    def _back(self):
        query = self.request.GET.copy()
        query.pop("format", None)
        url = self.back_url()
        return redirect(f"{url}?{query.urlencode()}" if query else url)
