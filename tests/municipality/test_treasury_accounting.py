"""The treasury by 会計年度 and 予算科目 (issue 16, point 9): payables
filtered by both, a batch of one year only (the check is one query for
the whole set), the treasury naming the budget code of an invoice without
an order, and the list's constant number of queries."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from municipality.fiscal import fiscal_year_of
from municipality.models import BudgetCode, InvoiceAccounting, PaymentBatchItem
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.budget_codes import invoice_budget_code_set
from tests.factories import PASSWORD
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

PAYABLES = "/m/kanoya/treasury/payables/"


def _code(municipality, year, kan="02", name="需用費"):
    return BudgetCode.objects.create(
        municipality=municipality,
        fiscal_year=year,
        account="一般会計",
        kan=kan,
        kan_name="総務費",
        kou="01",
        kou_name="総務管理費",
        moku="01",
        moku_name="一般管理費",
        setsu="10",
        setsu_name=name,
    )


@pytest.fixture
def years(tenant):
    """Approved invoices of this 会計年度 (two with a code, one without)
    and one of last year, a draft batch."""
    today = timezone.localdate()
    this = fiscal_year_of(today)
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        code = _code(tenant.municipality, this)
        other_code = _code(tenant.municipality, this, kan="03", name="委託料")
        coded = [make_approved(tenant, user, connection) for _ in range(2)]
        for invoice in coded:
            invoice_budget_code_set(
                invoice=invoice, budget_code=code, actor=tenant.treasury
            )
        plain = make_approved(tenant, user, connection)
        old = make_approved(
            tenant, user, connection, transaction_date=today - timedelta(days=400)
        )
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(today),
            actor=tenant.treasury,
        )
    return {
        "this": this,
        "code": code,
        "other_code": other_code,
        "coded": coded,
        "plain": plain,
        "old": old,
        "batch": batch,
    }


def _listed(client, query=""):
    response = client.get(f"{PAYABLES}?{query}")
    assert response.status_code == 200
    return response, {invoice.pk for invoice, *_ in response.context["rows"]}


def test_payables_are_filtered_by_fiscal_year_and_budget_code(client, tenant, years):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    this, code = years["this"], years["code"]
    coded = {i.pk for i in years["coded"]}
    _, everything = _listed(client)
    assert everything == {*coded, years["plain"].pk, years["old"].pk}
    _, of_this_year = _listed(client, f"fiscal_year={this}")
    assert of_this_year == {*coded, years["plain"].pk}
    assert _listed(client, f"fiscal_year={this - 1}")[1] == {years["old"].pk}
    assert _listed(client, f"fiscal_year={this}&budget_code={code.pk}")[1] == coded
    assert _listed(client, f"fiscal_year={this}&budget_code=none")[1] == {
        years["plain"].pk
    }
    assert _listed(client, f"budget_code={years['other_code'].pk}")[1] == set()
    response, _ = _listed(client, f"budget_code={code.pk}")
    page = response.content.decode()
    assert f"{this} 年度" in page
    assert f"{code.code} {code.name}" in page


def test_another_citys_budget_code_is_a_filter_error(
    client, tenant, other_tenant, years
):
    foreign = _code(other_tenant.municipality, years["this"])
    client.login(email=tenant.treasury.email, password=PASSWORD)
    response, listed = _listed(client, f"budget_code={foreign.pk}")
    assert listed == set()
    assert "選んだ予算科目が見つかりません" in response.content.decode()
    assert str(foreign.pk) not in [
        value
        for value, _ in response.context["filter_form"].fields["budget_code"].choices
    ]


def test_a_batch_never_mixes_fiscal_years(tenant, years):
    batch, old = years["batch"], years["old"]
    this_year = [i.pk for i in years["coded"]]
    with scopes_disabled():
        with pytest.raises(ValidationError) as mixed:
            batch_add_invoices(
                batch=batch, invoice_ids=[*this_year, old.pk], actor=tenant.treasury
            )
        assert f"{years['this'] - 1}, {years['this']} 年度の請求書が混ざって" in str(
            mixed.value
        )
        batch.refresh_from_db()
        assert batch.fiscal_year is None
        assert not PaymentBatchItem.objects.filter(batch=batch).exists()

        batch_add_invoices(batch=batch, invoice_ids=this_year, actor=tenant.treasury)
        batch.refresh_from_db()
        assert batch.fiscal_year == years["this"]
        with pytest.raises(ValidationError) as refused:
            batch_add_invoices(batch=batch, invoice_ids=[old.pk], actor=tenant.treasury)
        (message,) = refused.value.messages
        assert f"{old.number}" in message
        assert f"{years['this'] - 1} 年度の請求書です" in message
        assert f"{years['this']} 年度の支払のため入れられません" in message
        assert PaymentBatchItem.objects.filter(batch=batch).count() == 2


def test_the_fiscal_year_check_is_one_query_for_the_whole_set(tenant, years):
    """Adding many invoices costs the same queries as adding few: the 会計
    年度 comes with the invoices' own query."""

    def cost(invoices, batch):
        with CaptureQueriesContext(db_connection) as ctx:
            batch_add_invoices(
                batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
            )
        return len([q for q in ctx.captured_queries if "accounting" in q["sql"]])

    with scopes_disabled():
        user, connection = make_supplier(tenant.department)
        more = [make_approved(tenant, user, connection) for _ in range(4)]
        other = batch_create(
            municipality=tenant.municipality,
            payment_date=years["batch"].payment_date,
            actor=tenant.treasury,
        )
        assert cost(years["coded"][:1], years["batch"]) == cost(more, other) == 1


def test_the_treasury_names_a_code_until_the_invoice_is_batched(
    client, tenant, other_tenant, years
):
    plain, code = years["plain"], years["code"]
    url = f"{PAYABLES}{plain.pk}/budget-code/"
    client.login(email=tenant.treasury.email, password=PASSWORD)
    foreign = _code(other_tenant.municipality, years["this"])
    page = client.post(url, {"budget_code": foreign.pk})
    assert "有効なものから選んでください" in page.content.decode()
    client.post(url, {"budget_code": code.pk})
    with scopes_disabled():
        assert InvoiceAccounting.objects.get(invoice=plain).budget_code == code
        batch_add_invoices(
            batch=years["batch"], invoice_ids=[plain.pk], actor=tenant.treasury
        )
        with pytest.raises(ValidationError, match="支払バッチに"):
            invoice_budget_code_set(
                invoice=plain, budget_code=None, actor=tenant.treasury
            )


def test_a_treasury_user_filters_and_batches_through_the_pages(client, tenant, years):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    this, code, batch = years["this"], years["code"], years["batch"]
    query = f"fiscal_year={this}&budget_code={code.pk}"
    response, listed = _listed(client, query)
    assert listed == {i.pk for i in years["coded"]}
    response = client.post(
        f"{PAYABLES}?{query}",
        {"batch": batch.pk, "invoices": sorted(listed)},
        follow=True,
    )
    page = response.content.decode()
    assert "2 件の請求書を支払バッチ" in page
    assert f"{this} 年度" in page
    # The year of last year's invoice is refused with the reason.
    response = client.post(
        PAYABLES, {"batch": batch.pk, "invoices": [years["old"].pk]}, follow=True
    )
    assert f"{this} 年度の支払のため入れられません" in response.content.decode()
    with scopes_disabled():
        assert set(
            PaymentBatchItem.objects.filter(batch=batch).values_list(
                "invoice_id", flat=True
            )
        ) == {i.pk for i in years["coded"]}


def test_the_filtered_payables_use_a_constant_number_of_queries(client, tenant, years):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    url = f"{PAYABLES}?fiscal_year={years['this']}"

    def queries():
        with CaptureQueriesContext(db_connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    before = queries()
    with scopes_disabled():
        for n in range(4):
            user, connection = make_supplier(tenant.department)
            invoice = make_approved(tenant, user, connection)
            code = _code(tenant.municipality, years["this"], kan=f"{10 + n}")
            invoice_budget_code_set(
                invoice=invoice, budget_code=code, actor=tenant.treasury
            )
    assert queries() == before
