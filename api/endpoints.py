"""The operations for suppliers' systems. No business rules live here:
each one reads through the selectors and writes through the services that
the supplier's pages use."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Query, Router, Schema

from api.drafts import draft_forms
from api.errors import ApiError, errors_of
from api.idempotency import idempotent
from api.models import ApiScope
from api.schemas import (
    BankAccountOut,
    DepartmentOut,
    ErrorOut,
    EventOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoiceSummaryOut,
    IssueIn,
)
from api.scoping import operation
from invoices.forms import connection_choices
from invoices.models import Invoice, InvoiceStatus
from invoices.presentation import invoice_document
from invoices.selectors import (
    invoice_events,
    invoice_get_for_supplier,
    invoice_list_for_supplier,
)
from invoices.services.drafts import invoice_draft_save
from invoices.services.issue import invoice_issue
from invoices.views.documents import pdf_attachment, pdf_ready
from invoices.workflow import TransitionError
from partners.models import BankAccount
from partners.selectors import bank_account_list_for_supplier
from peppol.ubl import JpPintUnavailable
from peppol.views.documents import xml_attachment

router = Router()

# The reference's sections (OpenAPI tags).
TAG_DEPARTMENTS = "宛先"
TAG_INVOICES = "請求書"

PAGE_SIZE_MAX = 100
REFUSALS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def _url(request, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))


def _summary(request, invoice: Invoice) -> dict:
    return InvoiceSummaryOut(
        id=invoice.pk,
        number=invoice.number,
        receipt_number=invoice.receipt_number,
        status=invoice.status,
        status_label=str(invoice.get_status_display()),
        municipality=invoice.municipality.name,
        department=invoice.department.name,
        issue_date=invoice.issue_date,
        total=int(invoice.total),
        withholding_tax=int(invoice.withholding_tax),
        received_at=invoice.received_at,
        url=_url(request, "invoice", invoice_id=invoice.pk),
    ).model_dump(mode="json")


def _detail(request, invoice: Invoice) -> dict:
    document = invoice_document(invoice)
    issued = not invoice.is_draft
    return InvoiceOut(
        **_summary(request, invoice),
        transaction_date=invoice.transaction_date,
        transaction_end_date=invoice.transaction_end_date,
        due_date=invoice.due_date,
        subject=invoice.subject,
        order_number=invoice.order_number,
        notes=invoice.notes,
        price_basis=invoice.price_basis,
        subtotal=int(invoice.subtotal),
        tax_total=int(invoice.tax_total),
        return_reason=invoice.return_reason,
        corrects=invoice.corrects_id,
        lines=[
            {
                "position": position,
                **{
                    name: line[name]
                    for name in (
                        "description",
                        "quantity",
                        "unit_price",
                        "tax_category",
                        "amount",
                        "withholding",
                    )
                },
                "unit": line.get("unit", ""),
                "note": line.get("note", ""),
            }
            for position, line in enumerate(document["lines"], start=1)
        ],
        tax_summaries=[
            {
                name: row[name]
                for name in ("tax_category", "taxable_amount", "tax_amount")
            }
            for row in document["tax_summaries"]
        ],
        pdf_url=_url(request, "invoice_pdf", invoice_id=invoice.pk) if issued else None,
        xml_url=_url(request, "invoice_xml", invoice_id=invoice.pk) if issued else None,
    ).model_dump(mode="json")


def _invoice(request, invoice_id: int) -> Invoice:
    return invoice_get_for_supplier(supplier=request.auth.supplier, pk=invoice_id)


@router.get("/departments", response=list[DepartmentOut], tags=[TAG_DEPARTMENTS])
@operation(ApiScope.READ)
def departments(request):
    """請求書を送れる宛先（自治体の部署）。
    請求書の ``department`` にはこの ``id`` を指定します。"""
    return [
        {
            "id": connection.pk,
            "municipality": connection.municipality.name,
            "municipality_slug": connection.municipality.slug,
            "code": connection.department.code,
            "name": connection.department.name,
        }
        for connection in connection_choices(request.auth.supplier).select_related(
            "municipality", "department"
        )
    ]


@router.get("/bank-accounts", response=list[BankAccountOut], tags=[TAG_DEPARTMENTS])
@operation(ApiScope.READ)
def bank_accounts(request):
    """登録済みの振込先口座。
    発行時に ``bank_account`` で選べます（省略時は既定の口座）。"""
    return bank_account_list_for_supplier(supplier=request.auth.supplier)


class InvoiceFilter(Schema):
    status: InvoiceStatus | None = None
    municipality: str | None = None
    before: int | None = None
    limit: int = 50


@router.get(
    "/invoices",
    response={200: InvoicePage, **REFUSALS},
    tags=[TAG_INVOICES],
    url_name="invoices",
)
@operation(ApiScope.READ)
def invoice_list(request, filters: Query[InvoiceFilter]):
    """請求書の一覧（新しい順）。``next`` のURLで次のページを読みます。"""
    limit = max(1, min(filters.limit, PAGE_SIZE_MAX))
    invoices = invoice_list_for_supplier(supplier=request.auth.supplier).defer(
        "snapshot"
    )
    if filters.status:
        invoices = invoices.filter(status=filters.status)
    if filters.municipality:
        invoices = invoices.filter(municipality__slug=filters.municipality)
    if filters.before:
        invoices = invoices.filter(pk__lt=filters.before)
    page = list(invoices.order_by("-pk")[: limit + 1])
    next_url = None
    if len(page) > limit:
        page = page[:limit]
        query = request.GET.copy()
        query["before"] = page[-1].pk
        next_url = _url(request, "invoices") + "?" + query.urlencode()
    return {"items": [_summary(request, i) for i in page], "next": next_url}


@router.post("/invoices", response={201: InvoiceOut, **REFUSALS}, tags=[TAG_INVOICES])
@operation(ApiScope.DRAFT)
@idempotent
def invoice_create(request, payload: InvoiceIn):
    """請求書を下書きとして登録し、``issue: true`` ならそのまま発行します
    （発行の権限が必要）。
    画面入力と同じ確認をし、誤りがあれば項目ごとの日本語のメッセージを返します。"""
    if payload.issue and not request.auth.allows(ApiScope.ISSUE):
        raise ApiError(
            403,
            gettext(
                "このAPIキーには「発行」の権限がありません。"
                "下書きとして登録するには issue を false にしてください。"
            ),
        )
    supplier = request.auth.supplier
    form, formset = draft_forms(supplier=supplier, payload=payload)
    account = _bank_account(request, payload.bank_account)
    try:
        invoice = invoice_draft_save(
            supplier=supplier,
            actor=request.user,
            connection=form.cleaned_data["connection"],
            fields=form.draft_fields(),
            lines=formset.lines(),
        )
        if payload.issue:
            invoice = invoice_issue(
                invoice=invoice, actor=request.user, bank_account=account
            )
    except ValidationError as error:
        raise ApiError(
            422, gettext("登録できませんでした。"), errors_of(error)
        ) from error
    return 201, _detail(request, invoice)


def _bank_account(request, pk: int | None) -> BankAccount | None:
    if pk is None:
        return None
    account = (
        bank_account_list_for_supplier(supplier=request.auth.supplier)
        .filter(pk=pk)
        .first()
    )
    if account is None:
        raise ApiError(
            422,
            gettext("振込先口座が見つかりません。"),
            [
                {
                    "field": "bank_account",
                    "message": gettext("GET /bank-accounts の id を指定してください。"),
                }
            ],
        )
    return account


@router.get(
    "/invoices/{invoice_id}",
    response={200: InvoiceOut, **REFUSALS},
    tags=[TAG_INVOICES],
    url_name="invoice",
)
@operation(ApiScope.READ)
def invoice_detail(request, invoice_id: int):
    """請求書の内容と状態。"""
    return _detail(request, _invoice(request, invoice_id))


@router.post(
    "/invoices/{invoice_id}/issue",
    response={200: InvoiceOut, **REFUSALS},
    tags=[TAG_INVOICES],
)
@operation(ApiScope.ISSUE)
@idempotent
def invoice_issue_endpoint(request, invoice_id: int, payload: IssueIn):
    """下書きを発行します。
    二度目の呼び出しは 409 になり、二重に発行されることはありません。"""
    invoice = _invoice(request, invoice_id)
    account = _bank_account(request, payload.bank_account)
    try:
        invoice = invoice_issue(
            invoice=invoice, actor=request.user, bank_account=account
        )
    except TransitionError as error:
        raise ApiError(409, gettext("この請求書はすでに発行されています。")) from error
    except ValidationError as error:
        raise ApiError(
            422, gettext("発行できませんでした。"), errors_of(error)
        ) from error
    return 200, _detail(request, invoice)


@router.get(
    "/invoices/{invoice_id}/history",
    response={200: list[EventOut], **REFUSALS},
    tags=[TAG_INVOICES],
)
@operation(ApiScope.READ)
def invoice_history(request, invoice_id: int):
    """請求書の履歴（発行・開封・差戻し・承認・支払など）。"""
    invoice = _invoice(request, invoice_id)
    return [
        {
            "kind": event.kind,
            "label": str(event.get_kind_display()),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": event.reason,
            "actor": event.actor_label,
            "at": event.created_at,
        }
        for event in invoice_events(invoice)
    ]


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, **REFUSALS},
    tags=[TAG_INVOICES],
    url_name="invoice_pdf",
)
@operation(ApiScope.READ)
def invoice_pdf(request, invoice_id: int) -> HttpResponse:
    """発行した請求書のPDF。作成中は 202 を返すので、少し待って読み直してください。"""
    invoice = _issued(request, invoice_id)
    pdf = pdf_ready(invoice)
    if pdf is None:
        raise ApiError(
            202, gettext("PDFを作成中です。少し待ってから読み直してください。")
        )
    return pdf_attachment(request, invoice, pdf)


@router.get(
    "/invoices/{invoice_id}/xml",
    response={200: None, **REFUSALS},
    tags=[TAG_INVOICES],
    url_name="invoice_xml",
)
@operation(ApiScope.READ)
def invoice_xml(request, invoice_id: int) -> HttpResponse:
    """発行した請求書の JP PINT (Peppol) XML。"""
    try:
        return xml_attachment(request, _issued(request, invoice_id))
    except JpPintUnavailable as error:
        raise ApiError(409, str(error)) from error


def _issued(request, invoice_id: int) -> Invoice:
    invoice = _invoice(request, invoice_id)
    if invoice.is_draft:
        raise ApiError(
            404, gettext("下書きにはPDFとXMLがありません。発行してから読んでください。")
        )
    return invoice
