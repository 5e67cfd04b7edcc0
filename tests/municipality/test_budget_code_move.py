"""Budget codes moved from procurement to municipality by a state-only
migration (municipality 0013, procurement 0002): on PostgreSQL the table
procurement_budgetcode, its rows and the orders' foreign key to it stay,
and no SQL runs."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

BEFORE = [
    ("municipality", "0012_reconciliation"),
    ("procurement", "0001_initial"),
]
MOVE = [
    ("municipality", "0013_budget_code_from_procurement"),
    ("procurement", "0002_budget_code_to_municipality"),
]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Outside a test transaction: SQLite's schema editor, which sqlmigrate
# opens, refuses to run inside one.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("app", "name"), MOVE)
def test_the_move_runs_no_sql(app, name, capsys):
    call_command("sqlmigrate", app, name)
    sql = capsys.readouterr().out
    assert "(no-op)" in sql
    for statement in ("CREATE", "DROP", "ALTER"):
        assert statement not in sql


@pytest.mark.django_db(transaction=True)
def test_budget_codes_survive_the_move_with_their_table():
    old = _migrate(BEFORE)
    city = old.get_model("municipality", "Municipality").objects.create(
        name="鹿屋市",
        name_kana="カノヤシ",
        local_government_code="462039",
        corporate_number="8000020462039",
        slug="kanoya",
        address="鹿児島県鹿屋市共栄町20番1号",
    )
    code = old.get_model("procurement", "BudgetCode").objects.create(
        municipality=city,
        fiscal_year=2026,
        account="一般会計",
        kan="02",
        kan_name="総務費",
        kou="01",
        kou_name="総務管理費",
        moku="01",
        moku_name="一般管理費",
        setsu="10",
        setsu_name="需用費",
    )

    _migrate()

    from municipality.models import BudgetCode
    from procurement.models import Order

    with scopes_disabled():
        moved = BudgetCode.objects.get(pk=code.pk)
    assert (moved.fiscal_year, moved.code, moved.name) == (
        2026,
        "02-01-01-10",
        "需用費",
    )
    assert BudgetCode._meta.db_table == "procurement_budgetcode"
    tables = connection.introspection.table_names()
    assert "procurement_budgetcode" in tables
    assert "municipality_budgetcode" not in tables
    # The orders' foreign key still points at the same table.
    field = Order._meta.get_field("budget_code")
    assert field.related_model is BudgetCode
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, Order._meta.db_table
        )
    assert ("procurement_budgetcode", "id") in {
        c["foreign_key"] for c in constraints.values() if c["foreign_key"]
    }
