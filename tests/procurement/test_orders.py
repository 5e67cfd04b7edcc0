"""Orders (支出負担行為): entry on screen and by CSV, the transition table,
the supplier's 請書 and questions, and who sees what."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from procurement.csv_files import CsvError
from procurement.models import Order, OrderEventKind, OrderKind, OrderStatus
from procurement.services.order_import import orders_import
from procurement.services.orders import order_ask, order_confirm
from procurement.workflow import (
    ORDER_TRANSITIONS,
    OrderTransitionError,
    order_transition,
)
from tests.procurement.conftest import make_budget_code, make_order, order_day


def _city(tenant, name, **kwargs):
    return reverse(
        f"city:{name}", kwargs={"municipality_slug": tenant.municipality.slug, **kwargs}
    )


def _order_form(connection, code, **overrides):
    day = order_day()
    data = {
        "connection": connection.pk,
        "kind": "one_off",
        "number": "R8-支-0042",
        "order_date": day.isoformat(),
        "fiscal_year": code.fiscal_year,
        "budget_code": code.pk,
        "subject": "トナーの購入",
        "delivery_place": "市役所本庁舎2階",
        "delivery_date": day.isoformat(),
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "トナー",
        "lines-0-quantity": "3",
        "lines-0-unit": "本",
        "lines-0-unit_price": "12,000",
        "lines-0-tax_category": "S",
        "lines-1-tax_category": "S",
        "lines-2-tax_category": "S",
    }
    data.update(overrides)
    return data


def test_department_staff_create_and_send_an_order_on_screen(
    client, tenant, connection, budget_code, django_capture_on_commit_callbacks
):
    client.force_login(tenant.department_staff)
    response = client.post(
        _city(tenant, "order_new"), _order_form(connection, budget_code)
    )
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        order = Order.objects.get(number="R8-支-0042")
    assert order.status == OrderStatus.DRAFT
    # 36,000 + 10% tax, computed once.
    assert (order.subtotal, order.tax_total, order.amount) == (36000, 3600, 39600)
    send_url = _city(tenant, "order_send", pk=order.pk)
    page = client.get(send_url).content.decode()
    assert "発注の確認" in page
    assert 'name="confirmed"' in page
    client.post(send_url)  # not confirmed: nothing happens
    with scopes_disabled():
        order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_url, {"confirmed": "1"})
    with scopes_disabled():
        order.refresh_from_db()
    assert order.status == OrderStatus.ORDERED
    assert any("発注が届きました" in m.subject for m in mail.outbox)


def test_a_budget_code_of_another_year_is_refused_with_the_reason(
    client, tenant, connection, budget_code
):
    other_year = make_budget_code(
        tenant.municipality, fiscal_year=budget_code.fiscal_year - 1
    )
    client.force_login(tenant.department_staff)
    response = client.post(
        _city(tenant, "order_new"),
        _order_form(connection, budget_code, budget_code=other_year.pk),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"予算科目は {budget_code.fiscal_year} 年度のものを選んでください" in page


def test_the_fiscal_year_must_be_the_order_dates(
    client, tenant, connection, budget_code
):
    client.force_login(tenant.department_staff)
    response = client.post(
        _city(tenant, "order_new"),
        _order_form(connection, budget_code, fiscal_year=budget_code.fiscal_year + 1),
    )
    assert (
        "支出負担行為は、その日の属する会計年度でしか行えません"
        in response.content.decode()
    )


def test_a_unit_price_contract_needs_period_and_ceiling(
    client, tenant, connection, budget_code
):
    client.force_login(tenant.department_staff)
    response = client.post(
        _city(tenant, "order_new"),
        _order_form(connection, budget_code, kind="unit_price"),
    )
    page = response.content.decode()
    assert "単価契約には契約期間の開始日と終了日を入れてください。" in page
    assert "単価契約には上限額（税込）を入れてください。" in page


@pytest.mark.parametrize("status", sorted(OrderStatus.values))
def test_the_transition_table_both_ways(tenant, connection, budget_code, status):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            send=False,
        )
        Order.objects.filter(pk=order.pk).update(status=status)
        for target in sorted(OrderStatus.values):
            order.refresh_from_db()
            if order.status != status:
                Order.objects.filter(pk=order.pk).update(status=status)
            allowed = target in ORDER_TRANSITIONS[status]
            if allowed:
                moved = order_transition(
                    order=order, to=target, actor=tenant.department_staff
                )
                assert moved.status == target
            else:
                with pytest.raises(OrderTransitionError):
                    order_transition(
                        order=order, to=target, actor=tenant.department_staff
                    )


def test_the_supplier_confirms_after_the_confirmation_step(
    client, tenant, connection, budget_code, supplier_user
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
    client.force_login(supplier_user)
    listing = client.get(reverse("supplier:orders")).content.decode()
    assert order.number in listing
    assert tenant.municipality.name in listing
    url = reverse("supplier:order_confirm", kwargs={"pk": order.pk})
    assert "請書の提出" in client.get(url).content.decode()
    mail.outbox.clear()
    client.post(url, {"confirmed": "1"})
    with scopes_disabled():
        order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.confirmed_by == supplier_user


def test_a_question_and_its_answer(
    client, tenant, connection, budget_code, supplier_user
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
    client.force_login(supplier_user)
    client.post(
        reverse("supplier:order_question", kwargs={"pk": order.pk}),
        {"message": "納品は午前中でよろしいですか。"},
    )
    with scopes_disabled():
        order.refresh_from_db()
    assert order.status == OrderStatus.QUESTION
    client.force_login(tenant.department_staff)
    page = client.get(_city(tenant, "order", pk=order.pk)).content.decode()
    assert "納品は午前中でよろしいですか。" in page
    client.post(
        _city(tenant, "order_answer", pk=order.pk),
        {"message": "はい、9時から12時です。"},
    )
    with scopes_disabled():
        order.refresh_from_db()
        kinds = list(order.events.values_list("kind", flat=True))
    assert order.status == OrderStatus.ORDERED
    assert kinds[-2:] == [OrderEventKind.QUESTION, OrderEventKind.ANSWER]


def test_another_supplier_cannot_confirm(
    tenant, connection, budget_code, other_supplier_user
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        other = other_supplier_user.supplier_membership.supplier
        with pytest.raises(ValidationError):
            order_confirm(order=order, supplier=other, actor=other_supplier_user)
        with pytest.raises(ValidationError):
            order_ask(
                order=order, supplier=other, actor=other_supplier_user, message="?"
            )


def test_drafts_and_other_suppliers_orders_are_404_for_a_supplier(
    client, tenant, connection, budget_code, supplier_user, other_supplier_user
):
    with scopes_disabled():
        draft = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            send=False,
        )
        sent = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            number="R8-0002",
        )
    client.force_login(supplier_user)
    assert (
        client.get(reverse("supplier:order", kwargs={"pk": draft.pk})).status_code
        == 404
    )
    client.force_login(other_supplier_user)
    assert (
        client.get(reverse("supplier:order", kwargs={"pk": sent.pk})).status_code == 404
    )


CSV_HEADER = (
    "支出負担行為番号,種類,負担行為日,会計年度,部署コード,支払先コード,登録番号,"
    "会計区分,科目コード,件名,納入場所,納期,契約期間開始,契約期間終了,上限額,工事,"
    "品名,数量,単位,単価,税区分\r\n"
)


def _csv_rows(tenant, connection, budget_code):
    day = order_day().isoformat()
    code = tenant.department.code
    number = connection.supplier.registration_number
    year = budget_code.fiscal_year
    return (
        f"R8-100,単発,{day},{year},{code},,{number},一般会計,02-01-01-10-01,"
        f"コピー用紙,本庁舎,{day},,,,,コピー用紙 A4,10,箱,450,10%\r\n"
        f"R8-100,単発,{day},{year},{code},,{number},一般会計,02-01-01-10-01,"
        f"コピー用紙,本庁舎,{day},,,,,お茶,24,本,100,8%\r\n"
        f"R8-101,単価契約,{day},{year},{code},,{number},一般会計,02-01-01-10-01,"
        f"清掃用品,各施設,,{day},{year + 1}-03-31,500000,,洗剤,,本,380,10%\r\n"
    )


def test_orders_are_imported_from_the_financial_system(
    client, tenant, connection, budget_code
):
    data = CSV_HEADER + _csv_rows(tenant, connection, budget_code)
    client.force_login(tenant.department_staff)
    upload = SimpleUploadedFile("orders.csv", data.encode("cp932"), "text/csv")
    response = client.post(_city(tenant, "order_import"), {"file": upload})
    assert response.status_code == 302
    with scopes_disabled():
        one_off = Order.objects.get(number="R8-100")
        contract = Order.objects.get(number="R8-101")
    assert one_off.status == OrderStatus.ORDERED
    assert one_off.imported
    assert one_off.lines.count() == 2
    # 4,500 at 10% and 2,400 at 8%: 450 + 192 of tax.
    assert one_off.amount == 4500 + 2400 + 450 + 192
    assert contract.kind == OrderKind.UNIT_PRICE
    assert contract.amount == contract.ceiling_amount == Decimal(500000)


def test_an_import_with_one_bad_row_saves_nothing(tenant, connection, budget_code):
    data = CSV_HEADER + _csv_rows(tenant, connection, budget_code).replace(
        "お茶,24,本,100,8%", "お茶,24,本,百円,8%"
    ).replace("02-01-01-10-01,清掃", "99-99,清掃")
    with scopes_disabled(), pytest.raises(CsvError) as caught:
        orders_import(
            municipality=tenant.municipality,
            actor=tenant.department_staff,
            data=data.encode("utf-8"),
            department_ids=frozenset({tenant.department.pk}),
        )
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert problems == {(3, "単価"), (4, "科目コード")}
    with scopes_disabled():
        assert not Order.objects.exists()


def test_department_staff_import_only_for_their_departments(
    tenant, connection, budget_code
):
    data = CSV_HEADER + _csv_rows(tenant, connection, budget_code)
    with scopes_disabled(), pytest.raises(CsvError) as caught:
        orders_import(
            municipality=tenant.municipality,
            actor=tenant.department_staff,
            data=data.encode("utf-8"),
            department_ids=frozenset({tenant.other_department.pk}),
        )
    assert {p.column for p in caught.value.problems} == {"部署コード"}


def test_other_departments_staff_see_no_order(client, tenant, connection, budget_code):
    from municipality.models import StaffRole
    from tests.factories import StaffMembershipFactory

    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        other = StaffMembershipFactory(
            municipality=tenant.municipality,
            role=StaffRole.DEPARTMENT,
            departments=[tenant.other_department],
        ).user
    client.force_login(other)
    assert order.number not in client.get(_city(tenant, "orders")).content.decode()
    assert client.get(_city(tenant, "order", pk=order.pk)).status_code == 404
    client.force_login(tenant.treasury)
    assert client.get(_city(tenant, "order", pk=order.pk)).status_code == 200
    assert client.get(_city(tenant, "order_send", pk=order.pk)).status_code == 404


def test_unconfirmed_orders_are_reminded_once_a_day(
    tenant, connection, budget_code, supplier_user, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from invoices.reminders import is_business_day
    from procurement.reminders import order_reminders_send_daily

    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        fresh = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            number="R8-0002",
        )
        Order.objects.filter(pk=order.pk).update(
            ordered_at=timezone.now() - timedelta(days=30)
        )
    today = timezone.localdate()
    while not is_business_day(today):
        today += timedelta(days=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert order_reminders_send_daily(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        order_reminders_send_daily(today=today)
    reminders = [m for m in mail.outbox if "請書をお待ちしている発注" in m.subject]
    assert len(reminders) == 1
    assert order.number in reminders[0].body
    assert fresh.number not in reminders[0].body
    assert reminders[0].to == [supplier_user.email]
