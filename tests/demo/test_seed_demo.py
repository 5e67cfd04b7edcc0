import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled

from accounts.models import User
from demo.cities import kanoya_department_rows
from demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from municipality.models import Department, Municipality, StaffMembership, StaffRole
from partners.models import (
    Connection,
    LegalForm,
    Supplier,
    SupplierMembership,
    TaxRounding,
)
from tests.factories import PASSWORD, SupplierMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_scope():
    """These tests read the data of both municipalities at once."""
    with scopes_disabled():
        yield


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def test_seed_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Municipality.objects.exists()


@pytest.fixture
def first_output():
    return seed_demo()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, read past the django-scopes managers."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def departments_of(slug: str) -> dict[str, tuple[str, str]]:
    return {
        d.code: (d.name, d.parent.code if d.parent else "")
        for d in Department.objects.filter(municipality__slug=slug).select_related(
            "parent"
        )
    }


def test_kanoya_gets_every_department_of_the_csv_with_its_parent(first_output):
    departments = departments_of("kanoya")

    assert len(departments) == 55
    assert departments == {
        row.code: (row.name, row.parent_code) for row in kanoya_department_rows()
    }
    assert departments["05001"] == ("学校教育課吾平学校給食センター", "050")
    assert departments["050"] == ("学校教育課", "")


def test_kanoya_and_kirishima_are_created_with_their_details(first_output):
    kanoya = Municipality.objects.get(local_government_code="462039")
    kirishima = Municipality.objects.get(local_government_code="462187")

    assert (kanoya.name, kanoya.name_kana, kanoya.slug) == (
        "鹿屋市",
        "カノヤシ",
        "kanoya",
    )
    assert kanoya.corporate_number == "8000020462039"
    assert kanoya.postal_code == "893-8501"
    assert kanoya.address == "鹿児島県鹿屋市共栄町20番1号"
    assert (kirishima.name, kirishima.slug) == ("霧島市", "kirishima")
    assert kirishima.corporate_number == "8000020462187"
    assert kirishima.address == "鹿児島県霧島市国分中央三丁目45番1号"


def test_kirishima_gets_its_own_departments_and_sub_unit(first_output):
    departments = departments_of("kirishima")

    assert len(departments) == 6
    assert departments["010"] == ("総務課", "")
    assert departments["04001"] == ("教育総務課学校給食センター", "040")


def test_three_suppliers_with_valid_numbers_and_each_rounding_mode(first_output):
    suppliers = {s.legal_name: s for s in Supplier.objects.all()}

    for supplier in suppliers.values():
        supplier.full_clean()
    assert sorted(suppliers) == sorted(
        ["株式会社おおすみ文具", "有限会社かのや給食サービス", "山田設計事務所"]
    )
    osumi = suppliers["株式会社おおすみ文具"]
    assert osumi.corporate_number == osumi.registration_number[1:]
    assert osumi.tax_rounding == TaxRounding.FLOOR
    assert suppliers["有限会社かのや給食サービス"].tax_rounding == TaxRounding.HALF_UP
    yamada = suppliers["山田設計事務所"]
    assert yamada.legal_form == LegalForm.INDIVIDUAL
    assert osumi.legal_form == LegalForm.CORPORATION
    assert yamada.corporate_number == ""
    assert yamada.registration_number.startswith("T")
    assert yamada.tax_rounding == TaxRounding.CEILING


def test_suppliers_are_connected_to_their_departments_with_payee_codes(first_output):
    connections = {
        (c.supplier.legal_name, c.municipality.slug, c.department.code): c.payee_code
        for c in Connection.objects.select_related(
            "supplier", "municipality", "department"
        )
    }

    assert connections == {
        ("株式会社おおすみ文具", "kanoya", "200"): "K100001",
        ("株式会社おおすみ文具", "kanoya", "050"): "K100001",
        ("株式会社おおすみ文具", "kanoya", "330"): "K100001",
        ("株式会社おおすみ文具", "kirishima", "010"): "R200001",
        ("有限会社かのや給食サービス", "kanoya", "05001"): "K100002",
        ("有限会社かのや給食サービス", "kanoya", "05004"): "K100002",
        ("有限会社かのや給食サービス", "kirishima", "04001"): "R200002",
        ("山田設計事務所", "kanoya", "170"): "K100003",
    }
    assert all(c.is_active for c in Connection.objects.all())


def test_supplier_users_belong_to_their_supplier_with_their_role(first_output):
    members = {
        m.user.email: (m.supplier.legal_name, m.role)
        for m in SupplierMembership.objects.select_related("user", "supplier")
    }

    assert members == {
        "supplier-owner@example.jp": ("株式会社おおすみ文具", "owner"),
        "supplier-clerk@example.jp": ("株式会社おおすみ文具", "clerk"),
        "kyushoku@example.jp": ("有限会社かのや給食サービス", "owner"),
        "yamada@example.jp": ("山田設計事務所", "owner"),
    }


def staff_roles_of(email: str) -> set[tuple[str, str, frozenset[str]]]:
    return {
        (
            m.municipality.slug,
            m.role,
            frozenset(m.departments.values_list("code", flat=True)),
        )
        for m in StaffMembership.objects.filter(user__email=email)
    }


def test_multi_user_holds_roles_in_both_municipalities(first_output):
    assert staff_roles_of("multi@example.jp") == {
        ("kanoya", StaffRole.DEPARTMENT, frozenset({"330"})),
        ("kanoya", StaffRole.CITY_ADMIN, frozenset()),
        ("kirishima", StaffRole.DEPARTMENT, frozenset({"010"})),
    }


def test_department_staff_handle_only_their_departments(first_output):
    assert staff_roles_of("kanoya-kosodate@example.jp") == {
        ("kanoya", StaffRole.DEPARTMENT, frozenset({"200"}))
    }
    assert staff_roles_of("kanoya-gakko@example.jp") == {
        (
            "kanoya",
            StaffRole.DEPARTMENT,
            frozenset({"050", "05001", "05002", "05003", "05004", "05005"}),
        )
    }
    assert staff_roles_of("kirishima-staff@example.jp") == {
        ("kirishima", StaffRole.DEPARTMENT, frozenset({"020"}))
    }
    assert staff_roles_of("kirishima-treasury@example.jp") == {
        ("kirishima", StaffRole.TREASURY, frozenset())
    }


def test_every_demo_user_logs_in_with_the_demo_password(first_output):
    for login in DEMO_LOGINS:
        user = authenticate(email=login.email, password=DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.name == login.name


def test_only_the_platform_admin_may_use_the_django_admin(first_output):
    admins = User.objects.filter(is_staff=True)

    assert [(u.email, u.is_superuser) for u in admins] == [("admin@example.jp", True)]


def test_first_run_prints_what_it_created_and_the_logins(first_output):
    assert (
        "デモデータを作成しました: 自治体 2件、部署 61件、利用者 14件" in first_output
    )
    assert DEMO_PASSWORD in first_output
    assert "http://127.0.0.1:8000/accounts/login/" in first_output
    for login in DEMO_LOGINS:
        assert login.email in first_output


def test_second_run_changes_nothing_and_says_so(first_output):
    before = snapshot()

    output = seed_demo()

    assert snapshot() == before
    assert "デモデータはすでに最新です（変更なし）" in output
    assert "デモデータを作成しました" not in output
    for login in DEMO_LOGINS:
        assert login.email in output


def test_second_run_leaves_rows_edited_during_the_demo_alone(first_output):
    user = User.objects.get(email="kanoya-admin@example.jp")
    user.name = "変更後の名前"
    user.set_password(PASSWORD)
    user.save()
    Connection.objects.filter(payee_code="K100003").update(is_active=False)

    output = seed_demo()

    user.refresh_from_db()
    assert user.name == "変更後の名前"
    assert user.check_password(PASSWORD)
    assert not Connection.objects.get(payee_code="K100003").is_active
    assert "変更なし" in output


def test_existing_user_keeps_password_and_gets_the_demo_roles():
    UserFactory(email="kanoya-treasury@example.jp", name="既存の職員")

    seed_demo()

    user = User.objects.get(email="kanoya-treasury@example.jp")
    assert user.name == "既存の職員"
    assert user.check_password(PASSWORD)
    assert staff_roles_of(user.email) == {("kanoya", StaffRole.TREASURY, frozenset())}


def test_conflict_with_existing_data_fails_and_creates_nothing():
    SupplierMembershipFactory(user=UserFactory(email="supplier-clerk@example.jp"))
    before = snapshot()

    with pytest.raises(CommandError, match="別の取引先"):
        seed_demo()

    assert snapshot() == before


def test_demo_invoices_cover_every_state_with_a_valid_audit_chain(first_output):
    from invoices.audit_verify import chain_verify
    from invoices.models import Invoice, InvoiceStatus

    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses >= {
        InvoiceStatus.DRAFT,
        InvoiceStatus.ISSUED,
        InvoiceStatus.OPENED,
        InvoiceStatus.RETURNED,
        InvoiceStatus.APPROVED,
        InvoiceStatus.WITHDRAWN,
    }
    returned = Invoice.objects.get(number="DEMO-0004")
    correction = returned.corrections.get()
    assert correction.status == InvoiceStatus.ISSUED
    assert correction.total != returned.total
    assert chain_verify() is None


def test_the_logins_point_at_the_address_the_demo_serves_on(settings):
    settings.SITE_URL = "http://127.0.0.1:8101/"

    output = seed_demo()

    assert "http://127.0.0.1:8101/accounts/login/" in output
    assert ":8000" not in output


def test_make_demo_passes_its_port_to_the_mail_links():
    """``make demo PORT=8101`` serves on 8101, so mail links must say 8101."""
    root = Path(__file__).resolve().parents[2]
    dry_run = subprocess.run(
        [shutil.which("make"), "-n", "demo", "PORT=8101"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seed = next(line for line in dry_run.splitlines() if "seed_demo" in line)
    assert "SITE_URL=http://127.0.0.1:8101" in seed
