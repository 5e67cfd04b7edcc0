"""Platform admins import and export departments and connections (支払先
マスタ) as CSV in the Django admin. Rows name municipalities, departments
and suppliers by their codes; a code that names nothing, or a department of
another municipality, is an error on its row and nothing is imported."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from tablib import Dataset

from municipality.models import Department
from municipality.resources import DepartmentResource
from partners.models import Connection
from partners.resources import ConnectionResource
from tests.factories import ConnectionFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

DEPARTMENTS_URL = "/admin/municipality/department/"
CONNECTIONS_URL = "/admin/partners/connection/"
DEPARTMENT_HEADER = ["自治体コード", "部署コード", "部署名", "上位部署コード", "有効"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _csv(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _import(admin_client, url: str, data: bytes):
    """The admin's two steps: upload (a dry run that shows the rows) and,
    when it offers to, confirm. Returns the dry run's page and whether it
    offered to confirm."""
    page = admin_client.post(
        f"{url}import/",
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("rows.csv", data, "text/csv"),
        },
    )
    confirm = page.context.get("confirm_form")
    if confirm is not None:
        response = admin_client.post(f"{url}process_import/", confirm.initial)
        assert response.status_code == 302
    return page.content.decode(), confirm is not None


def _dry_run(resource, *rows: list[str]):
    """The resource's import of ``rows`` (header first), rolled back, with
    scopes disabled as in the admin."""
    dataset = Dataset(headers=rows[0])
    for row in rows[1:]:
        dataset.append(row)
    with scopes_disabled():
        return resource.import_data(dataset, dry_run=True)


# Departments


def test_departments_import_by_codes_with_parents_and_full_width_digits(
    admin_client, tenant
):
    parent = tenant.department
    page, confirmed = _import(
        admin_client,
        DEPARTMENTS_URL,
        _csv(
            DEPARTMENT_HEADER,
            ["４６２０３９", "900", "鹿屋小学校", parent.code, "1"],
            ["462039", "901", "休止中の分室", "", "無効"],
            ["462039", parent.code, "名称を変えた課", "", ""],
        ),
    )
    assert confirmed, page
    with scopes_disabled():
        school = Department.objects.get(code="900")
        closed = Department.objects.get(code="901")
        parent.refresh_from_db()
    assert (school.municipality, school.parent, school.is_active) == (
        tenant.municipality,
        parent,
        True,
    )
    assert closed.is_active is False
    assert parent.name == "名称を変えた課"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["999999", "900", "架空市の課", "", "1"], "自治体コード「999999」の自治体"),
        (["462039", "900", "孤児の課", "777", "1"], "上位部署コード「777」の部署"),
        (["462039", "900", "あいまいな課", "", "たぶん"], "「たぶん」は有効の欄"),
    ],
)
def test_department_rows_naming_nothing_are_errors_and_nothing_is_imported(
    tenant, row, message
):
    good = ["462039", "950", "正しい課", "", "1"]
    result = _dry_run(DepartmentResource(), DEPARTMENT_HEADER, good, row)
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    assert message in str(invalid.error_dict)
    with scopes_disabled():
        assert not Department.objects.filter(code__in=["900", "950"]).exists()


def test_a_parent_code_never_reaches_another_municipality(tenant, other_tenant):
    with scopes_disabled():
        Department.objects.filter(pk=other_tenant.department.pk).update(code="X-1")
    result = _dry_run(
        DepartmentResource(),
        DEPARTMENT_HEADER,
        ["462039", "900", "越境する課", "X-1", "1"],
    )
    assert result.has_validation_errors()
    assert "上位部署コード「X-1」の部署" in str(result.invalid_rows[0].error_dict)


def test_an_admin_import_with_an_error_offers_no_confirmation(admin_client, tenant):
    page, confirmed = _import(
        admin_client,
        DEPARTMENTS_URL,
        _csv(
            DEPARTMENT_HEADER,
            ["462039", "900", "正しい課", "", "1"],
            ["000000", "901", "架空の課", "", "1"],
        ),
    )
    assert not confirmed
    assert "自治体コード「000000」の自治体は登録されていません" in page
    with scopes_disabled():
        assert not Department.objects.filter(code__in=["900", "901"]).exists()


def test_departments_export_with_codes(admin_client, tenant):
    with scopes_disabled():
        tenant.other_department.parent = tenant.department
        tenant.other_department.save()
        queryset = Department.objects.filter(municipality=tenant.municipality)
        dataset = DepartmentResource().export(queryset)
    rows = {row[1]: row for row in dataset}
    assert dataset.headers == [
        "自治体コード",
        "部署コード",
        "部署名",
        "上位部署コード",
        "有効",
    ]
    assert rows[tenant.other_department.code] == (
        "462039",
        tenant.other_department.code,
        tenant.other_department.name,
        tenant.department.code,
        "1",
    )


def test_the_admin_export_is_utf8_with_a_bom(admin_client, tenant):
    response = admin_client.post(
        f"{DEPARTMENTS_URL}export/",
        {
            "format": "0",
            "resource": "0",
            **{
                f"departmentresource_{name}": "on"
                for name in ("municipality", "code", "name", "parent", "is_active")
            },
        },
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert tenant.department.name in response.content.decode("utf-8-sig")


# Connections

CONNECTION_HEADER = ["登録番号", "自治体コード", "部署コード", "支払先コード", "有効"]


def test_connections_import_by_registration_number_and_codes(admin_client, tenant):
    supplier = SupplierFactory()
    number = supplier.registration_number
    full_width = "Ｔ" + number[1:].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    page, confirmed = _import(
        admin_client,
        CONNECTIONS_URL,
        _csv(
            CONNECTION_HEADER,
            [full_width, "462039", tenant.department.code, "P-001", "1"],
            [number, "462039", tenant.other_department.code, "", "0"],
        ),
    )
    assert confirmed, page
    with scopes_disabled():
        connections = {
            c.department_id: c for c in Connection.objects.filter(supplier=supplier)
        }
    first = connections[tenant.department.pk]
    assert (first.municipality, first.payee_code, first.is_active) == (
        tenant.municipality,
        "P-001",
        True,
    )
    assert connections[tenant.other_department.pk].is_active is False


def test_a_connection_import_updates_the_existing_pair(admin_client, tenant):
    connection = ConnectionFactory(department=tenant.department, payee_code="OLD")
    _, confirmed = _import(
        admin_client,
        CONNECTIONS_URL,
        _csv(
            CONNECTION_HEADER,
            [
                connection.supplier.registration_number,
                "462039",
                tenant.department.code,
                "NEW",
                "1",
            ],
        ),
    )
    assert confirmed
    with scopes_disabled():
        connection.refresh_from_db()
        assert Connection.objects.filter(supplier=connection.supplier).count() == 1
    assert connection.payee_code == "NEW"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["T9999999999999", "462039", "{code}", "", "1"], "登録番号「T9999999999999」"),
        (["{number}", "999999", "{code}", "", "1"], "自治体コード「999999」"),
        (["{number}", "462039", "no-such", "", "1"], "部署コード「no-such」の部署"),
    ],
)
def test_connection_rows_naming_nothing_are_errors(tenant, row, message):
    supplier = SupplierFactory()
    values = [
        cell.format(number=supplier.registration_number, code=tenant.department.code)
        for cell in row
    ]
    result = _dry_run(ConnectionResource(), CONNECTION_HEADER, values)
    assert result.has_validation_errors()
    assert message in str(result.invalid_rows[0].error_dict)
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()


def test_a_connection_never_joins_another_municipalitys_department(
    tenant, other_tenant
):
    """The department code is looked up in the row's municipality only."""
    supplier = SupplierFactory()
    with scopes_disabled():
        Department.objects.filter(pk=other_tenant.department.pk).update(code="X-1")
    result = _dry_run(
        ConnectionResource(),
        CONNECTION_HEADER,
        [supplier.registration_number, "462039", "X-1", "", "1"],
    )
    assert result.has_validation_errors()
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()


def test_connections_export_with_codes(tenant, supplier_user):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        dataset = ConnectionResource().export(Connection.objects.all())
    assert dataset.headers == [
        "登録番号",
        "取引先名",
        "自治体コード",
        "部署コード",
        "支払先コード",
        "有効",
    ]
    assert list(dataset[0]) == [
        connection.supplier.registration_number,
        connection.supplier.legal_name,
        "462039",
        tenant.department.code,
        connection.payee_code,
        "1",
    ]
