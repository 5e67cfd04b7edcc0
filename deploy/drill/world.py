"""The drill's world: a municipality, a department, a supplier trading
with it, and ``CLIENTS`` users on each side."""

import secrets
from dataclasses import dataclass

from django_scopes import scopes_disabled

from accounts.models import User
from accounts.services import user_email_set_verified
from municipality.models import (
    Department,
    Municipality,
    StaffMembership,
    StaffRole,
)
from municipality.validators import corporate_check_digit
from partners.models import (
    Connection,
    Supplier,
    SupplierMembership,
    SupplierRole,
)

CLIENTS = 16
SLUG = "drill"


def _corporate_number(n: int) -> str:
    body = f"{n:012d}"
    return f"{corporate_check_digit(body)}{body}"


@dataclass
class World:
    municipality: Municipality
    connection: Connection
    suppliers: list[str]  # login addresses
    staff: list[str]
    password: str


def world_ensure() -> World:
    """A municipality, a department, a supplier trading with it, and
    CLIENTS users on each side; a fresh random password every run."""
    password = secrets.token_urlsafe(16)
    with scopes_disabled():
        municipality, _ = Municipality.objects.get_or_create(
            slug=SLUG,
            defaults={
                "name": "訓練市",
                "name_kana": "クンレンシ",
                "local_government_code": "999997",
                "corporate_number": _corporate_number(999997),
                "address": "訓練県訓練市1番地",
            },
        )
        department, _ = Department.objects.get_or_create(
            municipality=municipality, code="001", defaults={"name": "訓練課"}
        )
        supplier, _ = Supplier.objects.get_or_create(
            registration_number=f"T{_corporate_number(999998)}",
            defaults={
                "legal_name": "株式会社訓練商事",
                "name_kana": "カブシキガイシヤクンレンシヨウジ",
                "address": "訓練県訓練市2番地",
            },
        )
        link, _ = Connection.objects.get_or_create(
            supplier=supplier,
            department=department,
            defaults={"municipality": municipality, "payee_code": "DRILL01"},
        )
        suppliers, staff = [], []
        for i in range(CLIENTS):
            user = _user(f"drill-supplier-{i:02d}@example.jp", password)
            SupplierMembership.objects.get_or_create(
                user=user, supplier=supplier, defaults={"role": SupplierRole.OWNER}
            )
            suppliers.append(user.email)
            user = _user(f"drill-staff-{i:02d}@example.jp", password)
            membership, _ = StaffMembership.objects.get_or_create(
                user=user,
                municipality=municipality,
                defaults={"role": StaffRole.DEPARTMENT},
            )
            membership.departments.add(department)
            staff.append(user.email)
    return World(municipality, link, suppliers, staff, password)


def _user(email: str, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, name="訓練 利用者")
    user.set_password(password)
    user.save()
    user_email_set_verified(user=user)
    return user
