import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import ScopeError, scope, scopes_disabled

from municipality.models import Department, Municipality, StaffRole
from municipality.services import department_create, staff_membership_grant
from partners.models import Connection, Supplier
from partners.services.suppliers import connection_create, supplier_member_add
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_municipality_identifiers_are_normalized_and_checked():
    municipality = Municipality(
        name="鹿屋市",
        name_kana="カノヤシ",
        local_government_code="４６２０３９",
        corporate_number="8-0000-2046-2039",
        slug="kanoya",
        address="鹿児島県鹿屋市共栄町20番1号",
    )
    municipality.full_clean()
    assert municipality.local_government_code == "462039"
    assert municipality.corporate_number == "8000020462039"

    municipality.local_government_code = "462038"
    with pytest.raises(ValidationError) as excinfo:
        municipality.full_clean()
    assert "検査数字" in str(excinfo.value.message_dict["local_government_code"])


def test_database_rejects_malformed_local_government_code(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.filter(pk=tenant.municipality.pk).update(
            local_government_code="46203X"
        )


def test_department_code_is_unique_per_municipality_only(tenant, other_tenant):
    with scopes_disabled():
        department_create(
            municipality=other_tenant.municipality,
            code=tenant.department.code,
            name="同じコードの別自治体の部署",
        )
        with pytest.raises(ValidationError):
            department_create(
                municipality=tenant.municipality,
                code=tenant.department.code,
                name="重複",
            )


def test_department_parent_must_be_in_the_same_municipality(tenant, other_tenant):
    with scopes_disabled(), pytest.raises(ValidationError) as excinfo:
        department_create(
            municipality=tenant.municipality,
            code="999",
            name="学校",
            parent=other_tenant.department,
        )
    assert "同じ自治体" in str(excinfo.value)


def test_department_cannot_be_its_own_ancestor(tenant):
    with scopes_disabled():
        child = DepartmentFactory(
            municipality=tenant.municipality, parent=tenant.department
        )
        tenant.department.parent = child
        with pytest.raises(ValidationError, match="自分自身"):
            tenant.department.full_clean()


def test_scoped_query_without_scope_fails_loudly(tenant):
    with pytest.raises(ScopeError):
        list(Department.objects.all())


def test_scope_shows_only_its_own_municipality(tenant, other_tenant):
    with scope(municipality=tenant.municipality.pk):
        names = set(Department.objects.values_list("name", flat=True))
    assert names == {tenant.department.name, tenant.other_department.name}


def test_registration_number_is_normalized_and_unique(tenant):
    supplier = SupplierFactory.build(registration_number="ｔ７１２０００１１６８４２１")
    supplier.full_clean()
    assert supplier.registration_number == "T7120001168421"
    supplier.save()
    duplicate = SupplierFactory.build(registration_number="T7120001168421")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "すでに登録" in str(excinfo.value)


def test_supplier_with_bad_registration_number_gets_a_japanese_message():
    supplier = SupplierFactory.build(registration_number="T7120001168422")
    with pytest.raises(ValidationError) as excinfo:
        supplier.full_clean()
    assert "検査用数字" in excinfo.value.message_dict["registration_number"][0]


def test_database_rejects_malformed_registration_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        Supplier.objects.create(
            legal_name="x", name_kana="x", address="x", registration_number="T123"
        )


def test_unregistered_suppliers_may_leave_the_number_empty():
    SupplierFactory(registration_number="")
    SupplierFactory(registration_number="")
    assert Supplier.objects.filter(registration_number="").count() == 2


def test_connection_is_unique_per_supplier_and_department(tenant):
    with scopes_disabled():
        connection = ConnectionFactory(department=tenant.department)
        again = connection_create(
            supplier=connection.supplier, department=tenant.department
        )
        assert again.pk == connection.pk
        with pytest.raises(IntegrityError), transaction.atomic():
            Connection.objects.create(
                municipality=tenant.municipality,
                supplier=connection.supplier,
                department=tenant.department,
            )


def test_connection_takes_the_departments_municipality(tenant, other_tenant):
    supplier = SupplierFactory()
    with scopes_disabled():
        connection = connection_create(
            supplier=supplier, department=other_tenant.department
        )
        assert connection.municipality == other_tenant.municipality
        connection.municipality = tenant.municipality
        with pytest.raises(ValidationError):
            connection.full_clean()


def test_user_belongs_to_one_supplier_only():
    membership = SupplierMembershipFactory()
    with pytest.raises(ValidationError, match="別の取引先"):
        supplier_member_add(
            supplier=SupplierFactory(),
            user=membership.user,
            role="clerk",
            actor=None,
        )


def test_department_staff_needs_departments_of_the_same_municipality(
    tenant, other_tenant
):
    user = UserFactory()
    with scopes_disabled():
        with pytest.raises(ValidationError, match="担当部署"):
            staff_membership_grant(
                user=user,
                municipality=tenant.municipality,
                role=StaffRole.DEPARTMENT,
                actor=None,
            )
        with pytest.raises(ValidationError, match="同じ自治体"):
            staff_membership_grant(
                user=user,
                municipality=tenant.municipality,
                role=StaffRole.DEPARTMENT,
                departments=[other_tenant.department],
                actor=None,
            )
        membership = staff_membership_grant(
            user=user,
            municipality=tenant.municipality,
            role=StaffRole.DEPARTMENT,
            departments=[tenant.department],
            actor=None,
        )
        assert list(membership.departments.all()) == [tenant.department]


def test_user_email_is_case_insensitively_unique():
    UserFactory(email="Staff@Example.jp")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="staff@example.jp")
