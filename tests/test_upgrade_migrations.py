"""Upgrades (README, "Upgrades"): the database of the previous release is
migrated forward with its data intact, and new migrations stay usable by
the code of the release before them (zero-downtime: migrations run while
the old web processes still serve).

PREVIOUS_RELEASE is the migration state of the release before this one:
the newest migration of each of our apps as of commit 6f9d6ab (the project
has no release tags yet; `git ls-tree 6f9d6ab APP/migrations/`). Move it
forward at each release.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, migrations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED
from django_scopes import scopes_disabled

PREVIOUS_RELEASE = [
    ("accounts", "0006_user_language"),
    ("municipality", "0008_settings_event_from_invoices"),
    ("partners", "0005_seal_png_help_text"),
    ("invoices", "0009_zip_export"),
    ("peppol", "0002_access_point"),
]
# The newest migrations of this release: migrations after these must keep
# working for this release's code (see test_new_migrations_are_…).
THIS_RELEASE = [
    ("accounts", "0006_user_language"),
    ("municipality", "0010_withholding"),
    ("partners", "0006_supplier_legal_form"),
    ("invoices", "0012_withholding"),
    ("peppol", "0002_access_point"),
]
APPS = [app for app, _ in PREVIOUS_RELEASE]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_previous_release_data_survives_the_upgrade():
    old = _migrate(PREVIOUS_RELEASE)
    user = old.get_model("accounts", "User").objects.create(
        email="supplier@example.jp", name="中島 浩二", password="!"
    )
    city = old.get_model("municipality", "Municipality").objects.create(
        name="鹿屋市",
        name_kana="カノヤシ",
        local_government_code="462039",
        corporate_number="8000020462039",
        slug="kanoya",
        address="鹿児島県鹿屋市共栄町20番1号",
    )
    department = old.get_model("municipality", "Department").objects.create(
        municipality=city, code="001", name="総務課"
    )
    supplier = old.get_model("partners", "Supplier").objects.create(
        legal_name="株式会社おおすみ文具",
        name_kana="カブシキガイシヤオオスミブング",
        registration_number="T1234567890123",
        address="鹿児島県鹿屋市打馬1丁目1番1号",
    )
    link = old.get_model("partners", "Connection").objects.create(
        supplier=supplier, department=department, municipality=city, payee_code="P1"
    )
    invoice = old.get_model("invoices", "Invoice").objects.create(
        municipality=city,
        department=department,
        supplier=supplier,
        connection=link,
        status="approved",
        number="2025-0001",
        receipt_number="2025-000001",
        issue_date=date(2025, 4, 10),
        transaction_date=date(2025, 4, 1),
        subtotal=Decimal(4500),
        tax_total=Decimal(450),
        total=Decimal(4950),
        content_hash="c" * 64,
        created_by=user,
    )
    old.get_model("invoices", "InvoiceLine").objects.create(
        invoice=invoice,
        position=1,
        description="コピー用紙 A4",
        quantity=Decimal(10),
        unit="箱",
        unit_price=Decimal(450),
        tax_category="S",
        amount=Decimal(4500),
    )

    _migrate()

    from invoices.models import Invoice
    from partners.models import LegalForm, Supplier

    with scopes_disabled():
        upgraded = Invoice.objects.get(pk=invoice.pk)
        (line,) = upgraded.lines.all()
        assert (upgraded.status, upgraded.content_hash) == ("approved", "c" * 64)
        assert (upgraded.subtotal, upgraded.tax_total, upgraded.total) == (
            4500,
            450,
            4950,
        )
        # New columns take the values that mean "as before".
        assert (upgraded.withholding_base, upgraded.withholding_tax) == (0, 0)
        assert (line.description, line.amount, line.note, line.withholding) == (
            "コピー用紙 A4",
            4500,
            "",
            False,
        )
        assert Supplier.objects.get(pk=supplier.pk).legal_form == LegalForm.CORPORATION
    # The new code works on the upgraded rows: the supplier's invoice list.
    assert list(
        Invoice.objects.with_scopes_disabled()
        .filter(supplier_id=supplier.pk)
        .values_list("number", flat=True)
    ) == ["2025-0001"]


# Operations the previous release's code cannot live with while they run:
# it still reads the dropped or renamed column or table, or inserts rows
# without a new NOT NULL column that has no default in the database.
def compatibility_problems(operation, created=frozenset()) -> str | None:
    """``created``: the models the same migration creates (a column of a
    new table is none of the old code's business)."""
    if isinstance(
        operation,
        migrations.RemoveField
        | migrations.DeleteModel
        | migrations.RenameField
        | migrations.RenameModel,
    ):
        return (
            f"{type(operation).__name__} {operation.describe()}: old code still "
            "uses it; deprecate it in one release, drop it in the next"
        )
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if operation.model_name in created or getattr(field, "generated", False):
            return None  # a new table's, or computed by the database
        if not field.null and field.db_default is NOT_PROVIDED:
            return (
                f"AddField {operation.model_name}.{operation.name}: NOT NULL "
                "without db_default; old code's inserts would fail"
            )
    return None


def _problems(migration) -> list[str]:
    created = frozenset(
        op.name_lower
        for op in migration.operations
        if isinstance(op, migrations.CreateModel)
    )
    return [
        problem
        for operation in migration.operations
        if (problem := compatibility_problems(operation, created))
    ]


# Migrations that need the old processes stopped (README, "Upgrades"), and
# why: they change what the old code would write, not only what it reads.
MAINTENANCE_WINDOW = {
    # The old code would append its events to the chain this migration
    # seals (one chain per municipality from here on).
    "municipality.0011_audit_chain_per_municipality",
}


def _migrations_after(release):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    before = set()
    for node in release:
        before.update(loader.graph.forwards_plan(node))
    return [
        loader.graph.nodes[key]
        for key in sorted(loader.graph.nodes)
        if key[0] in APPS and key not in before
    ]


def test_new_migrations_are_compatible_with_the_code_before_them():
    problems = [
        f"{migration.app_label}.{migration.name}: {problem}"
        for migration in _migrations_after(THIS_RELEASE)
        if f"{migration.app_label}.{migration.name}" not in MAINTENANCE_WINDOW
        for problem in _problems(migration)
    ]
    assert not problems, "\n".join(problems)


def test_the_compatibility_check_finds_what_breaks_old_code():
    from django.db import models

    assert compatibility_problems(migrations.RemoveField("invoice", "subject"))
    assert compatibility_problems(
        migrations.AddField("invoice", "flag", models.BooleanField(default=False))
    )
    assert not compatibility_problems(
        migrations.AddField(
            "invoice", "flag", models.BooleanField(default=False, db_default=False)
        )
    )
    assert not compatibility_problems(
        migrations.AddField("invoice", "seen", models.DateTimeField(null=True))
    )


def test_the_previous_releases_migrations_lacked_database_defaults():
    """Why the rule exists: the upgrade from PREVIOUS_RELEASE added NOT NULL
    columns without a database default (withholding, 明細備考), so the
    previous release's web processes could not create invoices between
    the migration and their own replacement. That upgrade needs a short
    maintenance window (README, "Upgrades")."""
    found = [
        f"{m.app_label}.{m.name}"
        for m in _migrations_after(PREVIOUS_RELEASE)
        if _problems(m)
    ]
    assert found == [
        "invoices.0010_line_note",
        "invoices.0012_withholding",
        "municipality.0010_withholding",
        "municipality.0011_audit_chain_per_municipality",
        "partners.0006_supplier_legal_form",
    ]
