"""Demo data (デモデータ) for trying the portal locally.

Kanoya City with its real list of departments, Kirishima City
(``demo.cities``), staff in every role (``demo.logins``) and three invented
suppliers (``demo.suppliers``); their invoices (``demo.invoices``),
Kanoya's treasury (``demo.treasury``) and the staff Kanoya's administrator
invited (``demo.staff``). ``demo_seed`` looks every row up by its natural
key and creates only what is missing: a row that exists is never changed,
so the seed can run again after the demo has been used, and a database
seeded by an older version gains what is new. (One exception: a database
seeded before suppliers had a legal form has 山田設計事務所 as a
corporation; it becomes the sole proprietor it always was once, when its
withholding invoice is made.)
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User
from demo.cities import (
    _KIRISHIMA_DEPARTMENTS,
    _MUNICIPALITIES,
    KANOYA,
    KIRISHIMA,
    _departments_ensure,
    _municipality_ensure,
    kanoya_department_rows,
)
from demo.logins import (
    _STAFF_ROLES,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    _staff_role_ensure,
    _two_factor_ensure,
    _user_ensure,
    demo_login_needs_two_factor,
)
from demo.suppliers import (
    _OSUMI_NUMBER,
    _SUPPLIERS,
    _YAMADA_NUMBER,
    _connection_ensure,
    _supplier_ensure,
    _supplier_member_ensure,
)
from municipality.models import Department, Municipality
from partners.models import Connection, Supplier


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
