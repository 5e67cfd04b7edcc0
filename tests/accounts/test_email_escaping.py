"""No mail carries markup or links someone typed. Every value reaches the
HTML part escaped (the subject too, as the page title), only links to this
site are clickable, the text part stays as typed, and nothing typed can add
a mail header.

Every template pair in ``templates/emails`` is rendered with the payload in
every value it uses, and the fields outsiders and suppliers set are carried
through the real flows (the public request form, invoices, bank accounts,
allauth's password reset)."""

import email
import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.emails import email_queue, email_send_template
from accounts.models import EmailNotification
from invoices.models import ReturnReason, ReturnSeverity
from invoices.services.decisions import invoice_approve, invoice_remind, invoice_return
from partners.services.bank_accounts import bank_account_create
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
    make_invoice,
)

pytestmark = pytest.mark.django_db

PAYLOAD = (
    '</title></head><body><a href="http://example.invalid/">x</a>'
    '<img src="http://example.invalid/p"><!--'
)
# For fields too short for PAYLOAD (invoice numbers: 40 characters).
SHORT = '<a href="http://example.invalid/">x</a>'
# A URL as someone would type it into free text.
BARE_URL = "http://example.invalid/u"
EVIL_HOST = "example.invalid"
FOOTER = "このメールは請求書ポータルから自動で送信しています。"
TEMPLATES = sorted(
    path.name.removesuffix("_subject.txt")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_subject.txt")
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the request form's rate limit
    yield
    cache.clear()


def _html_of(message) -> str | None:
    htmls = [
        content
        for content, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    assert len(htmls) <= 1
    return htmls[0] if htmls else None


def assert_mail_safe(message) -> None:
    """No link or image to the attacker's host, the subject as the title's
    text, the layout intact after the payload, and one-line headers."""
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed.get_all("Bcc") is None
    assert message.recipients() == message.to
    html = _html_of(message)
    if html is None:
        return
    document = lxml.html.document_fromstring(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            raise AssertionError(f"a comment or similar node got in: {element!r}")
        for name, value in element.attrib.items():
            assert EVIL_HOST not in value, (element.tag, name, value)
        if element.tag in ("a", "img", "link", "script", "iframe", "form"):
            target = element.get("href") or element.get("src") or ""
            assert urlsplit(target).hostname != EVIL_HOST, element.tag
    (title,) = document.findall(".//title")
    assert title.text_content() == message.subject
    assert len(document.findall(".//body")) == 1
    assert FOOTER in document.text_content()
    for link in document.iter("a"):
        assert link.get("href").startswith(settings.SITE_URL + "/"), link.get("href")


# Every template, with the payload in every value ----------------------------


def _value(name: str):
    """What a template gets for ``name``: the payload, except for what
    cannot be typed (keys for ``{% url %}``, dates)."""
    if name == "pk":
        return 1
    if name == "slug":
        return "kanoya"
    if name == "today" or name.endswith(("_at", "_date", "deadline")):
        return timezone.now()
    return Anything()


class Anything(str):
    """PAYLOAD (and a typed URL) whatever a template asks of it: every
    attribute and item is the payload again (see ``_value``), a loop runs
    once."""

    def __new__(cls):
        return super().__new__(cls, f"{PAYLOAD} {BARE_URL} ")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _value(name)

    def __getitem__(self, key):
        return _value(key) if isinstance(key, str) else self

    def __iter__(self):
        return iter([self])


_TAG = re.compile(r"{[{%](.*?)[}%]}", re.DOTALL)
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_FILTER = re.compile(r"\|\s*\w+")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_NOT_VARIABLES = {
    "and", "as", "autoescape", "else", "endautoescape", "endfor", "endif",
    "for", "forloop", "if", "in", "is", "load", "not", "off", "or", "site_url",
    "url", "with",
}  # fmt: skip


def _variables(template: str) -> set[str]:
    """The top-level names the subject and body templates use."""
    names = set()
    for part in ("subject", "body"):
        source = (
            Path(settings.BASE_DIR) / "templates" / "emails" / f"{template}_{part}.txt"
        ).read_text()
        for tag in _TAG.findall(source):
            names.update(_NAME.findall(_FILTER.sub("", _QUOTED.sub("", tag))))
    return names - _NOT_VARIABLES


def test_every_template_pair_is_covered():
    bodies = {
        path.name.removesuffix("_body.txt")
        for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob(
            "*_body.txt"
        )
    }
    assert set(TEMPLATES) == bodies
    assert len(TEMPLATES) >= 18


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_escapes_every_value(template, django_capture_on_commit_callbacks):
    context = {name: _value(name) for name in _variables(template)}
    assert context, template
    with django_capture_on_commit_callbacks(execute=True):
        email_send_template(template=template, to=["to@example.jp"], context=context)
    (message,) = mail.outbox
    assert_mail_safe(message)
    assert PAYLOAD in message.body  # the text part is not escaped
    html = _html_of(message)
    document = lxml.html.document_fromstring(html)
    assert PAYLOAD in document.find(".//body").text_content()
    assert BARE_URL in document.find(".//body").text_content()


def test_links_to_this_site_stay_clickable_and_lookalikes_do_not(
    django_capture_on_commit_callbacks,
):
    site = settings.SITE_URL
    explanation = (
        f"{site}.{EVIL_HOST}/a {site}@{EVIL_HOST}/b www.{EVIL_HOST} "
        f"mail@{EVIL_HOST} {site}/help/?a=1&b=2"
    )
    with django_capture_on_commit_callbacks(execute=True):
        email_send_template(
            template="invitation_request_declined",
            to=["to@example.jp"],
            context={
                "request": {"contact_name": "A&B商事", "decline_reason": explanation},
                "municipality": {"name": "鹿屋市"},
            },
        )
    (message,) = mail.outbox
    assert_mail_safe(message)
    assert "A&B商事" in message.body
    document = lxml.html.document_fromstring(_html_of(message))
    assert [a.get("href") for a in document.iter("a")] == [f"{site}/help/?a=1&b=2"]


# Through the real flows -----------------------------------------------------


def test_the_public_request_form_cannot_put_markup_in_mail(
    client, tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        department = DepartmentFactory(municipality=tenant.municipality, name=PAYLOAD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/p/kanoya/request/",
            {
                "company_name": f"{PAYLOAD} {BARE_URL}",
                "company_name_kana": "カノヤショウジ",
                "registration_number": "",
                "contact_name": PAYLOAD,
                "email": "ichiro@kanoya-shoji.example.jp",
                "phone": "0994-12-3456",
                "departments": [department.pk],
                "message": f"{PAYLOAD}\n{BARE_URL}\n\n{PAYLOAD}",
                "website": "",
            },
        )
    assert response.status_code == 302
    confirmation, notification = mail.outbox
    for message in (confirmation, notification):
        assert_mail_safe(message)
        assert PAYLOAD in message.body
    assert PAYLOAD in notification.subject  # company name, as text


def test_supplier_and_staff_text_cannot_put_markup_in_invoice_mail(
    tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        staff_user = tenant.department_staff
        staff_user.name = PAYLOAD
        staff_user.save()
        department = tenant.department
        department.name = PAYLOAD
        department.save()
        supplier = SupplierFactory(legal_name=f"{PAYLOAD} {BARE_URL}")
        owner = SupplierMembershipFactory(
            supplier=supplier, user=UserFactory(name=PAYLOAD)
        ).user
        connection = ConnectionFactory(supplier=supplier, department=department)
        with django_capture_on_commit_callbacks(execute=True):
            returned = make_invoice(
                connection=connection, actor=owner, number=SHORT, subject=PAYLOAD
            )
            reminded = make_invoice(
                connection=connection, actor=owner, number=f"R{SHORT[1:]}"
            )
            invoice_remind(invoice=reminded, actor=owner)
            invoice_return(
                invoice=returned,
                actor=staff_user,
                reason=ReturnReason.OTHER,
                explanation=f"{PAYLOAD}\n{BARE_URL}",
                severity=ReturnSeverity.SERIOUS,
            )
            invoice_approve(
                invoice=reminded,
                actor=staff_user,
                inspection_date=timezone.localdate(),
            )
    templates = {n.key.split(":")[2] for n in EmailNotification.objects.all()}
    assert {"issued", "opened", "reminder", "returned", "approved"} <= templates
    for message in mail.outbox:
        assert_mail_safe(message)
    returned_mail = next(m for m in mail.outbox if "差戻し" in m.subject)
    assert f"{PAYLOAD}\n{BARE_URL}" in returned_mail.body


def test_a_bank_account_change_mail_carries_no_markup(
    tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        supplier = SupplierFactory(legal_name=PAYLOAD)
        owner = SupplierMembershipFactory(
            supplier=supplier, user=UserFactory(name=PAYLOAD)
        ).user
        with django_capture_on_commit_callbacks(execute=True):
            bank_account_create(
                supplier=supplier,
                actor=owner,
                bank_code="0005",
                branch_code="001",
                account_type="1",
                account_number="1234567",
                holder_input="カ）テストシヨウジ",
            )
    (message,) = mail.outbox
    assert_mail_safe(message)
    assert PAYLOAD in message.subject


def test_allauth_password_reset_mail_is_safe(
    client, tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        user = StaffMembershipFactory(
            municipality=tenant.municipality, user=UserFactory(name=PAYLOAD)
        ).user
        # The factory gives the account its verified address, the only kind
        # a reset mail goes to.
        assert EmailAddress.objects.filter(user=user, verified=True).exists()
    for address in (user.email, "nobody@example.jp"):  # known and unknown
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_reset_password"), {"email": address}
            )
        assert response.status_code == 302
    assert mail.outbox
    assert mail.outbox[0].to == [user.email]
    for message in mail.outbox:
        assert_mail_safe(message)


# Headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "悪い商事\r\nBcc: thief@example.invalid",
        "悪い商事\nBcc: thief@example.invalid",
        "悪い商事\u2028Bcc: thief@example.invalid",
        "悪い商事\x85Bcc: thief@example.invalid",
    ],
)
def test_a_line_break_in_a_name_cannot_add_a_header(
    name, tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        supplier = SupplierFactory(legal_name=name)
        owner = SupplierMembershipFactory(supplier=supplier).user
        connection = ConnectionFactory(supplier=supplier, department=tenant.department)
        with django_capture_on_commit_callbacks(execute=True):
            make_invoice(connection=connection, actor=owner)
    (message,) = mail.outbox
    assert_mail_safe(message)
    assert "悪い商事 Bcc: thief@example.invalid" in message.subject
    assert message.recipients() == [tenant.department_staff.email]


def test_a_stored_subject_is_one_line_and_fits_the_column(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(
            to=["to@example.jp"],
            subject="件名\r\nBcc: thief@example.invalid " + "長" * 400,
            body="本文",
        )
    (message,) = mail.outbox
    assert message.subject.startswith("件名 Bcc: thief@example.invalid 長")
    assert len(message.subject) == 300
    assert message.recipients() == ["to@example.jp"]


def test_full_width_spaces_in_names_stay(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email_send_template(
            template="invitation_request_declined",
            to=["to@example.jp"],
            context={
                "request": {"contact_name": "鹿屋　一郎", "decline_reason": "理由"},
                "municipality": {"name": "鹿屋　市"},
            },
        )
    (message,) = mail.outbox
    assert message.subject == "[請求書ポータル] 鹿屋　市への招待の申請について"
