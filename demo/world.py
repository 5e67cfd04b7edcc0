"""Demo data (デモデータ) for trying the portal locally.

Kanoya City with its real list of departments, Kirishima City, staff in
every role and three invented suppliers; their invoices (``demo.invoices``),
Kanoya's treasury (``demo.treasury``) and the staff Kanoya's administrator
invited (``demo.staff``). ``demo_seed`` looks every row up by its natural
key and creates only what is missing: a row that exists is never changed,
so the seed can run again after the demo has been used, and a database
seeded by an older version gains what is new. (One exception: a database
seeded before suppliers had a legal form has 山田設計事務所 as a
corporation; it becomes the sole proprietor it always was once, when its
withholding invoice is made.)
"""

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User
from accounts.services import user_email_set_verified, user_totp_activate
from accounts.twofactor import two_factor_enabled
from demo.staff import KENCHIKU_STAFF
from municipality.models import Department, Municipality, StaffMembership, StaffRole
from municipality.services import department_create, staff_membership_grant
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

# Published with the demo logins on purpose; set only on users the seed
# creates, so a password changed during a demo stays changed.
DEMO_PASSWORD = "kanoya-demo-2026"  # noqa: S105
# The authenticator-app (TOTP) secret of the demo's platform and city
# administrators, who must use two-factor authentication. Published too:
# ``manage.py demo_totp`` or ``oathtool --totp -b <secret>`` prints a code.
DEMO_TOTP_SECRET = "KANOYADEMOTOTPSECRETKANOYADEMOXX"  # noqa: S105

KANOYA_DEPARTMENTS_CSV = Path(__file__).parent / "data" / "kanoya-departments.csv"

KANOYA = "462039"
KIRISHIMA = "462187"

_MUNICIPALITIES = {
    KANOYA: {
        "name": "鹿屋市",
        "name_kana": "カノヤシ",
        "local_government_code": KANOYA,
        "corporate_number": "8000020462039",
        "slug": "kanoya",
        "postal_code": "893-8501",
        "address": "鹿児島県鹿屋市共栄町20番1号",
    },
    KIRISHIMA: {
        "name": "霧島市",
        "name_kana": "キリシマシ",
        "local_government_code": KIRISHIMA,
        "corporate_number": "8000020462187",
        "slug": "kirishima",
        "postal_code": "899-4394",
        "address": "鹿児島県霧島市国分中央三丁目45番1号",
    },
}


class DepartmentRow(NamedTuple):
    code: str
    name: str
    parent_code: str = ""


def kanoya_department_rows() -> list[DepartmentRow]:
    """Kanoya's departments and sub-units, as listed in the CSV file."""
    with KANOYA_DEPARTMENTS_CSV.open(encoding="utf-8", newline="") as f:
        return [
            DepartmentRow(row["code"], row["name"], row["parent_code"])
            for row in csv.DictReader(f)
        ]


# Invented for the demo; Kirishima's real codes are not needed here.
_KIRISHIMA_DEPARTMENTS = (
    DepartmentRow("010", "総務課"),
    DepartmentRow("020", "財政課"),
    DepartmentRow("030", "会計課"),
    DepartmentRow("040", "教育総務課"),
    DepartmentRow("04001", "教育総務課学校給食センター", "040"),
    DepartmentRow("050", "環境衛生課"),
)


@dataclass(frozen=True)
class DemoLogin:
    """A demo user, and what the command tells people to try with it."""

    email: str
    name: str
    role: str
    is_superuser: bool = False
    # Created by accepting a city administrator's invitation
    # (``demo.staff``), not by the seed directly.
    invited: bool = False


DEMO_LOGINS = (
    DemoLogin(
        "admin@example.jp",
        "運営 太郎",
        "プラットフォーム管理者（管理サイト）",
        is_superuser=True,
    ),
    DemoLogin("kanoya-admin@example.jp", "東 健一", "鹿屋市 自治体管理者"),
    DemoLogin("kanoya-treasury@example.jp", "前田 美和", "鹿屋市 会計管理者・出納室"),
    DemoLogin(
        "kanoya-kosodate@example.jp", "中村 陽子", "鹿屋市 部署担当者（子育て支援課）"
    ),
    DemoLogin(
        "kanoya-gakko@example.jp",
        "田中 誠",
        "鹿屋市 部署担当者（学校教育課と配下の5施設）",
    ),
    DemoLogin(
        "multi@example.jp",
        "山下 亮",
        "役割の切り替え: 鹿屋市 自治体管理者・部署担当者（総務課）、"
        "霧島市 部署担当者（総務課）",
    ),
    DemoLogin("kirishima-admin@example.jp", "有村 直樹", "霧島市 自治体管理者"),
    DemoLogin(
        "kirishima-treasury@example.jp", "福永 里美", "霧島市 会計管理者・出納室"
    ),
    DemoLogin("kirishima-staff@example.jp", "川畑 大輔", "霧島市 部署担当者（財政課）"),
    DemoLogin(
        "supplier-owner@example.jp",
        "中島 浩二",
        "取引先 管理者: 株式会社おおすみ文具（鹿屋市・霧島市と取引）",
    ),
    DemoLogin(
        "supplier-clerk@example.jp",
        "坂元 さくら",
        "取引先 担当者: 株式会社おおすみ文具",
    ),
    DemoLogin(
        "kyushoku@example.jp", "松元 恵子", "取引先 管理者: 有限会社かのや給食サービス"
    ),
    DemoLogin(
        "yamada@example.jp",
        "山田 太郎",
        "取引先 管理者: 山田設計事務所（個人事業主・源泉徴収あり・印影あり）",
    ),
    DemoLogin(
        KENCHIKU_STAFF.email,
        KENCHIKU_STAFF.name,
        "鹿屋市 部署担当者（建築住宅課・都市政策課）: 自治体管理者の招待から登録",
        invited=True,
    ),
)

# (email, municipality, role, department codes)
_STAFF_ROLES = (
    ("kanoya-admin@example.jp", KANOYA, StaffRole.CITY_ADMIN, ()),
    ("kanoya-treasury@example.jp", KANOYA, StaffRole.TREASURY, ()),
    ("kanoya-kosodate@example.jp", KANOYA, StaffRole.DEPARTMENT, ("200",)),
    (
        "kanoya-gakko@example.jp",
        KANOYA,
        StaffRole.DEPARTMENT,
        ("050", "05001", "05002", "05003", "05004", "05005"),
    ),
    ("multi@example.jp", KANOYA, StaffRole.DEPARTMENT, ("330",)),
    ("multi@example.jp", KANOYA, StaffRole.CITY_ADMIN, ()),
    ("multi@example.jp", KIRISHIMA, StaffRole.DEPARTMENT, ("010",)),
    ("kirishima-admin@example.jp", KIRISHIMA, StaffRole.CITY_ADMIN, ()),
    ("kirishima-treasury@example.jp", KIRISHIMA, StaffRole.TREASURY, ()),
    ("kirishima-staff@example.jp", KIRISHIMA, StaffRole.DEPARTMENT, ("020",)),
)


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


@dataclass
class DemoSeedResult:
    """What one run created, counted by kind of row (Japanese labels)."""

    created: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any(self.created.values())

    def add(self, label: str, n: int = 1) -> None:
        if n:
            self.created[label] += n


def demo_seed() -> DemoSeedResult:
    """Create whatever demo data is missing, in one transaction; change
    nothing that exists.

    Raises ``ValidationError`` when an existing row stands in the way, e.g.
    a demo supplier user who already belongs to another supplier.
    """
    result = DemoSeedResult()
    with scopes_disabled(), transaction.atomic(durable=True):
        municipalities = {
            code: _municipality_ensure(fields, result)
            for code, fields in _MUNICIPALITIES.items()
        }
        departments = {
            KANOYA: _departments_ensure(
                municipalities[KANOYA], kanoya_department_rows(), result
            ),
            KIRISHIMA: _departments_ensure(
                municipalities[KIRISHIMA], _KIRISHIMA_DEPARTMENTS, result
            ),
        }
        # Invited staff get their account by accepting the invitation.
        users = {
            login.email: _user_ensure(login, result)
            for login in DEMO_LOGINS
            if not login.invited
        }
        for email, code, role, department_codes in _STAFF_ROLES:
            _staff_role_ensure(
                user=users[email],
                municipality=municipalities[code],
                role=role,
                departments=[departments[code][c] for c in department_codes],
                result=result,
            )
        for login in DEMO_LOGINS:
            if demo_login_needs_two_factor(login):
                _two_factor_ensure(users[login.email], result)
        for spec in _SUPPLIERS:
            supplier = _supplier_ensure(spec.fields, result)
            for email, role in spec.members:
                _supplier_member_ensure(supplier, users[email], role, result)
            for code, department_code in spec.departments:
                _connection_ensure(
                    supplier,
                    departments[code][department_code],
                    spec.payee_codes[code],
                    result,
                )
        _features_ensure(
            kanoya=municipalities[KANOYA],
            departments=departments[KANOYA],
            users=users,
            result=result,
        )
    return result


def _features_ensure(
    *,
    kanoya: Municipality,
    departments: dict[str, Department],
    users: dict[str, User],
    result: DemoSeedResult,
) -> None:
    """Kanoya's invoices, treasury and staff administration, each through
    the services its pages use (imported here: loading them is slow, and
    ``demo_totp`` needs none of it)."""
    from demo.invoices import (
        demo_invoices_ensure,
        discount_invoice_ensure,
        withholding_invoice_ensure,
    )
    from demo.procurement import demo_procurement_ensure
    from demo.staff import staff_invitations_ensure
    from demo.treasury import future_batch_ensure, treasury_settings_ensure

    osumi = Supplier.objects.get(registration_number=_OSUMI_NUMBER)
    yamada = Supplier.objects.get(registration_number=_YAMADA_NUMBER)
    osumi_owner = users["supplier-owner@example.jp"]
    kosodate = users["kanoya-kosodate@example.jp"]
    to_kosodate = Connection.objects.get(supplier=osumi, department=departments["200"])
    demo_invoices_ensure(
        supplier=osumi,
        owner=osumi_owner,
        staff=kosodate,
        connection=to_kosodate,
        result=result,
    )
    treasury_settings_ensure(municipality=kanoya, result=result)
    demo_procurement_ensure(
        municipality=kanoya,
        connection=to_kosodate,
        staff=kosodate,
        owner=osumi_owner,
        admin=users["kanoya-admin@example.jp"],
        result=result,
    )
    staff_invitations_ensure(
        municipality=kanoya,
        departments=departments,
        admin=users["kanoya-admin@example.jp"],
        password=DEMO_PASSWORD,
        result=result,
    )
    withholding_invoice_ensure(
        supplier=yamada,
        owner=users["yamada@example.jp"],
        connection=Connection.objects.get(
            supplier=yamada, department=departments["170"]
        ),
        result=result,
    )
    discounted = discount_invoice_ensure(
        supplier=osumi,
        owner=osumi_owner,
        staff=kosodate,
        connection=to_kosodate,
        result=result,
    )
    future_batch_ensure(
        municipality=kanoya,
        invoices=[discounted] if discounted else [],
        treasurer=users["kanoya-treasury@example.jp"],
        result=result,
    )


def _municipality_ensure(
    fields: dict[str, str], result: DemoSeedResult
) -> Municipality:
    municipality = Municipality.objects.filter(
        local_government_code=fields["local_government_code"]
    ).first()
    if municipality is None:
        municipality = Municipality(**fields)
        municipality.full_clean()
        municipality.save()
        result.add("自治体")
    return municipality


def _departments_ensure(
    municipality: Municipality,
    rows: Iterable[DepartmentRow],
    result: DemoSeedResult,
) -> dict[str, Department]:
    """The municipality's departments by code, after adding the missing
    ``rows``; a parent is created before its sub-units."""
    departments = {
        d.code: d for d in Department.objects.filter(municipality=municipality)
    }
    pending = [row for row in rows if row.code not in departments]
    while pending:
        ready = [
            row
            for row in pending
            if not row.parent_code or row.parent_code in departments
        ]
        if not ready:
            raise ValueError(f"Parent department not found for: {pending}")
        for row in ready:
            departments[row.code] = department_create(
                municipality=municipality,
                code=row.code,
                name=row.name,
                parent=departments[row.parent_code] if row.parent_code else None,
            )
        result.add("部署", len(ready))
        pending = [row for row in pending if row.code not in departments]
    return departments


def demo_login_needs_two_factor(login: DemoLogin) -> bool:
    """Platform and city administrators must use two-factor authentication."""
    return login.is_superuser or any(
        email == login.email and role == StaffRole.CITY_ADMIN
        for email, _, role, _ in _STAFF_ROLES
    )


def _user_ensure(login: DemoLogin, result: DemoSeedResult) -> User:
    user = User.objects.filter(email__iexact=login.email).first()
    if user is None:
        if login.is_superuser:
            create = User.objects.create_superuser
        else:
            create = User.objects.create_user
        user = create(login.email, DEMO_PASSWORD, name=login.name)
        # As an invitation would: the address is verified (password reset
        # mails only verified addresses).
        user_email_set_verified(user=user)
        result.add("利用者")
    return user


def _two_factor_ensure(user: User, result: DemoSeedResult) -> None:
    """Give a demo administrator the published TOTP secret, if they still
    have the published password (so it opens nothing that was not open)
    and no authenticator app of their own."""
    if two_factor_enabled(user) or not user.check_password(DEMO_PASSWORD):
        return
    user_totp_activate(user=user, secret=DEMO_TOTP_SECRET)
    result.add("二段階認証")


def _staff_role_ensure(
    *,
    user: User,
    municipality: Municipality,
    role: StaffRole,
    departments: list[Department],
    result: DemoSeedResult,
) -> None:
    membership = StaffMembership.objects.filter(
        user=user, municipality=municipality, role=role
    ).first()
    present = (
        set(membership.departments.values_list("pk", flat=True))
        if membership
        else set()
    )
    missing = [d for d in departments if d.pk not in present]
    if membership is None or missing:
        staff_membership_grant(
            user=user,
            municipality=municipality,
            role=role,
            departments=missing,
            actor=None,
        )
        if membership is None:
            result.add("職員の役割")
        result.add("担当部署", len(missing))


def _supplier_ensure(fields: dict[str, str], result: DemoSeedResult) -> Supplier:
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
    supplier: Supplier, user: User, role: SupplierRole, result: DemoSeedResult
) -> None:
    # supplier_member_add saves the role again even when nothing changes,
    # so it is called only for a user who is not a member yet.
    if not SupplierMembership.objects.filter(user=user, supplier=supplier).exists():
        supplier_member_add(supplier=supplier, user=user, role=role, actor=None)
        result.add("取引先の利用者")


def _connection_ensure(
    supplier: Supplier, department: Department, payee_code: str, result: DemoSeedResult
) -> None:
    # connection_create would reactivate a connection that a demo user
    # deactivated; an existing connection is left as it is.
    if not Connection.objects.filter(supplier=supplier, department=department).exists():
        connection_create(
            supplier=supplier, department=department, payee_code=payee_code
        )
        result.add("支払先（取引先×部署）")


def _yen(amount) -> str:
    return f"{int(amount):,}円"


def demo_highlights() -> list[str]:
    """What the demo shows beyond the logins, as it stands now (a demo
    user may have moved things on), one line each for ``seed_demo``."""
    from demo.invoices import DISCOUNT_INVOICE_NUMBER, WITHHOLDING_INVOICE_NUMBER
    from demo.procurement import procurement_highlights
    from demo.staff import pending_staff_invitations
    from invoices.models import Invoice
    from municipality.models import PaymentBatch

    lines = []
    with scopes_disabled():
        yamada = Supplier.objects.filter(registration_number=_YAMADA_NUMBER).first()
        withholding = Invoice.objects.filter(
            supplier=yamada, number=WITHHOLDING_INVOICE_NUMBER
        ).first()
        if withholding is not None:
            lines.append(
                f"源泉徴収: {yamada.legal_name}（個人事業主）の請求書 "
                f"{withholding.number}（{withholding.department.name}宛・"
                f"{withholding.get_status_display()}）請求金額 "
                f"{_yen(withholding.total)}、源泉徴収税額 "
                f"{_yen(withholding.withholding_tax)}、差引請求額 "
                f"{_yen(withholding.net_total)}"
                "（yamada@・kanoya-kenchiku@）"
            )
        if yamada is not None and yamada.seal_image:
            lines.append(f"印影: {yamada.legal_name}（事業者情報と請求書のPDFに表示）")
        discount = Invoice.objects.filter(
            supplier__registration_number=_OSUMI_NUMBER,
            number=DISCOUNT_INVOICE_NUMBER,
        ).first()
        if discount is not None:
            lines.append(
                f"値引き: {discount.supplier.legal_name}の請求書 {discount.number}"
                f"（{discount.department.name}宛・{discount.get_status_display()}）"
                "に単価がマイナスの明細「まとめ買い値引き」"
                "（supplier-owner@・kanoya-kosodate@）"
            )
            batch = PaymentBatch.objects.filter(
                items__invoice=discount, items__active=True
            ).first()
            if batch is not None and batch.payment_date > timezone.localdate():
                lines.append(
                    f"支払日前の支払バッチ: {batch.municipality.name} {batch.number}"
                    f"（支払日 {batch.payment_date:%Y/%m/%d}・"
                    f"{batch.get_status_display()}）支払日より前は支払済にできません"
                    "（kanoya-treasury@）"
                )
        kanoya = Municipality.objects.filter(local_government_code=KANOYA).first()
        if kanoya is not None:
            lines += procurement_highlights(municipality=kanoya)
        if kanoya is not None:
            for invitation in pending_staff_invitations(municipality=kanoya):
                departments = "・".join(
                    d.name for d in invitation.departments.order_by("code")
                )
                lines.append(
                    f"承諾待ちの職員の招待: {invitation.email}（{kanoya.name} "
                    f"{invitation.get_role_display()}・{departments}）"
                    "招待メールのリンクから登録できます"
                    "（kanoya-admin@ の職員の管理・変更履歴）"
                )
    return lines
