"""``manage.py import_invoices``: the same checks and messages as the
upload page; exit status 1 and nothing saved on any problem."""

import io

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from invoices.models import Invoice, InvoiceStatus
from partners.models import SupplierRole
from tests.factories import SupplierMembershipFactory
from tests.invoices.test_csv_import import csv_file, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def good_file(tmp_path, tenant):
    path = tmp_path / "請求書.csv"
    path.write_bytes(
        csv_file(
            [
                line(tenant.department),
                line(tenant.department, 品名="お茶", 単価="120", 税区分="8%"),
                line(tenant.department, 請求書番号="A-2", 単価="1,000"),
            ],
            encoding="cp932",
        )
    )
    return path


@pytest.fixture
def bad_file(tmp_path, tenant):
    path = tmp_path / "誤り.csv"
    path.write_bytes(
        csv_file(
            [
                line(tenant.department),
                line(tenant.department, 請求書番号="A-2", 数量="１０個"),
                line(tenant.department, 請求書番号="A-3", 宛先部署コード="999"),
            ]
        )
    )
    return path


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_invoices", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def invoices_of(supplier) -> list[Invoice]:
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier).order_by("number"))


def test_dry_run_checks_and_saves_nothing(supplier, good_file):
    out, err = run(good_file, "--supplier", supplier.registration_number, "--dry-run")
    assert out == (
        "確認しました（保存していません）: 請求書 2件（明細 3行、請求金額の合計 "
        "17,246円、文字コード Shift_JIS（CP932））\n"
    )
    assert err == ""
    assert invoices_of(supplier) == []


def test_import_saves_drafts_by_the_only_owner(supplier, supplier_user, good_file):
    out, _ = run(good_file, "--supplier", supplier.registration_number)
    assert out.startswith("下書きとして保存しました: 請求書 2件（明細 3行、")
    invoices = invoices_of(supplier)
    assert [(i.number, i.status, i.created_by) for i in invoices] == [
        ("A-1", InvoiceStatus.DRAFT, supplier_user),
        ("A-2", InvoiceStatus.DRAFT, supplier_user),
    ]


def test_issue_issues_them(supplier, good_file, tenant):
    # The registration number may be typed with full-width digits.
    number = supplier.registration_number.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    out, _ = run(good_file, "--supplier", number, "--issue", "--verbosity", "2")
    name = tenant.department.name
    assert out.splitlines()[:2] == [
        f"A-1  鹿屋市 {name}  明細2行  6,246円",
        f"A-2  鹿屋市 {name}  明細1行  11,000円",
    ]
    assert out.splitlines()[2].startswith("発行しました: ")
    assert {i.status for i in invoices_of(supplier)} == {InvoiceStatus.ISSUED}


def test_errors_are_printed_per_row_and_nothing_is_saved(supplier, bad_file):
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_invoices",
            str(bad_file),
            "--supplier",
            supplier.registration_number,
            stdout=io.StringIO(),
            stderr=err,
        )
    assert raised.value.returncode == 1
    assert str(raised.value) == "誤りが2件あります。何も保存していません。"
    assert err.getvalue().splitlines() == [
        "3行目「数量」: 「１０個」は数値として読めません。"
        "半角または全角の数字で入力してください（例: 10、1,000）。",
        "4行目「宛先部署コード」: 鹿屋市に部署コード「999」の部署はありません。"
        "自治体から知らされた部署コードを確認してください。",
    ]
    assert invoices_of(supplier) == []


def test_dry_run_with_issue_reports_what_would_stop_issuing(supplier, tenant, tmp_path):
    path = tmp_path / "zero.csv"
    path.write_bytes(csv_file([line(tenant.department, 単価="0")]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_invoices",
            str(path),
            "--supplier",
            supplier.registration_number,
            "--dry-run",
            "--issue",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert err.getvalue().startswith(
        "2行目「請求書番号」: 請求書番号 A-1 は請求金額が0円のため発行できません。"
    )
    run(path, "--supplier", supplier.registration_number, "--dry-run")


def test_second_import_of_the_same_file_says_why(supplier, good_file):
    run(good_file, "--supplier", supplier.registration_number)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_invoices",
            str(good_file),
            "--supplier",
            supplier.registration_number,
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "請求書番号 A-1 はすでに登録されています" in err.getvalue()
    assert len(invoices_of(supplier)) == 2


def test_unknown_supplier(supplier, good_file):
    with pytest.raises(
        CommandError, match="登録番号 T0000000000000 の取引先はありません"
    ):
        run(good_file, "--supplier", "T0000000000000")


def test_missing_file(supplier, tmp_path):
    with pytest.raises(CommandError, match="ファイルを読めません"):
        run(tmp_path / "none.csv", "--supplier", supplier.registration_number)


def test_user_must_belong_to_the_supplier(supplier, good_file, other_supplier_user):
    with pytest.raises(CommandError, match="の利用者ではありません"):
        run(
            good_file,
            "--supplier",
            supplier.registration_number,
            "--user",
            other_supplier_user.email,
        )
    assert invoices_of(supplier) == []


def test_several_owners_need_user(supplier, good_file):
    second = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.OWNER)
    with pytest.raises(CommandError, match="--user で取り込む人"):
        run(good_file, "--supplier", supplier.registration_number)
    run(
        good_file,
        "--supplier",
        supplier.registration_number,
        "--user",
        second.user.email,
    )
    assert {i.created_by for i in invoices_of(supplier)} == {second.user}
