"""Japanese wording (issue 13.11): one name for two-factor authentication
(二段階認証), full-width punctuation in the login pages' Japanese, required
errors that name the field in every form, distinct names in the admin, and
no doubled suffix in the demo's department names."""

import csv
import re
from pathlib import Path

import allauth
import django
import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from accounts.form_messages import name_required_errors
from partners.models import Connection
from tests.factories import UserFactory, make_invoice
from tests.test_translations import read_po

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
OVERRIDES = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
JAPANESE = r"[\u3040-\u30ff\u3400-\u9fff]"


def _text(response) -> str:
    html = re.sub(
        r"<(script|style)[^>]*>.*?</\1>", "", response.content.decode(), flags=re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# 二段階認証 ---------------------------------------------------------------


def test_every_template_and_module_says_nidankai_ninsho():
    others = re.compile(r"2段階認証|２段階認証|二要素認証|2要素認証|多要素認証")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in (
            "templates",
            "accounts",
            "municipality",
            "partners",
            "invoices",
            "peppol",
            "config",
        )
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".html", ".txt", ".py"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if others.search(line)
    ]
    assert found == []


def test_allauths_pages_say_nidankai_ninsho(client):
    user = UserFactory(two_factor=True)
    client.force_login(user)
    page = _text(client.get(reverse("mfa_index")))
    assert "二段階認証" in page
    assert "多要素認証" not in page


def test_the_override_catalog_only_overrides_texts_that_exist():
    """Every msgid of locale/ja is one of allauth's or Django's, so an
    upgrade that renames one shows here rather than silently."""
    known = set()
    for base in (Path(allauth.__file__).parent, Path(django.__file__).parent):
        for po in base.rglob("locale/ja/LC_MESSAGES/django.po"):
            known |= {msgid for _ctxt, msgid in read_po(po)}
    overrides = read_po(OVERRIDES)
    assert overrides
    assert sorted(msgid for _ctxt, msgid in overrides if msgid not in known) == []
    for (_ctxt, msgid), entry in overrides.items():
        (text,) = entry.msgstrs
        assert not entry.fuzzy, msgid
        assert "多要素" not in text, msgid
        assert not re.search(rf"{JAPANESE}[?!:(]", text), (msgid, text)


# Full-width punctuation on the login pages -------------------------------


@pytest.mark.parametrize(
    "url", ["account_login", "account_reset_password"], ids=["login", "reset"]
)
def test_login_pages_use_full_width_punctuation(client, url):
    text = _text(client.get(reverse(url)))
    assert not re.search(rf"{JAPANESE}\s?[?!:(),]", text), text
    assert not re.search(rf"[(]\s?{JAPANESE}", text), text


def test_login_page_reads_as_expected(client):
    text = _text(client.get(reverse("account_login")))
    assert "メールアドレス：" in text
    assert "パスワードをお忘れですか？" in text
    assert "English" in text  # each language named in itself
    assert "英語" not in text
    assert "ログインしてください。アカウントは" in text


# Required errors name the field ------------------------------------------


class _Form(forms.Form):
    subject = forms.CharField(label="件名")
    kind = forms.ChoiceField(label="種類", choices=[("a", "A")])
    agree = forms.BooleanField(label="規約に同意する")
    own = forms.CharField(
        label="番号", error_messages={"required": "番号がありません。"}
    )


def test_required_errors_name_the_field_in_any_form():
    form = _Form(data={})
    assert form.errors == {
        "subject": ["件名を入力してください。"],
        "kind": ["種類を選んでください。"],
        "agree": ["規約に同意するにチェックを入れてください。"],
        "own": ["番号がありません。"],  # a form's own message stays
    }


def test_required_errors_are_in_the_active_language():
    with translation.override("en"):
        form = _Form(data={})
        assert form.errors["subject"] == ["Enter the 件名."]


def test_name_required_errors_leaves_other_messages_alone():
    form = _Form()
    name_required_errors(form)
    assert "invalid_choice" in form.fields["kind"].error_messages
    assert str(form.fields["own"].error_messages["required"]) == "番号がありません。"


def test_the_login_form_names_its_empty_fields(client):
    text = _text(client.post(reverse("account_login"), {"login": "", "password": ""}))
    assert "このフィールドは必須です" not in text
    assert "メールアドレスを入力してください。" in text
    assert "パスワードを入力してください。" in text


def test_a_portal_form_names_its_empty_fields(client, supplier_user):
    client.force_login(supplier_user)
    text = _text(client.post(reverse("supplier:member_invite"), {}))
    assert "このフィールドは必須です" not in text
    assert re.search(r"\S+を入力してください。", text)


# The admin ---------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_groups_have_distinct_japanese_names(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    apps = {app["app_label"]: str(app["name"]) for app in response.context["app_list"]}
    assert apps["accounts"] == "利用者・送信メール"
    assert apps["account"] == "ログイン用メールアドレス"
    assert apps["mfa"] == "二段階認証"
    assert len(set(apps.values())) == len(apps)
    (mfa,) = [a for a in response.context["app_list"] if a["app_label"] == "mfa"]
    assert [str(m["name"]) for m in mfa["models"]] == ["二段階認証の手段"]
    text = _text(response)
    assert "Authenticators" not in text
    assert "アカウント" not in text


def test_admin_names_in_english(admin_client):
    with translation.override("en"):
        app_configs = {
            config.label: str(config.verbose_name)
            for config in django.apps.apps.get_app_configs()
        }
    assert app_configs["mfa"] == "Two-factor authentication"
    assert app_configs["account"] == "Sign-in email addresses"
    assert app_configs["accounts"] == "Users and outgoing mail"


def test_admin_invoice_list_shows_amounts_with_separators(admin_client, supplier_user):
    with scopes_disabled():
        supplier = supplier_user.supplier_membership.supplier
        connection = Connection.objects.get(supplier=supplier)
        invoice = make_invoice(connection=connection, actor=supplier_user)
    assert invoice.total >= 1000
    text = _text(admin_client.get("/admin/invoices/invoice/"))
    assert f"{invoice.total:,}円" in text
    page = _text(admin_client.get(f"/admin/invoices/invoice/{invoice.pk}/change/"))
    assert "4,500円" in page  # a line's amount


# Demo data ---------------------------------------------------------------


def test_kanoya_department_names_have_no_doubled_suffix():
    path = ROOT / "demo" / "data" / "kanoya-departments.csv"
    with path.open(encoding="utf-8", newline="") as f:
        names = [row["name"] for row in csv.DictReader(f)]
    assert "監査委員事務局" in names
    assert [name for name in names if re.search(r"(.{2,})\1$", name)] == []
