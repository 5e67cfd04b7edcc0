"""Connections (支払先マスタ) as CSV for the Django admin
(django-import-export).

A row names the supplier by its registration number and the department by
its code within the municipality named on the same row, so a connection can
never join a department of another municipality. Unknown codes are errors
on their row; the admin imports nothing until every row is valid.
"""

from django.utils.translation import gettext
from import_export import fields, widgets

from municipality.resources import (
    DEPARTMENT_CODE,
    MUNICIPALITY_CODE,
    CodeLookupResource,
    DepartmentCodeWidget,
    MunicipalityCodeWidget,
    active_field,
)
from municipality.validators import normalize_identifier
from partners.models import Connection, Supplier


class SupplierRegistrationWidget(widgets.ForeignKeyWidget):
    """A supplier by its registration number (登録番号, T + 13 digits)."""

    def __init__(self):
        super().__init__(Supplier, "registration_number")

    def clean(self, value, row=None, **kwargs):
        number = normalize_identifier(str(value or ""))
        if not number:
            return None
        try:
            return super().clean(number, row, **kwargs)
        except Supplier.DoesNotExist:
            raise ValueError(
                gettext(
                    "登録番号「%(value)s」の取引先は登録されていません。"
                    "T＋13桁の登録番号を確認してください。"
                )
                % {"value": value}
            ) from None


# The column names of the payee master CSV, parsed on import.
REGISTRATION_NUMBER = "登録番号"
SUPPLIER_NAME = "取引先名"
PAYEE_CODE = "支払先コード"


class ConnectionResource(CodeLookupResource):
    supplier = fields.Field(
        attribute="supplier",
        column_name=REGISTRATION_NUMBER,
        widget=SupplierRegistrationWidget(),
    )
    supplier_name = fields.Field(
        attribute="supplier__legal_name", column_name=SUPPLIER_NAME, readonly=True
    )
    municipality = fields.Field(
        attribute="municipality",
        column_name=MUNICIPALITY_CODE,
        widget=MunicipalityCodeWidget(),
    )
    department = fields.Field(
        attribute="department",
        column_name=DEPARTMENT_CODE,
        widget=DepartmentCodeWidget(),
    )
    payee_code = fields.Field(attribute="payee_code", column_name=PAYEE_CODE)
    is_active = active_field()

    class Meta:
        model = Connection
        fields = (
            "supplier",
            "supplier_name",
            "municipality",
            "department",
            "payee_code",
            "is_active",
        )
        import_id_fields = ("supplier", "department")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False
