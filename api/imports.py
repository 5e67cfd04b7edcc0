"""Uploads through the API: a CSV in the upload format, or JP PINT XML (one
file or a ZIP). As on the screens, an upload is checked first (its
problems by row or by document, with the rule ID) and imported, all or
nothing, only when confirmed."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from api.errors import ApiError, errors_of
from api.idempotency import idempotent
from api.models import ApiScope
from api.schemas import ErrorOut
from api.scoping import operation
from invoices.forms.imports import DRAFT, ISSUE, InvoiceImportForm
from invoices.imports import (
    ImportAlreadyStartedError,
    invoice_import_confirm,
    invoice_import_create,
)
from invoices.models import InvoiceImport
from peppol.models import JpPintUpload
from peppol.uploads import (
    UploadAlreadyStartedError,
    pint_upload_confirm,
    pint_upload_create,
)
from peppol.views.inbound import PintUploadForm

router = Router()

TAG_IMPORTS = "一括アップロード"
REFUSALS = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


class ProblemOut(Schema):
    """One problem: the CSV's row and column, or the XML file and the
    official rule ID (e.g. ``jp-br-co-01``); ``message`` in Japanese."""

    row: int | None = None
    column: str = ""
    filename: str = ""
    rule: str = ""
    message: str


class ImportOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    filename: str
    issue: bool
    progress_done: int
    progress_total: int
    invoice_count: int
    problems: list[ProblemOut]
    invoice_ids: list[int]
    url: str


def _problems(record) -> list[dict]:
    found = record.preview.get("errors", []) + record.result.get("errors", [])
    return [
        {
            "row": problem.get("row"),
            "column": problem.get("column", ""),
            "filename": problem.get("filename", ""),
            "rule": problem.get("rule", ""),
            "message": problem.get("text") or problem.get("message", ""),
        }
        for problem in found
    ]


def _out(request, record, kind: str) -> dict:
    is_csv = kind == "csv"
    counted = record.preview.get("invoice_count" if is_csv else "document_count", 0)
    name = "csv_import" if is_csv else "jp_pint_import"
    return ImportOut(
        id=record.pk,
        kind=kind,
        status=record.status,
        status_label=str(record.get_status_display()),
        filename=record.filename,
        issue=record.issue if is_csv else True,
        progress_done=record.progress_done if is_csv else 0,
        progress_total=record.progress_total if is_csv else 0,
        invoice_count=counted or 0,
        problems=_problems(record),
        invoice_ids=record.result.get("invoice_ids", []),
        url=request.build_absolute_uri(
            reverse(f"api:{name}", kwargs={"import_id": record.pk})
        ),
    ).model_dump(mode="json")


def _file_errors(form) -> list[dict]:
    return [
        {"field": "file", "message": message} for message in form.errors.get("file", [])
    ]


@router.post("/imports/csv", response={201: ImportOut, **REFUSALS}, tags=[TAG_IMPORTS])
@operation(ApiScope.DRAFT)
@idempotent
def csv_upload(request, file: File[UploadedFile], issue: Form[bool] = False):
    """請求書のCSV（アップロード用の形式、CP932 か UTF-8）を確認します。
    ``issue`` が true なら、取り込むときに発行まで行います（発行の権限が必要）。
    確認結果を見て ``/confirm`` で取り込みます。"""
    if issue and not request.auth.allows(ApiScope.ISSUE):
        raise ApiError(403, gettext("このAPIキーには「発行」の権限がありません。"))
    form = InvoiceImportForm({"mode": ISSUE if issue else DRAFT}, {"file": file})
    if not form.is_valid():
        raise ApiError(
            422, gettext("ファイルを受け付けられません。"), _file_errors(form)
        )
    try:
        record = invoice_import_create(
            supplier=request.auth.supplier,
            actor=request.user,
            name=file.name or "upload.csv",
            data=file.read(),
            issue=issue,
        )
    except ValidationError as error:
        raise ApiError(422, error.messages[0], errors_of(error)) from error
    return 201, _out(request, record, "csv")


def _csv(request, import_id: int) -> InvoiceImport:
    return get_object_or_404(
        InvoiceImport.objects.filter(supplier=request.auth.supplier), pk=import_id
    )


@router.get(
    "/imports/csv/{import_id}",
    response={200: ImportOut, **REFUSALS},
    tags=[TAG_IMPORTS],
    url_name="csv_import",
)
@operation(ApiScope.READ)
def csv_status(request, import_id: int):
    """CSVの確認・取り込みの状態と結果。"""
    return _out(request, _csv(request, import_id), "csv")


@router.post(
    "/imports/csv/{import_id}/confirm",
    response={202: ImportOut, **REFUSALS},
    tags=[TAG_IMPORTS],
)
@operation(ApiScope.DRAFT)
@idempotent
def csv_confirm(request, import_id: int):
    """確認済みのCSVを取り込みます（全件か、1件も取り込まないか）。
    取り込みは順に進むので、状態を読み直して ``done`` を待ってください。"""
    record = _csv(request, import_id)
    if record.issue and not request.auth.allows(ApiScope.ISSUE):
        raise ApiError(403, gettext("このAPIキーには「発行」の権限がありません。"))
    try:
        record = invoice_import_confirm(upload=record)
    except ImportAlreadyStartedError as error:
        raise ApiError(
            409,
            gettext("このアップロードは取り込めません（%(status)s）。")
            % {"status": record.get_status_display()},
        ) from error
    return 202, _out(request, record, "csv")


@router.post(
    "/imports/jp-pint", response={201: ImportOut, **REFUSALS}, tags=[TAG_IMPORTS]
)
@operation(ApiScope.ISSUE)
@idempotent
def jp_pint_upload(request, file: File[UploadedFile]):
    """JP PINT の XML（1件、または複数をまとめた ZIP）を確認します。
    取り込むと発行済みの請求書として宛先に届くので、発行の権限が必要です。"""
    form = PintUploadForm({}, {"file": file})
    if not form.is_valid():
        raise ApiError(
            422, gettext("ファイルを受け付けられません。"), _file_errors(form)
        )
    try:
        record = pint_upload_create(
            supplier=request.auth.supplier,
            actor=request.user,
            name=file.name or "upload.xml",
            data=file.read(),
        )
    except ValidationError as error:
        raise ApiError(422, error.messages[0], errors_of(error)) from error
    return 201, _out(request, record, "jp-pint")


def _pint(request, import_id: int) -> JpPintUpload:
    return get_object_or_404(
        JpPintUpload.objects.filter(supplier=request.auth.supplier), pk=import_id
    )


@router.get(
    "/imports/jp-pint/{import_id}",
    response={200: ImportOut, **REFUSALS},
    tags=[TAG_IMPORTS],
    url_name="jp_pint_import",
)
@operation(ApiScope.READ)
def jp_pint_status(request, import_id: int):
    """JP PINT のアップロードの状態と結果。"""
    return _out(request, _pint(request, import_id), "jp-pint")


@router.post(
    "/imports/jp-pint/{import_id}/confirm",
    response={200: ImportOut, **REFUSALS},
    tags=[TAG_IMPORTS],
)
@operation(ApiScope.ISSUE)
@idempotent
def jp_pint_confirm(request, import_id: int):
    """確認済みの JP PINT を取り込みます（全件か、1件も取り込まないか）。"""
    record = _pint(request, import_id)
    try:
        record = pint_upload_confirm(upload=record)
    except UploadAlreadyStartedError as error:
        raise ApiError(
            409,
            gettext("このアップロードは取り込めません（%(status)s）。")
            % {"status": record.get_status_display()},
        ) from error
    return 200, _out(request, record, "jp-pint")
