"""Payee accounts (振込先口座): services keep one default, log every change
and mail every owner; views confirm before saving and are for owners only."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners.models import AccountType, BankAccount, BankAccountChange, SupplierRole
from partners.services.bank_accounts import (
    BankAccountDuplicateError,
    bank_account_create,
    bank_account_delete,
    bank_account_set_default,
    bank_account_update,
)
from tests.factories import SupplierMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MUFG_HEAD_OFFICE = {
    "bank_code": "0005",
    "branch_code": "001",
    "account_type": AccountType.ORDINARY,
    "account_number": "1234",
    "holder_input": "かぶしきがいしゃ てすと",
}
SUBJECT = "[請求書ポータル] 【重要】振込先口座が変更されました: "


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def owners(supplier, supplier_user):
    """Two active owners; an inactive owner and a clerk get no mail."""
    second = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.OWNER)
    SupplierMembershipFactory(
        supplier=supplier,
        role=SupplierRole.OWNER,
        user=UserFactory(is_active=False),
    )
    SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK)
    return [supplier_user, second.user]


@pytest.fixture
def clerk(supplier):
    return SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK).user


def _create(supplier, actor, **changes):
    return bank_account_create(
        supplier=supplier, actor=actor, **(MUFG_HEAD_OFFICE | changes)
    )


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


# Services ------------------------------------------------------------------


def test_create_takes_names_from_the_master_and_normalises_the_input(
    supplier, supplier_user
):
    account = _create(supplier, supplier_user, bank_code="０００５")
    assert account.bank_name == "三菱UFJ"
    assert account.branch_name == "本店"
    assert account.account_number == "0001234"
    assert account.holder_kana == "ｶ)ﾃｽﾄ"
    assert account.holder_input == "かぶしきがいしゃ てすと"


def test_first_account_becomes_the_default_and_later_ones_do_not(
    supplier, supplier_user
):
    first = _create(supplier, supplier_user)
    second = _create(supplier, supplier_user, account_number="7654321")
    assert first.is_default
    assert not second.is_default


def test_create_logs_the_change_and_mails_every_active_owner(
    supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account = _create(supplier, supplier_user)

    change = BankAccountChange.objects.get(supplier=supplier)
    assert change.action == BankAccountChange.Action.CREATED
    assert change.bank_account == account
    assert change.actor == supplier_user
    assert change.before == {}
    assert change.after["account_number"] == "0001234"
    assert change.after["is_default"] is True

    assert _recipients() == sorted(user.email for user in owners)
    assert all(len(message.to) == 1 for message in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == SUBJECT + supplier.legal_name
    assert "追加: 三菱UFJ（0005） 本店（001） 普通 ****234 ｶ)ﾃｽﾄ" in message.body
    assert "0001234" not in message.body
    assert supplier_user.email in message.body
    assert "心当たりがない場合は、ただちに" in message.body


def test_invalid_input_saves_logs_and_mails_nothing(
    supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as excinfo,
    ):
        _create(supplier, supplier_user, bank_code="9999", holder_input="山田")

    assert set(excinfo.value.error_dict) == {"bank_code", "holder_input"}
    assert "金融機関コード 9999 は見つかりません" in str(excinfo.value)
    assert not BankAccount.objects.exists()
    assert not BankAccountChange.objects.exists()
    assert mail.outbox == []


def test_the_same_account_cannot_be_added_twice(supplier, supplier_user):
    _create(supplier, supplier_user)
    with pytest.raises(BankAccountDuplicateError):
        _create(supplier, supplier_user, account_number="０００１２３４")
    assert BankAccount.objects.count() == 1


def test_update_logs_before_and_after_and_mails_the_difference(
    supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    account = _create(supplier, supplier_user)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bank_account_update(
            bank_account=account,
            actor=supplier_user,
            **(MUFG_HEAD_OFFICE | {"account_number": "7654321"}),
        )

    change = BankAccountChange.objects.get(action=BankAccountChange.Action.UPDATED)
    assert change.before["account_number"] == "0001234"
    assert change.after["account_number"] == "7654321"
    assert len(mail.outbox) == len(owners)
    assert "口座番号: ****234 → ****321" in mail.outbox[0].body


def test_saving_an_unchanged_account_records_and_sends_nothing(
    supplier, supplier_user, django_capture_on_commit_callbacks
):
    account = _create(supplier, supplier_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bank_account_update(
            bank_account=account, actor=supplier_user, **MUFG_HEAD_OFFICE
        )
    assert BankAccountChange.objects.count() == 1
    assert mail.outbox == []


def test_deleting_the_default_promotes_the_oldest_remaining_account(
    supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    first = _create(supplier, supplier_user)
    second = _create(supplier, supplier_user, account_number="2222222")
    third = _create(supplier, supplier_user, account_number="3333333")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bank_account_delete(bank_account=first, actor=supplier_user)

    second.refresh_from_db()
    third.refresh_from_db()
    assert second.is_default
    assert not third.is_default
    deleted, promoted = BankAccountChange.objects.order_by("pk")[3:]
    assert deleted.action == BankAccountChange.Action.DELETED
    assert deleted.bank_account is None
    assert deleted.before["account_number"] == "0001234"
    assert promoted.action == BankAccountChange.Action.DEFAULT
    assert promoted.bank_account == second
    # One message per owner covers both changes.
    assert len(mail.outbox) == len(owners)
    assert "削除: 三菱UFJ" in mail.outbox[0].body
    assert "既定の振込先: いいえ → はい" in mail.outbox[0].body


def test_deleting_the_last_account_leaves_none(supplier, supplier_user):
    account = _create(supplier, supplier_user)
    bank_account_delete(bank_account=account, actor=supplier_user)
    assert not BankAccount.objects.exists()


def test_set_default_moves_the_flag_and_logs_both_accounts(
    supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    first = _create(supplier, supplier_user)
    second = _create(supplier, supplier_user, account_number="2222222")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        bank_account_set_default(bank_account=second, actor=supplier_user)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    changes = BankAccountChange.objects.filter(
        action=BankAccountChange.Action.DEFAULT
    ).order_by("pk")
    assert [c.bank_account for c in changes] == [first, second]
    assert [c.after["is_default"] for c in changes] == [False, True]
    assert len(mail.outbox) == len(owners)


def test_set_default_on_the_default_does_nothing(
    supplier, supplier_user, django_capture_on_commit_callbacks
):
    account = _create(supplier, supplier_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bank_account_set_default(bank_account=account, actor=supplier_user)
    assert BankAccountChange.objects.count() == 1
    assert mail.outbox == []


# Views -----------------------------------------------------------------------


def _form_data(**changes):
    data = {
        "bank_code": "0005",
        "branch_code": "001",
        "account_type": "1",
        "account_number": "1234",
        "japan_post_kigou": "",
        "japan_post_bangou": "",
        "holder_input": "かぶしきがいしゃ てすと",
    }
    return data | changes


def test_owner_adds_an_account_after_confirming_it(
    client, supplier, supplier_user, owners, django_capture_on_commit_callbacks
):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_add")
    assert client.get(url).status_code == 200

    response = client.post(url, _form_data())
    assert response.status_code == 200
    assert "partners/bank_account_confirm.html" in [t.name for t in response.templates]
    page = response.content.decode()
    for shown in ("三菱UFJ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "本店", "0001234", "ｶ)ﾃｽﾄ"):
        assert shown in page
    assert not BankAccount.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _form_data(confirmed="1"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("supplier:bank_accounts")
    account = BankAccount.objects.get(supplier=supplier)
    assert (account.account_number, account.holder_kana) == ("0001234", "ｶ)ﾃｽﾄ")
    assert account.is_default
    assert "振込先口座を登録しました。" in response.content.decode()
    assert _recipients() == sorted(user.email for user in owners)


def test_back_on_the_confirmation_page_returns_to_the_form(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:bank_account_add"), _form_data(confirmed="1", back="1")
    )
    assert "partners/bank_account_form.html" in [t.name for t in response.templates]
    assert not BankAccount.objects.exists()


def test_submitting_the_confirmation_twice_creates_one_account(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_add")
    first = client.post(url, _form_data(confirmed="1"))
    second = client.post(url, _form_data(confirmed="1"), follow=True)
    assert first.status_code == 302
    assert BankAccount.objects.count() == 1
    assert "この口座（三菱UFJ 本店 普通 0001234）はすでに登録されています。" in (
        second.content.decode()
    )


def test_unknown_bank_code_gets_a_specific_japanese_message(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:bank_account_add"), _form_data(bank_code="9999")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["bank_code"] == [
        "金融機関コード 9999 は見つかりません。"
        "通帳やキャッシュカードで4桁のコードを確認してください。"
    ]


def test_unknown_branch_code_gets_a_specific_japanese_message(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:bank_account_add"), _form_data(branch_code="999")
    )
    assert response.context["form"].errors["branch_code"] == [
        "支店コード 999 は 三菱UFJ（0005）に見つかりません。"
        "通帳やキャッシュカードで3桁の支店コード（店番）を確認してください。"
    ]


def test_kanji_holder_name_is_refused_with_the_characters_named(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:bank_account_add"), _form_data(holder_input="山田タロウ")
    )
    (message,) = response.context["form"].errors["holder_input"]
    assert message.startswith(
        "口座名義（カナ）に使えない文字があります: 「山」、「田」"
    )


def test_japan_post_kigou_and_bangou_are_converted(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_add")
    data = _form_data(
        bank_code="9900",
        branch_code="",
        account_number="",
        japan_post_kigou="１２３４５",
        japan_post_bangou="12345671",
        holder_input="ヤマダ タロウ",
    )
    page = client.post(url, data).content.decode()
    assert "二三八（238）" in page
    assert "1234567" in page

    client.post(url, data | {"confirmed": "1"})
    account = BankAccount.objects.get()
    assert (account.bank_code, account.branch_code) == ("9900", "238")
    assert account.account_type == AccountType.ORDINARY
    assert account.account_number == "1234567"


def test_japan_post_fields_are_refused_for_other_banks(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:bank_account_add"),
        _form_data(japan_post_kigou="12345", japan_post_bangou="12345671"),
    )
    assert (
        "ゆうちょ銀行（金融機関コード 9900）の口座にだけ"
        in (response.context["form"].errors["japan_post_kigou"][0])
    )


def test_owner_edits_an_account_after_confirming_it(client, supplier, supplier_user):
    account = _create(supplier, supplier_user)
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_edit", args=[account.pk])
    assert "0001234" in client.get(url).content.decode()

    confirm = client.post(url, _form_data(holder_input="テスト ショウジ"))
    assert "ﾃｽﾄ ｼﾖｳｼﾞ" in confirm.content.decode()
    client.post(url, _form_data(holder_input="テスト ショウジ", confirmed="1"))

    account.refresh_from_db()
    assert account.holder_kana == "ﾃｽﾄ ｼﾖｳｼﾞ"
    assert BankAccountChange.objects.filter(
        action=BankAccountChange.Action.UPDATED
    ).exists()


def test_owner_deletes_an_account_after_confirming_it(client, supplier, supplier_user):
    account = _create(supplier, supplier_user)
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_delete", args=[account.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not BankAccount.objects.exists()


def test_owner_sets_the_default(client, supplier, supplier_user):
    _create(supplier, supplier_user)
    second = _create(supplier, supplier_user, account_number="2222222")
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_default", args=[second.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    second.refresh_from_db()
    assert second.is_default


def test_clerk_sees_the_list_but_gets_404_on_every_change(
    client, supplier, supplier_user, clerk
):
    account = _create(supplier, supplier_user)
    client.force_login(clerk)
    page = client.get(reverse("supplier:bank_accounts"))
    assert page.status_code == 200
    assert "0001234" in page.content.decode()
    assert reverse("supplier:bank_account_add") not in page.content.decode()

    assert client.get(reverse("supplier:bank_account_add")).status_code == 404
    assert (
        client.post(
            reverse("supplier:bank_account_add"), _form_data(confirmed="1")
        ).status_code
        == 404
    )
    for name in ("bank_account_edit", "bank_account_delete"):
        url = reverse(f"supplier:{name}", args=[account.pk])
        assert client.get(url).status_code == 404
    for name in ("bank_account_edit", "bank_account_delete", "bank_account_default"):
        url = reverse(f"supplier:{name}", args=[account.pk])
        assert client.post(url, _form_data(confirmed="1")).status_code == 404
    assert BankAccount.objects.count() == 1


def test_another_suppliers_account_answers_404(
    client, supplier_user, other_supplier_user
):
    other_supplier = other_supplier_user.supplier_membership.supplier
    theirs = _create(other_supplier, other_supplier_user)
    _create(other_supplier, other_supplier_user, account_number="2222222")
    client.force_login(supplier_user)

    assert (
        "0001234" not in client.get(reverse("supplier:bank_accounts")).content.decode()
    )
    for name in ("bank_account_edit", "bank_account_delete"):
        url = reverse(f"supplier:{name}", args=[theirs.pk])
        assert client.get(url).status_code == 404
    for name in ("bank_account_edit", "bank_account_delete", "bank_account_default"):
        url = reverse(f"supplier:{name}", args=[theirs.pk])
        assert client.post(url, _form_data(confirmed="1")).status_code == 404
    assert BankAccount.objects.filter(supplier=other_supplier).count() == 2
    assert BankAccountChange.objects.filter(actor=supplier_user).count() == 0


def test_lookup_returns_names_for_codes(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_lookup")
    assert client.get(url, {"bank": "０００５", "branch": "001"}).json() == {
        "bank": {"code": "0005", "name": "三菱UFJ", "kana": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"},
        "bank_error": "",
        "branch": {"code": "001", "name": "本店", "kana": "ﾎﾝﾃﾝ"},
        "branch_error": "",
    }
    unknown = client.get(url, {"bank": "9999", "branch": "001"}).json()
    assert unknown["bank"] is None
    assert unknown["bank_error"].startswith("金融機関コード 9999 は見つかりません。")
    assert (
        client.get(url, {"bank": "0005", "branch": "999"})
        .json()["branch_error"]
        .startswith("支店コード 999 は 三菱UFJ（0005）に見つかりません。")
    )


def test_lookup_searches_banks_and_branches_by_name(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_lookup")
    banks = client.get(url, {"q": "ﾐｽﾞﾎ"}).json()["banks"]
    assert banks[0] == {"code": "0001", "name": "みずほ", "kana": "ﾐｽﾞﾎ"}
    branches = client.get(url, {"bank": "0001", "branch_q": "とうきょう"}).json()
    assert branches["branches"][0]["code"] == "001"
    assert client.get(url, {"q": ""}).json()["banks"] == []
    assert "banks" not in client.get(url, {"bank": "0005"}).json()


def test_bank_and_branch_are_chosen_by_name_without_javascript(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_add")
    page = client.get(url, {"bank_q": "みずほ"}).content.decode()
    assert f'href="{url}?bank_code=0001"' in page
    assert "みずほ（ﾐｽﾞﾎ） 0001" in page

    chosen = client.get(url, {"bank_code": "0001"})
    assert chosen.context["form"]["bank_code"].value() == "0001"
    assert "みずほ（0001）の支店から探します。" in chosen.content.decode()

    page = client.get(url, {"bank_code": "0001", "branch_q": "東京営業部"})
    assert f'href="{url}?bank_code=0001&amp;branch_code=001"' in page.content.decode()

    filled = client.get(url, {"bank_code": "0001", "branch_code": "001"})
    form = filled.context["form"]
    assert (form["bank_code"].value(), form["branch_code"].value()) == ("0001", "001")
    confirm = client.post(url, _form_data(bank_code="0001", branch_code="001"))
    assert "東京営業部" in confirm.content.decode()


def test_search_that_finds_nothing_says_so(client, supplier_user):
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_add")
    page = client.get(url, {"bank_q": "存在しない銀行"}).content.decode()
    assert "見つかりません。名前やカナを短くして探してください。" in page
    page = client.get(url, {"branch_q": "本店"}).content.decode()
    assert "先に金融機関を選ぶと、その支店から探せます。" in page


def test_editing_searches_branches_of_the_accounts_bank(
    client, supplier, supplier_user
):
    account = _create(supplier, supplier_user)
    client.force_login(supplier_user)
    url = reverse("supplier:bank_account_edit", args=[account.pk])
    page = client.get(url, {"branch_q": "ほんてん"}).content.decode()
    assert f'href="{url}?bank_code=0005&amp;branch_code=001"' in page
    other_bank = client.get(url, {"bank_code": "0001"}).context["form"]
    assert other_bank["bank_code"].value() == "0001"
    assert other_bank["branch_code"].value() == ""
    assert other_bank["account_number"].value() == "0001234"


def test_lookup_needs_a_supplier_membership(client, user_factory):
    url = reverse("supplier:bank_lookup")
    response = client.get(url, {"bank": "0005"})
    assert response.status_code == 302
    client.force_login(user_factory())
    assert client.get(url, {"bank": "0005"}).status_code == 404


def test_admin_shows_accounts_and_changes_read_only(client, supplier, supplier_user):
    account = _create(supplier, supplier_user)
    change = BankAccountChange.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for obj in (account, change):
        name = f"admin:partners_{obj._meta.model_name}"
        changelist = reverse(f"{name}_changelist")
        response = client.get(changelist, {"q": supplier.legal_name})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{name}_add")).status_code == 403
        assert client.post(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403
    assert (
        client.get(reverse("admin:partners_bankaccount_changelist"), {"q": "0005"})
        .context["cl"]
        .result_count
        == 1
    )
