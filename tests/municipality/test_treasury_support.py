"""Builders shared by the treasury tests (no tests here): treasury settings,
suppliers with a default bank account, approved invoices and bank business
days. Call them with scopes disabled."""

from datetime import date, timedelta

from django.utils import timezone

from invoices.services.decisions import invoice_approve
from municipality.models import TreasurySettings
from municipality.treasury.zengin import bank_business_day
from partners.models import BankAccount
from tests.factories import ConnectionFactory, SupplierMembershipFactory, make_invoice

CITY_BANK = {"bank_code": "0185", "branch_code": "000"}  # 鹿児島銀行 本店営業部


def make_settings(municipality, **fields) -> TreasurySettings:
    values = {
        "originator_code": "1234567890",
        "originator_name_kana": "ｶﾉﾔｼｶｲｹｲｶﾝﾘｼﾔ",
        **CITY_BANK,
        "account_type": "1",
        "account_number": "7654321",
        **fields,
    }
    return TreasurySettings.objects.create(municipality=municipality, **values)


def make_bank_account(supplier, **fields) -> BankAccount:
    values = {
        "bank_code": "0005",
        "bank_name": "三菱UFJ",
        "branch_code": "001",
        "branch_name": "本店",
        "account_type": "1",
        "account_number": "1234567",
        "holder_kana": "ｶ)ﾃｽﾄｼﾖｳｼﾞ",
        "is_default": True,
        **fields,
    }
    BankAccount.objects.filter(supplier=supplier, is_default=True).update(
        is_default=False
    )
    return BankAccount.objects.create(supplier=supplier, **values)


def make_supplier(department, **account_fields):
    """A supplier member (owner) connected to ``department``, with a default
    bank account; returns (user, connection)."""
    membership = SupplierMembershipFactory()
    connection = ConnectionFactory(supplier=membership.supplier, department=department)
    make_bank_account(membership.supplier, **account_fields)
    return membership.user, connection


def make_approved(tenant, user, connection, **fields):
    """An invoice issued by ``user`` and approved by the department."""
    invoice = make_invoice(connection=connection, actor=user, **fields)
    staff = tenant.department_staff
    if connection.department_id != tenant.department.pk:
        staff.staff_memberships.get().departments.add(connection.department)
    return invoice_approve(
        invoice=invoice, actor=staff, inspection_date=timezone.localdate()
    )


def business_day_after(day: date, *, days: int = 1) -> date:
    """The first bank business day at least ``days`` after ``day``."""
    day += timedelta(days=days)
    while not bank_business_day(day):
        day += timedelta(days=1)
    return day


def next_saturday(day: date) -> date:
    return day + timedelta(days=(5 - day.weekday()) % 7 or 7)
