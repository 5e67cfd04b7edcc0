"""Departments as CSV for the Django admin (django-import-export).

Rows name their municipality by its 全国地方公共団体コード and their parent
by its code in the same municipality, so a file is readable and can move
between systems. An unknown code is an error on its row, and the admin
imports nothing until every row is valid.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export import fields, resources, widgets

from municipality.models import Department, Municipality
from municipality.validators import normalize_identifier

# The column names of the file and the words of its 有効 column: a file
# format, parsed verbatim, not translated.
MUNICIPALITY_CODE = "自治体コード"
DEPARTMENT_CODE = "部署コード"
DEPARTMENT_NAME = "部署名"
PARENT_CODE = "上位部署コード"
ACTIVE = "有効"
ACTIVE_WORDS = ("有効",)
INACTIVE_WORDS = ("無効",)


def _text(value) -> str:
    """A cell as typed, full-width digits made half-width (NFKC)."""
    return unicodedata.normalize("NFKC", str(value)).strip() if value else ""


class MunicipalityCodeWidget(widgets.ForeignKeyWidget):
    """A municipality by its local government code."""

    def __init__(self):
        super().__init__(Municipality, "local_government_code")

    def clean(self, value, row=None, **kwargs):
        code = normalize_identifier(_text(value))
        if not code:
            return None
        try:
            return super().clean(code, row, **kwargs)
        except Municipality.DoesNotExist:
            raise ValueError(
                gettext(
                    "自治体コード「%(value)s」の自治体は登録されていません。"
                    "6桁の全国地方公共団体コードを確認してください。"
                )
                % {"value": value}
            ) from None


class DepartmentCodeWidget(widgets.ForeignKeyWidget):
    """A department by its code within the municipality named on the same
    row: a code never reaches another municipality's department."""

    def __init__(self, column: str = DEPARTMENT_CODE):
        super().__init__(Department, "code")
        self.column = column

    def get_queryset(self, value, row, *args, **kwargs):
        return Department.objects.filter(
            municipality__local_government_code=normalize_identifier(
                _text(row.get(MUNICIPALITY_CODE))
            )
        )

    def clean(self, value, row=None, **kwargs):
        code = _text(value)
        if not code:
            return None
        try:
            return super().clean(code, row, **kwargs)
        except Department.DoesNotExist:
            raise ValueError(
                gettext(
                    "%(column)s「%(value)s」の部署は、自治体コード"
                    "「%(municipality_code)s」の自治体にありません。"
                )
                % {
                    "column": self.column,
                    "value": value,
                    "municipality_code": row.get(MUNICIPALITY_CODE, ""),
                }
            ) from None


class ActiveWidget(widgets.BooleanWidget):
    """有効: 1/0, TRUE/FALSE or 有効/無効; anything else is an error rather
    than a silent 無効. Empty cells take the field's default."""

    TRUE_VALUES = [*widgets.BooleanWidget.TRUE_VALUES, *ACTIVE_WORDS]
    FALSE_VALUES = [*widgets.BooleanWidget.FALSE_VALUES, *INACTIVE_WORDS]

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        if value in self.NULL_VALUES:
            return None
        if value in self.TRUE_VALUES:
            return True
        if value in self.FALSE_VALUES:
            return False
        raise ValueError(
            gettext(
                "「%(value)s」は有効の欄に使えません。1（有効）か0（無効）にしてください。"
            )
            % {"value": value}
        )


def active_field() -> fields.Field:
    return fields.Field(
        attribute="is_active", column_name=ACTIVE, widget=ActiveWidget(), default=True
    )


class CodeLookupResource(resources.ModelResource):
    """Reports a row whose identifying codes name nothing as an invalid row
    (with the field's message), not as a crash of the whole import."""

    def get_instance(self, instance_loader, row):
        errors = {}
        for name in self.get_import_id_fields():
            field = self.fields[name]
            try:
                field.clean(row)
            except ValueError as error:
                errors[field.attribute] = ValidationError(str(error), code="invalid")
        if errors:
            raise ValidationError(errors)
        return super().get_instance(instance_loader, row)


class DepartmentResource(CodeLookupResource):
    municipality = fields.Field(
        attribute="municipality",
        column_name=MUNICIPALITY_CODE,
        widget=MunicipalityCodeWidget(),
    )
    code = fields.Field(attribute="code", column_name=DEPARTMENT_CODE)
    name = fields.Field(attribute="name", column_name=DEPARTMENT_NAME)
    parent = fields.Field(
        attribute="parent",
        column_name=PARENT_CODE,
        widget=DepartmentCodeWidget(PARENT_CODE),
    )
    is_active = active_field()

    class Meta:
        model = Department
        fields = ("municipality", "code", "name", "parent", "is_active")
        import_id_fields = ("municipality", "code")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False

    def before_import_row(self, row, **kwargs):
        row[DEPARTMENT_CODE] = _text(row.get(DEPARTMENT_CODE))
