"""factory_boy factories that keep one tenant throughout a chain."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from municipality.models import Department, Municipality, StaffMembership, StaffRole
from municipality.validators import corporate_check_digit
from partners.models import Connection, Supplier, SupplierMembership, SupplierRole

PASSWORD = "correct-horse-battery"


def corporate_number(n: int) -> str:
    body = f"{n:012d}"
    return f"{corporate_check_digit(body)}{body}"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    name = factory.Sequence(lambda n: f"利用者{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MunicipalityFactory(DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality
        django_get_or_create = ("local_government_code",)

    name = "鹿屋市"
    name_kana = "カノヤシ"
    local_government_code = "462039"
    corporate_number = "8000020462039"
    slug = "kanoya"
    address = "鹿児島県鹿屋市共栄町20番1号"


class DepartmentFactory(DjangoModelFactory[Department]):
    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"{n + 100:03d}")
    name = factory.Sequence(lambda n: f"部署{n}")


class StaffMembershipFactory(DjangoModelFactory[StaffMembership]):
    class Meta:
        model = StaffMembership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    role = StaffRole.DEPARTMENT

    @factory.post_generation
    def departments(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.departments.add(*extracted)


class SupplierFactory(DjangoModelFactory[Supplier]):
    class Meta:
        model = Supplier

    legal_name = factory.Sequence(lambda n: f"株式会社テスト商事{n}")
    name_kana = factory.Sequence(lambda n: f"テストシヨウジ{n}")
    registration_number = factory.Sequence(lambda n: f"T{corporate_number(n + 1000)}")
    address = "鹿児島県鹿屋市打馬1丁目1番1号"


class SupplierMembershipFactory(DjangoModelFactory[SupplierMembership]):
    class Meta:
        model = SupplierMembership

    user = factory.SubFactory(UserFactory)
    supplier = factory.SubFactory(SupplierFactory)
    role = SupplierRole.OWNER


class ConnectionFactory(DjangoModelFactory[Connection]):
    class Meta:
        model = Connection

    supplier = factory.SubFactory(SupplierFactory)
    department = factory.SubFactory(DepartmentFactory)
    municipality = factory.SelfAttribute("department.municipality")
    payee_code = factory.Sequence(lambda n: f"P{n:06d}")


def make_invoice(*, connection, actor, lines=None, issue=True, **fields):
    """An invoice made through the services, as a supplier would (issued
    unless ``issue`` is false). ``lines`` are ``LineInput``s."""
    from decimal import Decimal

    from django.utils import timezone

    from invoices.services import (
        LineInput,
        invoice_draft_save,
        invoice_issue,
        invoice_number_suggest,
    )

    today = timezone.localdate()
    values = {
        "number": invoice_number_suggest(supplier=connection.supplier),
        "issue_date": today,
        "transaction_date": today,
        "subject": "事務用品",
        "price_basis": "exclusive",
        **fields,
    }
    invoice = invoice_draft_save(
        supplier=connection.supplier,
        actor=actor,
        connection=connection,
        fields=values,
        lines=lines
        or [
            LineInput("コピー用紙 A4", Decimal(10), Decimal("450"), "S", "箱"),
            LineInput("お茶（来客用）", Decimal(3), Decimal("120"), "AA", "本"),
        ],
    )
    return invoice_issue(invoice=invoice, actor=actor) if issue else invoice
