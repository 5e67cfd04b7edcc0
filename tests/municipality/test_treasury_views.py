"""Treasury pages: who may open them, the payables list (order, filters,
queries), batch pages and their actions and files, the settings form, the
admin, and suppliers' payment notices."""

import jaconv
import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.utils import flatten_fieldsets
from django.db import connection as db_connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)
from municipality.treasury.admin import PaymentBatchAdmin, TreasurySettingsAdmin
from municipality.treasury.services.batch_moves import (
    SELF_APPROVAL,
    batch_export,
    batch_mark_paid,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    UserFactory,
    make_invoice,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
    next_saturday,
)

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def payday():
    return business_day_after(timezone.localdate())


@pytest.fixture
def world(tenant, payday):
    """Settings, a supplier with two approved invoices, and a draft batch."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        invoices = [make_approved(tenant, user, connection) for _ in range(2)]
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
    return {"supplier_user": user, "invoices": invoices, "batch": batch}


def _treasury_urls(batch) -> list[str]:
    base = f"/m/kanoya/treasury/batches/{batch.pk}/"
    return [
        "/m/kanoya/treasury/payables/",
        "/m/kanoya/treasury/batches/",
        base,
        f"{base}zengin/",
        f"{base}accounting.csv",
    ]


_POST_ACTIONS = ("remove", "approve", "export", "paid", "cancel")


# Access -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["department_staff", "city_admin", "other_treasury"])
def test_only_the_municipalitys_treasury_opens_treasury_pages(
    client, tenant, other_tenant, world, who
):
    user = other_tenant.treasury if who == "other_treasury" else getattr(tenant, who)
    _login(client, user)
    batch = world["batch"]
    for url in _treasury_urls(batch):
        assert client.get(url).status_code == 404, url
    for action in _POST_ACTIONS:
        url = f"/m/kanoya/treasury/batches/{batch.pk}/{action}/"
        data = {"reason": "x", "confirmed": "1"}
        assert client.post(url, data).status_code == 404, url
    assert client.post("/m/kanoya/treasury/batches/", {}).status_code == 404
    with scopes_disabled():
        assert PaymentBatch.objects.get(pk=batch.pk).status == BatchStatus.DRAFT


def test_suppliers_get_404_on_treasury_pages(client, world):
    _login(client, world["supplier_user"])
    for url in _treasury_urls(world["batch"]):
        assert client.get(url).status_code == 404, url


def test_another_municipalitys_batch_is_404_for_treasury(
    client, tenant, other_tenant, world, payday
):
    with scopes_disabled():
        make_settings(other_tenant.municipality)
        foreign = batch_create(
            municipality=other_tenant.municipality,
            payment_date=payday,
            actor=other_tenant.treasury,
        )
    _login(client, tenant.treasury)
    for url in _treasury_urls(foreign)[2:]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/m/kanoya/treasury/batches/{foreign.pk}/cancel/",
        {"reason": "x", "confirmed": "1"},
    )
    assert response.status_code == 404


# Payables -----------------------------------------------------------------------------


def test_payables_lists_approved_invoices_overdue_first_with_filters(
    client, tenant, world
):
    with scopes_disabled():
        user, connection = make_supplier(tenant.other_department)
        late = make_approved(tenant, user, connection)
        Invoice.objects.filter(pk=late.pk).update(
            payment_deadline=timezone.localdate().replace(year=2020)
        )
        issued = make_invoice(connection=connection, actor=user)
    _login(client, tenant.treasury)
    response = client.get("/m/kanoya/treasury/payables/")
    assert response.status_code == 200
    numbers = [invoice.pk for invoice, *_ in response.context["rows"]]
    assert numbers[0] == late.pk
    assert set(numbers) == {late.pk, *(i.pk for i in world["invoices"])}
    assert issued.pk not in numbers
    assert "期限超過" in response.content.decode()

    def listed(query):
        page = client.get(f"/m/kanoya/treasury/payables/?{query}")
        return {invoice.pk for invoice, *_ in page.context["rows"]}

    assert listed(f"department={tenant.other_department.pk}") == {late.pk}
    supplier = connection.supplier
    # 取引先 by part of its name, its kana (typed in hiragana) or its
    # registration number, as in the inbox.
    assert listed(f"counterparty={supplier.legal_name}") == {late.pk}
    kana = jaconv.kata2hira(supplier.name_kana[-3:])
    assert late.pk in listed(f"counterparty={kana}")
    assert listed(f"counterparty={supplier.registration_number}") == {late.pk}
    assert listed("counterparty=存在しない取引先") == set()
    assert listed("deadline_to=2020-12-31") == {late.pk}
    assert listed("deadline_from=2021-01-01") == {i.pk for i in world["invoices"]}
    page = client.get(
        "/m/kanoya/treasury/payables/?deadline_from=2021-01-01&deadline_to=2020-01-01"
    )
    assert "「まで」は「から」と同じか" in page.content.decode()


def _grow(tenant, n):
    with scopes_disabled():
        for _ in range(n):
            department = DepartmentFactory(municipality=tenant.municipality)
            user, connection = make_supplier(department)
            make_approved(tenant, user, connection)


def _queries(client, url) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "path",
    [
        "/m/kanoya/treasury/payables/",
        "/m/kanoya/treasury/batches/",
        "/m/kanoya/treasury/",
        "batch",
    ],
)
def test_treasury_pages_use_a_constant_number_of_queries(client, tenant, world, path):
    batch = world["batch"]
    url = f"/m/kanoya/treasury/batches/{batch.pk}/" if path == "batch" else path

    def fill():
        with scopes_disabled():
            ids = Invoice.objects.filter(
                status=InvoiceStatus.APPROVED, batch_items__isnull=True
            ).values_list("pk", flat=True)
            batch_add_invoices(
                batch=batch, invoice_ids=list(ids), actor=tenant.treasury
            )

    _login(client, tenant.treasury)
    _grow(tenant, 3)
    if path == "batch":
        fill()
    few = _queries(client, url)
    _grow(tenant, 35)
    if path == "batch":
        fill()
    assert _queries(client, url) == few


def test_ticked_invoices_are_added_to_the_chosen_batch(client, tenant, world):
    batch, invoices = world["batch"], world["invoices"]
    _login(client, tenant.treasury)
    page = client.get(f"/m/kanoya/treasury/payables/?batch={batch.pk}")
    assert "選択した請求書をバッチに追加" in page.content.decode()
    response = client.post(
        "/m/kanoya/treasury/payables/",
        {"batch": batch.pk, "invoices": [i.pk for i in invoices]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/m/kanoya/treasury/batches/{batch.pk}/"
    with scopes_disabled():
        assert PaymentBatchItem.objects.filter(batch=batch).count() == 2

    # Already in a batch: the message says so, and nothing changes.
    with scopes_disabled():
        other = batch_create(
            municipality=tenant.municipality,
            payment_date=batch.payment_date,
            actor=tenant.treasury,
        )
    response = client.post(
        "/m/kanoya/treasury/payables/",
        {"batch": other.pk, "invoices": [invoices[0].pk]},
        follow=True,
    )
    assert f"すでに別の支払バッチ（{batch.number}）に入っています" in (
        response.content.decode()
    )
    response = client.post(
        "/m/kanoya/treasury/payables/", {"batch": other.pk}, follow=True
    )
    assert "追加する請求書にチェックを入れてください。" in response.content.decode()


# Batches ------------------------------------------------------------------------------


def test_creating_a_batch_on_a_bank_holiday_shows_why(client, tenant, world):
    _login(client, tenant.treasury)
    saturday = next_saturday(timezone.localdate())
    response = client.post(
        "/m/kanoya/treasury/batches/", {"payment_date": saturday.isoformat()}
    )
    assert response.status_code == 200
    assert "銀行の休業日です" in response.content.decode()
    response = client.post(
        "/m/kanoya/treasury/batches/",
        {"payment_date": world["batch"].payment_date.isoformat()},
    )
    with scopes_disabled():
        created = PaymentBatch.objects.order_by("-pk").first()
    assert response["Location"] == f"/m/kanoya/treasury/batches/{created.pk}/"


def _add_all(tenant, world):
    with scopes_disabled():
        batch_add_invoices(
            batch=world["batch"],
            invoice_ids=[i.pk for i in world["invoices"]],
            actor=tenant.treasury,
        )


def test_the_batch_page_shows_transfers_and_totals_and_exports(client, tenant, world):
    _add_all(tenant, world)
    batch, invoices = world["batch"], world["invoices"]
    _login(client, tenant.treasury)
    url = f"/m/kanoya/treasury/batches/{batch.pk}/"
    page = client.get(url)
    total = sum(i.total for i in invoices)
    assert page.context["totals"].amount == total
    assert page.context["totals"].count == 1  # one supplier, one account
    ((supplier, row),) = page.context["supplier_totals"]
    assert (supplier, row.transfer_amount) == (invoices[0].supplier, total)
    assert "振込（予定）" in page.content.decode()

    response = client.post(f"{url}export/", {"confirmed": "1"})
    assert response["Location"] == url
    download = client.get(f"{url}zengin/")
    data = download.content
    assert data.startswith(b"1")
    assert len(data) == 4 * 122
    assert "attachment" in download["Content-Disposition"]
    page = client.get(url)
    assert "振込と支払通知" in page.content.decode()
    assert f"{batch.number}-001" in page.content.decode()

    csv = client.get(f"{url}accounting.csv")
    assert csv.content.decode("cp932").startswith("受付番号,部署コード")
    with scopes_disabled():
        kinds = set(
            InvoiceEvent.objects.filter(invoice=invoices[0]).values_list(
                "kind", flat=True
            )
        )
    assert {EventKind.SCHEDULED, EventKind.DOWNLOADED, EventKind.EXPORTED} <= kinds


def test_export_problems_are_all_shown_on_the_batch_page(client, tenant, world):
    _add_all(tenant, world)
    with scopes_disabled():
        TreasurySettings.objects.filter(municipality=tenant.municipality).update(
            originator_name_kana="鹿屋市", account_type="4"
        )
    _login(client, tenant.treasury)
    url = f"/m/kanoya/treasury/batches/{world['batch'].pk}/"
    response = client.post(f"{url}export/", {"confirmed": "1"})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert len(problems) == 2
    assert any("委託者名" in p for p in problems)
    assert any("預金種目" in p for p in problems)
    content = response.content.decode()
    assert all(p in content for p in problems)
    with scopes_disabled():
        assert PaymentBatch.objects.get(pk=world["batch"].pk).status == "draft"


def test_four_eyes_on_the_page(client, tenant, world):
    # The batch's own rule counts (copied from the settings when created).
    with scopes_disabled():
        PaymentBatch.objects.filter(pk=world["batch"].pk).update(four_eyes=True)
    _add_all(tenant, world)
    _login(client, tenant.treasury)
    url = f"/m/kanoya/treasury/batches/{world['batch'].pk}/"
    page = client.get(url).content.decode()
    assert "別の会計担当者の承認が必要です" in page
    assert "振込データを作成</button>" not in page
    response = client.post(f"{url}approve/", {"confirmed": "1"})
    assert SELF_APPROVAL in response.content.decode()


def test_the_page_follows_the_batchs_rule_not_the_current_setting(
    client, tenant, world
):
    _add_all(tenant, world)
    with scopes_disabled():
        TreasurySettings.objects.update(four_eyes=True)
    _login(client, tenant.treasury)
    url = f"/m/kanoya/treasury/batches/{world['batch'].pk}/"
    page = client.get(url).content.decode()
    assert "別の会計担当者の承認が必要です" not in page
    assert "振込データを作成</button>" in page


def test_remove_paid_and_cancel_from_the_page(
    client, tenant, world, django_capture_on_commit_callbacks
):
    _add_all(tenant, world)
    batch, invoices = world["batch"], world["invoices"]
    _login(client, tenant.treasury)
    url = f"/m/kanoya/treasury/batches/{batch.pk}/"
    client.post(f"{url}remove/", {"invoice": invoices[1].pk})
    with scopes_disabled():
        assert PaymentBatchItem.objects.filter(batch=batch).count() == 1
    response = client.post(f"{url}cancel/", {"reason": ""})
    assert "取消の理由を入力してください。" in response.content.decode()
    client.post(f"{url}export/", {"confirmed": "1"})
    payment_day_reached(batch)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}paid/", {"confirmed": "1"})
    assert response["Location"] == url
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoices[0].pk).status == InvoiceStatus.PAID
    response = client.post(f"{url}cancel/", {"reason": "誤り", "confirmed": "1"})
    assert "取り消せません" in response.content.decode()


def test_treasury_home_shows_open_batches_and_payables(client, tenant, world):
    _login(client, tenant.treasury)
    page = client.get("/m/kanoya/treasury/").content.decode()
    assert world["batch"].number in page
    assert "未割当 2 件" in page
    assert "支払先マスタ" in page


# Settings -----------------------------------------------------------------------------


def _settings_data(**values):
    return {
        "originator_code": "１２３４５６７８９０",
        "originator_name_kana": "カノヤシ　カイケイカンリシャ",
        "bank_code": "0185",
        "branch_code": "000",
        "account_type": "1",
        "account_number": "1234",
        "fee_bearer": "payee",
        "fee_same_branch_small": "0",
        "fee_same_branch_large": "0",
        "fee_same_bank_small": "110",
        "fee_same_bank_large": "330",
        "fee_other_bank_small": "440",
        "fee_other_bank_large": "660",
        "line_ending": "crlf",
        "csv_encoding": "cp932",
        "four_eyes": "on",
        **values,
    }


def test_city_admins_keep_the_treasury_settings(client, tenant):
    _login(client, tenant.city_admin)
    url = "/m/kanoya/manage/treasury-settings/"
    assert client.get(url).status_code == 200
    response = client.post(url, _settings_data())
    assert response["Location"] == url
    with scopes_disabled():
        saved = TreasurySettings.objects.get(municipality=tenant.municipality)
    assert (saved.originator_code, saved.originator_name_kana) == (
        "1234567890",
        "ｶﾉﾔｼ ｶｲｹｲｶﾝﾘｼﾔ",
    )
    assert (saved.account_number, saved.four_eyes) == ("0001234", True)
    # Saving again updates the same row.
    client.post(url, _settings_data(fee_bearer="payer"))
    with scopes_disabled():
        assert TreasurySettings.objects.get().fee_bearer == "payer"


def test_settings_errors_say_what_to_fix(client, tenant):
    _login(client, tenant.city_admin)
    response = client.post(
        "/m/kanoya/manage/treasury-settings/",
        _settings_data(
            originator_code="123456789",
            originator_name_kana="鹿屋市",
            bank_code="9998",
        ),
    )
    errors = response.context["form"].errors
    assert "10桁の数字" in errors["originator_code"][0]
    assert "使えない文字" in errors["originator_name_kana"][0]
    assert "見つかりません" in errors["bank_code"][0]
    response = client.post(
        "/m/kanoya/manage/treasury-settings/", _settings_data(branch_code="999")
    )
    assert "見つかりません" in response.context["form"].errors["branch_code"][0]


def test_only_city_admins_open_the_settings(client, tenant, other_tenant):
    for user in (tenant.treasury, tenant.department_staff, other_tenant.city_admin):
        _login(client, user)
        assert client.get("/m/kanoya/manage/treasury-settings/").status_code == 404


def test_the_admin_form_checks_like_the_city_form(tenant, rf: RequestFactory):
    site = AdminSite()
    model_admin = TreasurySettingsAdmin(TreasurySettings, site)
    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    form_class = model_admin.get_form(request)
    form = form_class(
        data={**_settings_data(bank_code="12"), "municipality": tenant.municipality.pk}
    )
    with scopes_disabled():
        assert not form.is_valid()
    assert "4桁の数字" in form.errors["bank_code"][0]
    form = form_class(data={**_settings_data(), "municipality": tenant.municipality.pk})
    with scopes_disabled():
        assert form.is_valid(), form.errors
        form.save()
        assert TreasurySettings.objects.get().originator_code == "1234567890"
    # Every field the fieldsets show is in the form, the municipality too.
    shown = set(flatten_fieldsets(model_admin.get_fieldsets(request)))
    assert shown == set(form_class.base_fields)


def test_batches_are_read_only_in_the_admin(world, rf: RequestFactory):
    batch_admin = PaymentBatchAdmin(PaymentBatch, AdminSite())
    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert not batch_admin.has_add_permission(request)
    assert not batch_admin.has_delete_permission(request, world["batch"])
    readonly = set(batch_admin.get_readonly_fields(request, world["batch"]))
    assert {f.name for f in PaymentBatch._meta.fields} == readonly


# Suppliers' payment notices -----------------------------------------------------------


@pytest.fixture
def paid(tenant, world, django_capture_on_commit_callbacks):
    _add_all(tenant, world)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        batch_export(batch=world["batch"], actor=tenant.treasury)
        payment_day_reached(world["batch"])
        batch_mark_paid(batch=world["batch"], actor=tenant.treasury)
        notice = PaymentNotice.objects.get(batch=world["batch"])
    return notice


def test_suppliers_see_their_payment_notices_and_pdf(client, world, paid):
    _login(client, world["supplier_user"])
    listing = client.get("/supplier/payment-notices/").content.decode()
    assert paid.number in listing
    detail = client.get(f"/supplier/payment-notices/{paid.pk}/").content.decode()
    for invoice in world["invoices"]:
        assert invoice.receipt_number in detail
    pdf = client.get(f"/supplier/payment-notices/{paid.pk}/pdf/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    with scopes_disabled():
        event = InvoiceEvent.objects.filter(
            invoice=world["invoices"][0], kind=EventKind.DOWNLOADED
        ).get()
    assert event.data == {"format": "payment_notice", "notice": paid.number}
    invoice_page = client.get(f"/supplier/invoices/{world['invoices'][0].pk}/")
    content = invoice_page.content.decode()
    assert "支払日:" in content
    assert f"/supplier/payment-notices/{paid.pk}/" in content


def test_other_suppliers_and_unpaid_batches_show_no_notice(
    client, tenant, world, paid, other_supplier_user
):
    _login(client, other_supplier_user)
    assert client.get(f"/supplier/payment-notices/{paid.pk}/").status_code == 404
    assert client.get(f"/supplier/payment-notices/{paid.pk}/pdf/").status_code == 404
    assert paid.number not in client.get("/supplier/payment-notices/").content.decode()
    with scopes_disabled():
        PaymentBatch.objects.filter(pk=paid.batch_id).update(status="exported")
    _login(client, world["supplier_user"])
    assert client.get(f"/supplier/payment-notices/{paid.pk}/").status_code == 404
