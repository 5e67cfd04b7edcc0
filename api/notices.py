"""Payment notices (支払通知) and their remittance data (取引明細情報) for
the supplier's system, to clear its receivables: the same data and the
same record in the invoices' history as the CSV and JSON downloads."""

import json

from django.urls import reverse
from ninja import Query, Router, Schema

from api.models import ApiScope
from api.schemas import ErrorOut
from api.scoping import operation
from municipality.treasury.selectors.notices import (
    payment_notice_get_for_supplier,
    payment_notice_list_for_supplier,
)
from municipality.treasury.services.remittance import JSON, remittance_export

router = Router()

TAG_NOTICES = "支払通知"
PAGE_SIZE_MAX = 100
REFUSALS = dict.fromkeys((401, 403, 404, 422, 429), ErrorOut)


class NoticeOut(Schema):
    """A paid transfer. ``number`` is also the transfer's EDI情報, as the
    supplier's bank statement shows it."""

    id: int
    number: str
    payment_date: str
    municipality: str
    amount: int
    withholding_tax: int
    fee: int
    transfer_amount: int
    invoice_count: int
    remittance_url: str


class NoticePage(Schema):
    items: list[NoticeOut]
    next: str | None


class NoticeFilter(Schema):
    before: int | None = None
    limit: int = 50


def _url(request, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))


@router.get(
    "/payment-notices",
    response={200: NoticePage, **REFUSALS},
    tags=[TAG_NOTICES],
    url_name="payment_notices",
)
@operation(ApiScope.READ)
def notice_list(request, filters: Query[NoticeFilter]):
    """支払済みの支払通知（新しい順）。明細は ``remittance_url`` から読みます。"""
    limit = max(1, min(filters.limit, PAGE_SIZE_MAX))
    notices = payment_notice_list_for_supplier(supplier=request.auth.supplier)
    if filters.before:
        notices = notices.filter(pk__lt=filters.before)
    page = list(notices.order_by("-pk")[: limit + 1])
    next_url = None
    if len(page) > limit:
        page = page[:limit]
        query = request.GET.copy()
        query["before"] = page[-1].pk
        next_url = _url(request, "payment_notices") + "?" + query.urlencode()
    return {
        "items": [
            {
                "id": notice.pk,
                "number": notice.number,
                "payment_date": notice.batch.payment_date.isoformat(),
                "municipality": notice.municipality.name,
                "amount": int(notice.amount),
                "withholding_tax": int(notice.withholding_tax),
                "fee": int(notice.fee),
                "transfer_amount": int(notice.transfer_amount),
                "invoice_count": notice.invoice_count,
                "remittance_url": _url(
                    request, "payment_notice_remittance", notice_id=notice.pk
                ),
            }
            for notice in page
        ],
        "next": next_url,
    }


@router.get(
    "/payment-notices/{notice_id}/remittance",
    response={200: dict, **REFUSALS},
    tags=[TAG_NOTICES],
    url_name="payment_notice_remittance",
)
@operation(ApiScope.READ)
def notice_remittance(request, notice_id: int):
    """支払通知の取引明細（振込額・手数料・源泉徴収と、支払った請求書ごとの行）。
    画面のJSONダウンロードと同じ形式で、請求書の履歴に記録されます。"""
    notice = payment_notice_get_for_supplier(
        supplier=request.auth.supplier, pk=notice_id
    )
    return json.loads(remittance_export(notices=[notice], fmt=JSON, actor=request.user))
