"""Where a document goes: the municipality by the buyer's 0188 corporate
number, the supplier by the seller's registration number or endpoint, the
department by BuyerReference; or why one of them is unknown (the 「宛先不明」
queue)."""

from django.utils.translation import gettext
from django_scopes import scope

from municipality.models import Department, Municipality
from partners.models import (
    Connection,
    Supplier,
)
from peppol.reader import PintDocument

from .mapping import CheckResult, _problem


def _supplier_for(document: PintDocument) -> Supplier | None:
    """The seller among the portal's suppliers: registration number, else
    the endpoint (0221 registration number or 0188 corporate number), else
    the legal entity's corporate number."""
    candidates = []
    if document.seller_registration_number:
        candidates.append(("registration_number", document.seller_registration_number))
    endpoint = document.seller_endpoint
    if endpoint and endpoint.scheme == "0221":
        candidates.append(("registration_number", endpoint.value))
    if endpoint and endpoint.scheme == "0188":
        candidates.append(("corporate_number", endpoint.value))
    if document.seller_corporate_number:
        candidates.append(("corporate_number", document.seller_corporate_number))
    for name, value in candidates:
        if supplier := Supplier.objects.filter(**{name: value}).first():
            return supplier
    return None


def _route(result: CheckResult, document: PintDocument, supplier) -> None:
    """Municipality, supplier, department and connection of the document,
    or the reasons why one of them is unknown."""
    buyer = document.buyer_endpoint
    if buyer is None or buyer.scheme != "0188":
        result.unknown.append(
            gettext(
                "宛先（買い手のEndpointID）が自治体の法人番号（0188）ではありません"
                "（%(buyer)s）。"
            )
            % {"buyer": buyer or gettext("なし")}
        )
    else:
        result.municipality = Municipality.objects.filter(
            corporate_number=buyer.value, is_active=True
        ).first()
        if result.municipality is None:
            result.unknown.append(
                gettext(
                    "法人番号 %(number)s の自治体は、このポータルに登録されていません。"
                    "宛先（AccountingCustomerParty/EndpointID）を確認してください。"
                )
                % {"number": buyer.value}
            )
    seller = _supplier_for(document)
    if supplier is not None and seller != supplier:
        result.problems.append(
            _problem(
                "portal-seller",
                gettext(
                    "この文書の売り手（%(name)s、登録番号 %(number)s）はあなたの"
                    "事業者ではありません。自社が売り手の請求書だけをアップロード"
                    "できます。"
                )
                % {
                    "name": document.seller_name or gettext("名称なし"),
                    "number": document.seller_registration_number or gettext("なし"),
                },
                "AccountingSupplierParty",
            )
        )
        return
    result.supplier = seller
    if seller is None:
        result.unknown.append(
            gettext(
                "売り手（登録番号 %(number)s、%(name)s）はこのポータルの取引先として"
                "登録されていません。"
            )
            % {
                "number": document.seller_registration_number or gettext("なし"),
                "name": document.seller_name or gettext("名称なし"),
            }
        )
    if result.municipality is None:
        return
    with scope(municipality=result.municipality.pk):
        departments = Department.objects.filter(municipality=result.municipality)
        connections = Connection.objects.filter(
            municipality=result.municipality, supplier=seller, is_active=True
        ).select_related("department", "municipality")
        if document.buyer_reference:
            result.department = departments.filter(
                code=document.buyer_reference
            ).first()
            if result.department is None:
                result.unknown.append(
                    gettext(
                        "%(city)sに部署コード「%(code)s」（BuyerReference）の部署は"
                        "ありません。"
                    )
                    % {
                        "city": result.municipality.name,
                        "code": document.buyer_reference,
                    }
                )
                return
        elif seller is not None:
            # No BuyerReference: a supplier that works with only one
            # department of the city means that department.
            only = list(connections.filter(department__is_active=True)[:2])
            if len(only) == 1:
                result.department = only[0].department
        if result.department is None:
            result.unknown.append(
                gettext(
                    "宛先の部署が分かりません。部署コードを BuyerReference に"
                    "記載してください。"
                )
            )
            return
        if seller is None:
            return
        result.connection = connections.filter(
            department=result.department, department__is_active=True
        ).first()
        if result.connection is None:
            result.unknown.append(
                gettext(
                    "%(name)s は %(city)s %(department)s とまだ取引の登録がないか、"
                    "登録が無効です。自治体からの招待を承諾してから送ってください。"
                )
                % {
                    "name": seller.legal_name,
                    "city": result.municipality.name,
                    "department": result.department.name,
                }
            )
