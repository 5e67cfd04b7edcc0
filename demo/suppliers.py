"""The demo's three invented suppliers, their members and connections."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.models import User
from demo.cities import KANOYA, KIRISHIMA
from municipality.models import Department
from municipality.validators import corporate_check_digit
from partners.models import (
    Connection,
    LegalForm,
    Supplier,
    SupplierMembership,
    SupplierRole,
    TaxRounding,
)
from partners.services.suppliers import connection_create, supplier_member_add

if TYPE_CHECKING:
    from demo.world import DemoSeedResult


def _registration_number(body: str) -> str:
    """登録番号 ``T`` + check digit + ``body`` (12 digits)."""
    return f"T{corporate_check_digit(body)}{body}"


# Invented 12-digit bodies, not the numbers of any real business.
_OSUMI_NUMBER = _registration_number("999901000001")
_KYUSHOKU_NUMBER = _registration_number("999902000002")
_YAMADA_NUMBER = _registration_number("999903000003")


@dataclass(frozen=True)
class _SupplierSpec:
    fields: dict[str, str]
    members: tuple[tuple[str, SupplierRole], ...]
    # 支払先コード: one per municipality, the same for all its departments.
    payee_codes: dict[str, str]
    departments: tuple[tuple[str, str], ...]


_SUPPLIERS = (
    _SupplierSpec(
        fields={
            "legal_name": "株式会社おおすみ文具",
            "name_kana": "カブシキガイシャオオスミブング",
            "registration_number": _OSUMI_NUMBER,
            "corporate_number": _OSUMI_NUMBER[1:],
            "postal_code": "893-0009",
            "address": "鹿児島県鹿屋市大手町8番2号",
            "contact_name": "中島 浩二",
            "contact_email": "supplier-owner@example.jp",
            "tax_rounding": TaxRounding.FLOOR,
        },
        members=(
            ("supplier-owner@example.jp", SupplierRole.OWNER),
            ("supplier-clerk@example.jp", SupplierRole.CLERK),
        ),
        payee_codes={KANOYA: "K100001", KIRISHIMA: "R200001"},
        departments=(
            (KANOYA, "200"),
            (KANOYA, "050"),
            (KANOYA, "330"),
            (KIRISHIMA, "010"),
        ),
    ),
    _SupplierSpec(
        fields={
            "legal_name": "有限会社かのや給食サービス",
            "name_kana": "ユウゲンガイシャカノヤキュウショクサービス",
            "registration_number": _KYUSHOKU_NUMBER,
            "corporate_number": _KYUSHOKU_NUMBER[1:],
            "postal_code": "893-1603",
            "address": "鹿児島県鹿屋市串良町岡崎1234番地",
            "contact_name": "松元 恵子",
            "contact_email": "kyushoku@example.jp",
            "tax_rounding": TaxRounding.HALF_UP,
        },
        members=(("kyushoku@example.jp", SupplierRole.OWNER),),
        payee_codes={KANOYA: "K100002", KIRISHIMA: "R200002"},
        departments=((KANOYA, "05001"), (KANOYA, "05004"), (KIRISHIMA, "04001")),
    ),
    _SupplierSpec(
        # A sole proprietor (個人事業主): registered, but no 法人番号; its
        # fees are subject to withholding income tax (demo.invoices).
        fields={
            "legal_name": "山田設計事務所",
            "legal_form": LegalForm.INDIVIDUAL,
            "name_kana": "ヤマダセッケイジムショ",
            "registration_number": _YAMADA_NUMBER,
            "postal_code": "893-0064",
            "address": "鹿児島県鹿屋市西原三丁目5番6号",
            "contact_name": "山田 太郎",
            "contact_email": "yamada@example.jp",
            "tax_rounding": TaxRounding.CEILING,
        },
        members=(("yamada@example.jp", SupplierRole.OWNER),),
        payee_codes={KANOYA: "K100003"},
        departments=((KANOYA, "170"),),
    ),
)


def _supplier_ensure(fields: dict[str, str], result: "DemoSeedResult") -> Supplier:
    supplier = Supplier.objects.filter(
        registration_number=fields["registration_number"]
    ).first()
    if supplier is None:
        supplier = Supplier(**fields)
        supplier.full_clean()
        supplier.save()
        result.add("取引先")
    return supplier


def _supplier_member_ensure(
    supplier: Supplier, user: User, role: SupplierRole, result: "DemoSeedResult"
) -> None:
    # supplier_member_add saves the role again even when nothing changes,
    # so it is called only for a user who is not a member yet.
    if not SupplierMembership.objects.filter(user=user, supplier=supplier).exists():
        supplier_member_add(supplier=supplier, user=user, role=role, actor=None)
        result.add("取引先の利用者")


def _connection_ensure(
    supplier: Supplier,
    department: Department,
    payee_code: str,
    result: "DemoSeedResult",
) -> None:
    # connection_create would reactivate a connection that a demo user
    # deactivated; an existing connection is left as it is.
    if not Connection.objects.filter(supplier=supplier, department=department).exists():
        connection_create(
            supplier=supplier, department=department, payee_code=payee_code
        )
        result.add("支払先（取引先×部署）")
