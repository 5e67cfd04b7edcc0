"""Every file the portal exports opens in a spreadsheet without running a
formula someone typed (CSV injection).

With a formula in every free-text field (supplier name, department name and
code, payee code, invoice number, subject, notes, line text and unit), each
export is fetched the way a user fetches it and every cell is checked:
the supplier's and the staff's search CSV (UTF-8 with BOM and CP932) and
ZIP (its index CSV), the ZIPs built by a job and the supplier's ZIP of
ticked invoices, the upload-format exports and template, the treasury's
財務会計 CSV in both encodings, its Zengin file and the 支払調書 summary,
and every export of every admin page, in every format each offers.

An export cannot slip past: the URL names and admin pages are enumerated,
and so are the source files that write CSV."""

import csv
import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from import_export.admin import ExportMixin

from invoices.services.drafts import LineInput
from invoices.services.zip_exports import zip_export_build, zip_export_create
from municipality.models import PaymentNotice, StaffRole, TreasurySettings
from municipality.treasury.reconciliation.bank_csv import CsvMapping
from municipality.treasury.services.batch_moves import (
    batch_approve,
    batch_export,
    batch_mark_paid,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.reconciliation import reconciliation_create
from partners.models import Connection, LegalForm
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
)

pytestmark = pytest.mark.django_db

# What spreadsheets run as a formula, written independently of the code
# under test: these first characters after leading spaces, tabs, line
# breaks and invisible characters; and a leading tab or carriage return.
_FORMULA_FIRST = set("=+-@＝＋－＠﹦﹢﹣﹫−")
_LEADING = " \t\r\n\u3000\u00a0\u200b\ufeff"
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

FORMULAS = [
    '=HYPERLINK("http://example.invalid/","x")',
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    "﹦1+1",
    "−1+1",
    " =1+1",
    "\u3000=1+1",
]


def runs_as_formula(cell: str) -> bool:
    if _NUMBER.fullmatch(cell):
        return False
    if cell[:1] in ("\t", "\r"):
        return True
    return cell.lstrip(_LEADING)[:1] in _FORMULA_FIRST


def _formula(n: int) -> str:
    return FORMULAS[n % len(FORMULAS)]


def assert_formula_safe(label: str, rows: list[list[str]]) -> None:
    cells = [cell for row in rows for cell in row]
    bad = [cell for cell in cells if runs_as_formula(cell)]
    assert not bad, f"{label}: cells a spreadsheet runs as formulas: {bad}"
    # The payload reached the file (escaped), so the check above meant
    # something.
    assert any(cell.startswith("'") for cell in cells), f"{label}: no payload"


def _csv_rows(data: bytes, encoding: str, delimiter: str = ",") -> list[list[str]]:
    text = data.decode(encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.fixture
def world(tenant):
    """A supplier, a department, a connection and approved invoices with a
    formula in every free-text field, a payment batch of them exported to
    a Zengin file, and a superuser."""
    with scopes_disabled():
        department = DepartmentFactory(
            municipality=tenant.municipality, code="-1+1", name=_formula(0)
        )
        supplier = SupplierFactory(legal_name=_formula(1))
        owner = SupplierMembershipFactory(supplier=supplier).user
        connection = ConnectionFactory(
            supplier=supplier, department=department, payee_code=_formula(2)
        )
        make_bank_account(supplier)
        tenant.department_staff.staff_memberships.get().departments.add(department)
        invoices = [
            make_approved(
                tenant,
                owner,
                connection,
                number=_formula(3 + n)[:40],
                subject=_formula(4 + n),
                notes=_formula(5 + n),
                lines=[
                    LineInput(
                        _formula(6 + n), Decimal(2), Decimal("1000"), "S", _formula(7)
                    ),
                    LineInput(
                        _formula(8 + n), Decimal(1), Decimal("500"), "AA", _formula(9)
                    ),
                ],
            )
            for n in range(3)
        ]
        make_settings(tenant.municipality)
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate() + timedelta(days=3)),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
        )
        colleague = StaffMembershipFactory(
            municipality=tenant.municipality, role=StaffRole.TREASURY
        ).user
        batch_approve(batch=batch, actor=colleague)
        batch_export(batch=batch, actor=colleague)
        ids = [invoice.pk for invoice in invoices]
        supplier_zip = zip_export_create(
            actor=owner, invoice_ids=ids, supplier=supplier
        )
        city_zip = zip_export_create(
            actor=tenant.department_staff,
            invoice_ids=ids,
            municipality=tenant.municipality,
        )
        for job in (supplier_zip, city_zip):
            with scope(municipality=tenant.municipality.pk):
                zip_export_build(job_id=job.pk)
        _paid_fees(tenant, department, colleague)
        # Paid: the supplier's remittance data and reconciliation list the
        # invoices; the payer name of a credit is typed text too.
        batch_mark_paid(batch=payment_day_reached(batch), actor=colleague)
        notice = PaymentNotice.objects.get(batch=batch, supplier=supplier)
        reconciliation = reconciliation_create(
            supplier=supplier,
            actor=owner,
            filename="meisai.csv",
            data=_csv_text(
                [
                    [batch.payment_date, notice.transfer_amount, _formula(0)],
                    [batch.payment_date, 1234, _formula(1), _formula(2)],
                ],
                edi=notice.number,
            ),
            kind="csv",
            mapping=CsvMapping(
                date="1", amount="2", payer="3", edi="4", has_header=False
            ),
        )
    return {
        "supplier_user": owner,
        "department_staff": tenant.department_staff,
        "treasury": tenant.treasury,
        "city_admin": tenant.city_admin,
        "superuser": UserFactory(is_staff=True, is_superuser=True),
        "batch": batch,
        "tenant": tenant,
        "invoice_ids": ids,
        "supplier_zip": supplier_zip,
        "city_zip": city_zip,
        "notice": notice,
        "reconciliation": reconciliation,
    }


def _csv_text(rows, *, edi: str) -> bytes:
    """A net-banking CSV of ``rows``, the first naming ``edi``."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows[0].append(edi)
    writer.writerows(rows)
    return out.getvalue().encode()


# The 支払調書 summary of the year the world's fees are paid in.
THIS_YEAR = str(timezone.localdate().year)


def _paid_fees(tenant, department, colleague) -> None:
    """Fees paid this year to three individuals (源泉徴収) with a formula in
    their name and address: the 支払調書 summary lists them."""
    invoices = []
    for n in range(3):
        supplier = SupplierFactory(
            legal_name=_formula(10 + n),
            address=_formula(11 + n),
            legal_form=LegalForm.INDIVIDUAL,
        )
        owner = SupplierMembershipFactory(supplier=supplier).user
        connection = ConnectionFactory(supplier=supplier, department=department)
        make_bank_account(supplier)
        fee = LineInput(
            _formula(12 + n), Decimal(1), Decimal(60_000), "S", "", withholding=True
        )
        invoices.append(make_approved(tenant, owner, connection, lines=[fee]))
    batch = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(timezone.localdate() + timedelta(days=3)),
        actor=tenant.treasury,
    )
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    batch_approve(batch=batch, actor=colleague)
    batch_export(batch=batch, actor=colleague)
    batch_mark_paid(batch=payment_day_reached(batch), actor=colleague)


# (URL name, kwargs, query, who, how to read it). Each URL name that serves
# a file must be here or in NOT_SPREADSHEETS.
CITY = {"municipality_slug": "kanoya"}
BATCH = {**CITY, "pk": "batch"}
CITY_ZIP = {**CITY, "pk": "city_zip"}
NOTICE = {"pk": "notice"}
RECONCILIATION = {"pk": "reconciliation"}
PERIOD = {
    "date_from": f"{timezone.localdate() - timedelta(days=30):%Y-%m-%d}",
    "date_to": f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}",
}
S, D, T = "supplier_user", "department_staff", "treasury"
U8, SJ = "utf-8-sig", "cp932"
URL_EXPORTS = [
    ("supplier:invoice_export", {}, {"format": "csv-utf8"}, S, U8),
    ("supplier:invoice_export", {}, {"format": "csv-cp932"}, S, SJ),
    ("supplier:invoice_export", {}, {"format": "zip"}, S, "zip"),
    ("city:invoice_export", CITY, {"format": "csv-utf8"}, D, U8),
    ("city:invoice_export", CITY, {"format": "csv-cp932"}, D, SJ),
    ("city:invoice_export", CITY, {"format": "zip"}, D, "zip"),
    ("city:invoice_zip_download", CITY_ZIP, {}, D, "zip"),
    ("supplier:invoice_zip_download", {"pk": "supplier_zip"}, {}, S, "zip"),
    ("supplier:invoice_pdf_zip", {}, {"invoice": "invoice_ids"}, S, "zip"),
    ("supplier:invoice_export_upload_format", {}, {"format": "csv-utf8"}, S, U8),
    ("supplier:invoice_export_upload_format", {}, {"format": "csv-cp932"}, S, SJ),
    ("city:invoice_export_upload_format", CITY, {"format": "csv-utf8"}, D, U8),
    ("city:invoice_export_upload_format", CITY, {"format": "csv-cp932"}, D, SJ),
    ("supplier:invoice_import_template", {}, {}, S, U8),
    ("city:withholding_statement_csv", CITY, {"year": THIS_YEAR}, T, SJ),
    ("city:batch_accounting_csv", BATCH, {}, T, SJ),
    ("city:batch_accounting_csv", BATCH, {"encoding": U8}, T, U8),
    ("city:batch_zengin", BATCH, {}, T, "zengin"),
    ("city:department_export", CITY, {}, "city_admin", U8),
    ("supplier:payment_notice_export", NOTICE, {"format": "csv-cp932"}, S, SJ),
    ("supplier:payment_notice_export", NOTICE, {"format": "csv-utf8"}, S, U8),
    ("supplier:payment_notices_export", {}, {**PERIOD, "format": "csv-utf8"}, S, U8),
    ("supplier:payment_notices_export", {}, PERIOD, S, SJ),
    ("city:batch_remittance_export", BATCH, {"format": "csv-cp932"}, T, SJ),
    ("city:remittance_export", CITY, {**PERIOD, "format": "csv-utf8"}, T, U8),
    ("supplier:reconciliation_csv", RECONCILIATION, {}, S, SJ),
    ("supplier:reconciliation_csv", RECONCILIATION, {"format": "csv-utf8"}, S, U8),
]
# URL names that look like exports but serve no spreadsheet, and why.
NOT_SPREADSHEETS = {
    "city:batch_export": "a POST that writes the Zengin file (fetched as batch_zengin)",
    "mfa_download_recovery_codes": "the user's own recovery codes, no typed text",
    "city:invoice_zip": "a ZIP job's page (the file is invoice_zip_download)",
    "city:invoice_zip_status": "a ZIP job's progress as JSON",
    "supplier:invoice_zip": "a ZIP job's page (the file is invoice_zip_download)",
    "supplier:invoice_zip_status": "a ZIP job's progress as JSON",
    "api:csv_upload": "the API's answer to a CSV upload: JSON",
    "api:csv_import": "the API's state of a CSV upload: JSON",
    "api:csv_confirm": "the API's answer to confirming a CSV upload: JSON",
}
# Words in a URL name, or endings of its path, that mean a file download.
_EXPORT_WORDS = {
    "export", "csv", "tsv", "xls", "xlsx", "zengin", "download", "template",
    "zip", "file", "files", "data",
}  # fmt: skip
_EXPORT_PATH = re.compile(r"\.(csv|tsv|txt|xlsx?|zip|ods)/?$")


def _check_zip(label: str, data: bytes) -> None:
    """The invoices' PDFs and the index CSV (UTF-8 with a BOM), whose
    cells are checked; anything else inside would need checking."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "index.csv" in names, label
        assert len(names) > 3, label
        for name in names:
            content = archive.read(name)
            if name == "index.csv":
                assert content.startswith(b"\xef\xbb\xbf"), label
                rows = _csv_rows(content, "utf-8-sig")
                assert len(rows) > 3, label
                assert_formula_safe(f"{label} {name}", rows)
            else:
                assert name.endswith(".pdf"), f"{label}: {name}"
                assert content.startswith(b"%PDF"), f"{label}: {name}"


def _check_zengin(label: str, data: bytes) -> None:
    """Fixed-width records of 120 characters from the Zengin set (digits,
    A-Z, half-width kana, space and ``().-``), each starting with its record
    type digit: no separator a spreadsheet would split on, so each record is
    one cell, and it starts with a digit."""
    records = [r for r in data.decode("cp932").split("\r\n") if r]
    assert len(records) >= 4, label
    for record in records:
        assert re.fullmatch(r"[1289][0-9A-Zｱ-ﾝﾞﾟ ()\-.]{119}", record), record
        assert not runs_as_formula(record)


def test_every_export_is_formula_safe(client, world):
    fetched = set()
    for name, kwargs, query, who, reading in URL_EXPORTS:
        kwargs = {k: world[v].pk if v in world else v for k, v in kwargs.items()}
        query = {k: world.get(v, v) for k, v in query.items()}
        if "encoding" in query:  # the treasury setting, not a parameter
            with scopes_disabled():
                TreasurySettings.objects.filter(
                    municipality=world["tenant"].municipality
                ).update(csv_encoding=query["encoding"])
            query = {}
        client.force_login(world[who])
        response = client.get(reverse(name, kwargs=kwargs), query)
        label = f"{name} {query}"
        assert response.status_code == 200, label
        if response.streaming:  # read to the end: the client closes the file
            data = b"".join(response.streaming_content)
        else:
            data = response.content
        if reading == "zip":
            _check_zip(label, data)
        elif reading == "zengin":
            _check_zengin(label, data)
        else:
            if reading == "utf-8-sig":
                assert data.startswith(b"\xef\xbb\xbf"), label
            rows = _csv_rows(data, reading)
            if name != "supplier:invoice_import_template":
                assert len(rows) > 3, label
            assert_formula_safe(label, rows)
        fetched.add(name)
    assert fetched == {name for name, *_ in URL_EXPORTS}


def _urls(patterns, namespace="", path=""):
    """(name, path) of every named URL, names with their namespaces."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            prefix = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from _urls(pattern.url_patterns, prefix, path + str(pattern.pattern))
        elif pattern.name:
            yield f"{namespace}{pattern.name}", path + str(pattern.pattern)


def test_every_url_that_serves_a_file_is_checked():
    checked = {name for name, *_ in URL_EXPORTS} | set(NOT_SPREADSHEETS)
    exports = {
        name
        for name, path in _urls(get_resolver().url_patterns)
        if not name.startswith("admin:")  # every admin export is checked below
        and (_EXPORT_WORDS & set(re.split(r"[:_]", name)) or _EXPORT_PATH.search(path))
    }
    assert exports <= checked, (
        "New export URLs: add them to URL_EXPORTS (or NOT_SPREADSHEETS with "
        f"the reason): {sorted(exports - checked)}"
    )
    assert checked <= exports


def _admin_exports():
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, ExportMixin)
    ]


def _admin_reader(file_format):
    extension = file_format.get_extension()
    if extension in ("csv", "tsv"):
        return "," if extension == "csv" else "\t"
    raise AssertionError(
        f"{type(file_format).__name__}: teach this test to read .{extension} files"
    )


def _admin_export(client, model_admin, file_format: int, resource: int):
    """The admin's export page posted with every field of the resource."""
    opts = model_admin.model._meta
    form = model_admin.get_export_form_class()(
        model_admin.get_export_formats(),
        model_admin.get_export_resource_classes(None),
    )
    every_field = {
        name: "on"
        for name in form.fields
        if name not in ("format", "resource", "export_items")
    }
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_export"),
        {"format": str(file_format), "resource": str(resource), **every_field},
    )
    assert response.status_code == 200, opts.label
    assert response["Content-Disposition"].startswith("attachment"), opts.label
    return response


def test_every_admin_export_is_formula_safe(client, world):
    model_admins = [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, ExportMixin)
    ]
    assert {type(a).__name__ for a in model_admins} >= {
        "DepartmentAdmin",
        "ConnectionAdmin",
    }
    client.force_login(world["superuser"])
    for model_admin in model_admins:
        resources = model_admin.get_export_resource_classes(None)
        for f, file_format in enumerate(model_admin.get_export_formats()):
            for r, _ in enumerate(resources):
                label = f"{model_admin} {file_format.__name__} resource {r}"
                response = _admin_export(client, model_admin, f, r)
                rows = _csv_rows(
                    response.content,
                    model_admin.to_encoding or "utf-8",
                    _admin_reader(file_format()),
                )
                assert_formula_safe(label, rows)


def test_the_admin_export_keeps_what_was_typed(client, world):
    """Escaping adds a quote; it drops nothing (django-import-export's own
    escaping drops the ``=``)."""
    client.force_login(world["superuser"])
    response = _admin_export(client, admin.site._registry[Connection], 0, 0)
    cells = {c for row in _csv_rows(response.content, "utf-8-sig") for c in row}
    assert f"'{_formula(2)}" in cells  # the payee code
    assert f"'{_formula(1)}" in cells  # the supplier's name


# Source files that write spreadsheets --------------------------------------

# Every project file that writes CSV (or offers an admin export), and what
# checks it. A new one fails here until it is checked above.
WRITERS = {
    "accounts/spreadsheets.py": "the escape itself",
    "invoices/exports/pipeline.py": "the CSV writer of the exports below",
    "invoices/exports/search_csv.py": "search CSV and ZIP",
    "invoices/exports/upload_format.py": "upload format and template",
    "invoices/archive.py": "the ZIP's index CSV (search ZIP, jobs, supplier ZIP)",
    "invoices/views/imports.py": "serves invoices/exports/upload_format.py",
    "municipality/treasury/services/accounting.py": "財務会計 CSV",
    "municipality/treasury/services/statements.py": "支払調書 summary CSV",
    "municipality/treasury/views/batches.py": "serves treasury/services/accounting.py",
    "municipality/treasury/views/city.py": "serves treasury/services/statements.py",
    "municipality/admin.py": "admin export, enumerated",
    "partners/admin.py": "admin export, enumerated",
    "invoices/csv_import/decoding.py": "reads uploads only",
    "invoices/forms/imports.py": "reads uploads only",
    "invoices/attachments.py": "checks uploaded attachments, served unchanged",
    "municipality/departments_csv.py": "department list CSV",
    "municipality/console/departments.py": "serves municipality/departments_csv.py",
    "municipality/treasury/services/remittance.py": "remittance data CSV",
    "municipality/treasury/services/reconciliation.py": "reconciliation result CSV",
    "municipality/treasury/reconciliation/bank_csv.py": "reads uploads only",
    "municipality/treasury/views/reconciliation.py": "serves the reconciliation CSV",
    "procurement/forms.py": "reads CSV only: the upload field accepts text/csv",
}
_WRITES = re.compile(
    r"csv\.writer|csv\.DictWriter|text/csv|tab-separated|tablib|export_formats"
    r"|ExportMixin|ImportExportModelAdmin|openpyxl|xlsxwriter|\.xlsx"
)
_NOT_APP = {"tests", "benchmarks", "static", "templates", "locale", "var"}


def test_every_file_that_writes_csv_is_known():
    base = Path(settings.BASE_DIR)
    found = set()
    for path in base.glob("*/**/*.py"):
        relative = path.relative_to(base)
        top = relative.parts[0]
        if top.startswith(".") or top in _NOT_APP or "migrations" in relative.parts:
            continue
        if _WRITES.search(path.read_text(encoding="utf-8")):
            found.add(relative.as_posix())
    assert found <= set(WRITERS), (
        "Files that write CSV or spreadsheets without a check here: "
        f"{sorted(found - set(WRITERS))}. Use accounts.spreadsheets.csv_cell "
        "(or FormulaSafeCSV) and add the export to this test."
    )
