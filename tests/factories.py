"""factory_boy factories that keep one tenant throughout a chain."""

import time

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.urls import reverse
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from accounts.services import user_email_set_verified, user_totp_activate
from accounts.twofactor import totp_code, two_factor_enabled
from municipality.models import (
    Department,
    Municipality,
    PaymentBatch,
    StaffMembership,
    StaffRole,
)
from municipality.validators import corporate_check_digit
from partners.models import Connection, Supplier, SupplierMembership, SupplierRole

PASSWORD = "correct-horse-battery"
# The authenticator-app secret of every factory user with two-factor
# authentication: ``accounts.twofactor.totp_code(TOTP_SECRET)`` is their code.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


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

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):  # noqa: N805
        """The login address is verified, as for an invited account
        (``verified_email=False``: no allauth address row at all)."""
        if create and extracted is not False:
            user_email_set_verified(user=obj)

    @factory.post_generation
    def two_factor(obj, create, extracted, **kwargs):  # noqa: N805
        """Platform administrators (``is_staff``/``is_superuser``) get an
        authenticator app with ``TOTP_SECRET``, as the admin requires;
        ``two_factor=True``/``False`` decides for anyone."""
        wanted = (obj.is_staff or obj.is_superuser) if extracted is None else extracted
        if create and wanted:
            totp_ensure(obj)


def totp_ensure(user) -> None:
    """Give ``user`` an authenticator app with ``TOTP_SECRET`` unless they
    have one."""
    if not two_factor_enabled(user):
        user_totp_activate(user=user, secret=TOTP_SECRET)


# (email, code) pairs entered by this process: allauth takes a code once, so
# a second login within the same 30 seconds waits for the next code.
_codes_entered: set[tuple[str, str]] = set()


def totp_code_for(email: str) -> str:
    """The code the authenticator app of the user at ``email`` shows now
    (one not entered yet by this test process)."""
    authenticator = Authenticator.objects.get(
        user__email__iexact=email, type=Authenticator.Type.TOTP
    )
    secret = decrypt(authenticator.data["secret"])
    # The server accepts this window's code only: one computed in its last
    # seconds may reach the server in the next (a busy browser test).
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.5)
    code = totp_code(secret)
    if (email.lower(), code) in _codes_entered:
        time.sleep(30 - time.time() % 30 + 0.5)
        code = totp_code(secret)
    _codes_entered.add((email.lower(), code))
    return code


def login_through_form(client, email: str, password: str = PASSWORD, **extra):
    """Log in through allauth's login page as a person does: the password,
    then the authenticator code when the account has two-factor
    authentication (platform and city administrators). Follows redirects;
    returns the last response."""
    response = client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        follow=True,
        **extra,
    )
    chain = response.redirect_chain
    if chain and chain[-1][0] == reverse("mfa_authenticate"):
        response = client.post(
            reverse("mfa_authenticate"),
            {"code": totp_code_for(email)},
            follow=True,
            **extra,
        )
    return response


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

    @factory.post_generation
    def two_factor(obj, create, extracted, **kwargs):  # noqa: N805
        """A city administrator gets an authenticator app with
        ``TOTP_SECRET`` (the city console requires one), unless
        ``two_factor=False``."""
        if create and obj.role == StaffRole.CITY_ADMIN and extracted is not False:
            totp_ensure(obj.user)


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

    from invoices.services.drafts import (
        LineInput,
        invoice_draft_save,
        invoice_number_suggest,
    )
    from invoices.services.issue import invoice_issue

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


def payment_day_reached(batch: PaymentBatch) -> PaymentBatch:
    """Move a batch's payment date to today, as if its day had come: a batch
    is marked paid only from its payment date on."""
    PaymentBatch._base_manager.filter(pk=batch.pk).update(
        payment_date=timezone.localdate()
    )
    batch.refresh_from_db()
    return batch
