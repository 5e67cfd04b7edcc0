"""Remittance data downloads (取引明細データ), shared by the supplier's and
the treasury's pages: the format is read from the query string (CSV for
Excel when none is given) and the file is served as an attachment."""

from django.contrib import messages
from django.http import HttpResponse
from django.utils import timezone

from municipality.treasury.forms import RemittanceFormatForm, RemittancePeriodForm
from municipality.treasury.services.remittance import (
    CONTENT_TYPES,
    CSV_CP932,
    EXTENSIONS,
    remittance_export,
)


def _errors_to_messages(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


def remittance_format(request) -> str | None:
    """The requested format, or None after a message when it is unknown."""
    form = RemittanceFormatForm({"format": request.GET.get("format", CSV_CP932)})
    if form.is_valid():
        return form.cleaned_data["format"]
    _errors_to_messages(request, form)
    return None


def remittance_period(request) -> dict | None:
    """(date_from, date_to, format) of a period download, or None after a
    message for each problem."""
    form = RemittancePeriodForm(
        {"format": CSV_CP932, **request.GET.dict()} if request.GET else None
    )
    if form.is_valid():
        return form.cleaned_data
    if form.is_bound:
        _errors_to_messages(request, form)
    return None


def remittance_period_form() -> RemittancePeriodForm:
    """The period form, this month so far filled in."""
    today = timezone.localdate()
    return RemittancePeriodForm(
        initial={
            "date_from": today.replace(day=1),
            "date_to": today,
            "format": CSV_CP932,
        }
    )


def remittance_response(request, *, notices, fmt: str, basename: str):
    data = remittance_export(notices=notices, fmt=fmt, actor=request.user)
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{basename}.{EXTENSIONS[fmt]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
