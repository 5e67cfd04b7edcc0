"""Every page of every role under the Content-Security-Policy, in Chromium.

Each role's pages are found by following every link from its start pages
(one page per URL pattern: ``/supplier/invoices/12/`` stands for every
invoice); the Django admin's are its index and every model's list and
add pages. A page fails the test when the browser reports a policy
violation (an inline script or style, anything from elsewhere) or a script
error. The pages' own scripts, moved to static files, are exercised under
the policy: the invoice form's lines and totals, the bank-name lookup and
the CSV import's progress polling.
"""

import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Error as PlaywrightError, Page, expect

from invoices.attachments import attachment_add, attachment_check
from invoices.models import InvoiceImport, ReturnReason, ReturnSeverity
from invoices.services.decisions import invoice_return
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from partners.models import InvitationRequest
from partners.services.invitations import invitation_create
from tests.browser.helpers import login
from tests.factories import PASSWORD, UserFactory, make_invoice, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
)
from tests.test_security_headers import _jpeg, _png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before its own scripts.
LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "page"}:${event.lineNumber})`
  );
});
"""


class PolicyWatch:
    """Collects, for the pages a test visits, every policy violation the
    browser reports (the event, and the console's own error lines) and every
    uncaught script error."""

    def __init__(self, page: Page):
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(LISTENER)
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    def _page_error(self, error) -> None:
        self.problems.append(f"{self.page.url}: script error: {error}")

    def collect(self) -> None:
        """Take the violations of the page on screen (call before leaving it)."""
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{self.page.url}: {violation}")

    def assert_clean(self) -> None:
        problems = list(dict.fromkeys(self.problems))
        assert not problems, "\n".join(problems)


@pytest.fixture
def watch(page: Page) -> PolicyWatch:
    return PolicyWatch(page)


# Pages visited per URL pattern: enough to see objects in different states
# (a draft and an issued invoice, an open and a paid batch), few enough to
# keep the crawl short.
PER_PATTERN = 8


def _pattern(path: str) -> str:
    """The URL pattern of a path: numbers and the query string do not count."""
    return re.sub(r"/\d+(?=/|$)", "/<n>", urlsplit(path).path)


def visit(page: Page, watch: PolicyWatch, live_server, path: str) -> bool:
    """Open ``path``; False when it is a download rather than a page."""
    try:
        page.goto(f"{live_server.url}{path}")
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return False
        raise
    page.wait_for_load_state("load")
    watch.collect()
    return True


def crawl(page, watch, live_server, *start: str, avoid=()) -> list[str]:
    """Visit ``start`` and every page linked from a visited page on this
    site (``PER_PATTERN`` at most per URL pattern, the query string aside),
    except paths starting with one of ``avoid``; return the paths visited."""
    queue, seen, per_pattern, visited = list(start), set(), Counter(), []
    while queue:
        path = queue.pop(0)
        plain = urlsplit(path).path
        if (
            plain in seen
            or per_pattern[_pattern(path)] >= PER_PATTERN
            or path.startswith(tuple(avoid))
        ):
            continue
        seen.add(plain)
        per_pattern[_pattern(path)] += 1
        if not visit(page, watch, live_server, path):
            continue
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
            url = urlsplit(href)
            if f"{url.scheme}://{url.netloc}" == live_server.url:
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return visited


@pytest.fixture
def world(tenant, supplier_user):
    """Something on every page: invoices in each state (a draft, one
    unopened, one returned, two paid with a payment notice), an attachment,
    a bank account, a seal image, an invitation request and an invitation."""
    with scopes_disabled():
        supplier = supplier_user.supplier_membership.supplier
        connection = supplier.connections.get()
        make_settings(tenant.municipality)
        make_bank_account(supplier)
        supplier.seal_image.save("seal.jpg", ContentFile(_jpeg()))
        draft = make_invoice(connection=connection, actor=supplier_user, issue=False)
        attachment_add(
            invoice=draft,
            checked=attachment_check(
                SimpleUploadedFile("見積書.png", _png(), "image/png")
            ),
        )
        make_invoice(connection=connection, actor=supplier_user)
        invoice_return(
            invoice=make_invoice(connection=connection, actor=supplier_user),
            actor=tenant.department_staff,
            reason=ReturnReason.AMOUNT,
            explanation="数量が違います。",
            severity=ReturnSeverity.MINOR,
        )
        paid = [make_approved(tenant, supplier_user, connection) for _ in range(2)]
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in paid], actor=tenant.treasury
        )
        batch_export(batch=batch, actor=tenant.treasury)
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=tenant.treasury)
        # An open batch too, with an approved invoice still to pay.
        make_approved(tenant, supplier_user, connection)
        batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate(), days=7),
            actor=tenant.treasury,
        )
        request = InvitationRequest.objects.create(
            municipality=tenant.municipality,
            company_name="株式会社テスト商事",
            company_name_kana="テストショウジ",
            contact_name="山田 花子",
            email="request@example.jp",
            phone="099-000-0000",
        )
        request.departments.add(tenant.department)
        invitation_create(
            municipality=tenant.municipality,
            departments=[tenant.other_department],
            email="invited@example.jp",
            actor=tenant.city_admin,
        )
    return {"draft": draft}


# Every page of every role -----------------------------------------------------


def test_public_pages(page: Page, watch, live_server, tenant):
    visited = crawl(
        page,
        watch,
        live_server,
        "/accounts/login/",
        "/accounts/password/reset/",
        "/p/kanoya/request/",
        "/p/kanoya/request/done/",
        "/invitations/no-such-token/",
        "/no-such-page/",
    )
    watch.assert_clean()
    assert len(visited) >= 5, visited


@pytest.mark.parametrize(
    ("role", "start", "least"),
    [
        ("supplier", "/supplier/", 20),
        ("department", "/m/kanoya/inbox/", 5),
        ("treasury", "/m/kanoya/treasury/", 6),
        ("city_admin", "/m/kanoya/manage/", 6),
    ],
)
def test_every_page_of_a_role(
    page: Page, watch, live_server, tenant, supplier_user, world, role, start, least
):
    user = {
        "supplier": supplier_user,
        "department": tenant.department_staff,
        "treasury": tenant.treasury,
        "city_admin": tenant.city_admin,
    }[role]
    login(page, live_server, user.email, PASSWORD)
    visited = crawl(
        page,
        watch,
        live_server,
        start,
        "/accounts/notifications/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",  # the QR code is a data: image
        "/no-such-page/",
        avoid=["/admin/"],
    )
    watch.assert_clean()
    # The crawl really went round (a broken login would visit only a few).
    assert len(visited) >= least, visited
    if role == "supplier":
        assert "/supplier/invoices/<n>/print/" in {_pattern(p) for p in visited}


def test_the_django_admin(page: Page, watch, live_server, world):
    platform_admin = UserFactory(is_staff=True, is_superuser=True)
    login(page, live_server, platform_admin.email, PASSWORD)
    paths = ["/admin/", f"/admin/accounts/user/{platform_admin.pk}/change/"]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        paths.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_AdminRequest(platform_admin)):
            paths.append(reverse("admin:{}_{}_add".format(*info)))
    paths += [
        reverse("admin:municipality_department_import"),
        reverse("admin:municipality_department_export"),
    ]
    for path in paths:
        visit(page, watch, live_server, path)
        expect(page.locator("#site-name")).to_contain_text("請求書ポータル")
    # The export page's 「Select all」 box, wired without an inline handler.
    visit(page, watch, live_server, reverse("admin:municipality_department_export"))
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    expect(fields.first).to_be_checked()
    page.locator("#select-all-toggle").uncheck()
    expect(fields.first).not_to_be_checked()
    expect(fields.last).not_to_be_checked()
    watch.collect()
    watch.assert_clean()


def test_two_factor_pages_with_the_qr_code(
    page: Page, watch, live_server, supplier_user
):
    """Turning on two-factor authentication: the QR code (a data: image)
    shows, and the pages after it (recovery codes) keep to the policy."""
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        watch.collect()
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('form button[type="submit"]').last.click()
        page.wait_for_url("**/accounts/2fa/totp/activate/")
    qr = page.locator('img[src^="data:"]')
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    watch.collect()
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.locator('input[name="code"]').fill(code)
    page.locator('form button[type="submit"]').last.click()
    page.wait_for_load_state("load")
    watch.collect()
    for path in ("/accounts/2fa/", "/accounts/2fa/recovery-codes/"):
        visit(page, watch, live_server, path)
    assert Authenticator.objects.filter(
        user=supplier_user, type=Authenticator.Type.TOTP
    ).exists()
    watch.assert_clean()


class _AdminRequest:
    """What ``ModelAdmin.has_add_permission`` reads from a request."""

    def __init__(self, user):
        self.user = user


# The pages' scripts still work under the policy -------------------------------


def test_invoice_form_lines_and_totals_work(
    page: Page, watch, live_server, supplier_user, world
):
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/new/")
    rows = page.locator("tr[data-line]:visible")
    before = rows.count()
    page.get_by_role("button", name="行を追加").click()
    expect(rows).to_have_count(before + 1)

    page.get_by_label("1行目の品名・内容").fill("コピー用紙")
    page.get_by_label("1行目の数量").fill("2")
    page.get_by_label("1行目の単価").fill("1000")
    expect(page.locator("[data-total]")).to_have_text("2,200円")
    page.get_by_label("2行目の品名・内容").fill("お茶")
    page.get_by_label("2行目の数量").fill("1")
    page.get_by_label("2行目の単価").fill("500")
    expect(page.locator("[data-total]")).to_have_text("2,750円")
    rows.nth(1).get_by_role("button", name="削除").click()
    expect(rows).to_have_count(before)
    expect(page.locator("[data-total]")).to_have_text("2,200円")
    watch.collect()
    watch.assert_clean()


def test_bank_name_lookup_works(page: Page, watch, live_server, supplier_user, world):
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/bank-accounts/add/")
    page.get_by_label("金融機関コード").fill("0005")
    expect(page.locator("[data-bank-name]")).to_contain_text("三菱")
    watch.collect()
    watch.assert_clean()


def test_import_progress_polling_works(page: Page, watch, live_server, supplier_user):
    login(page, live_server, supplier_user.email, PASSWORD)
    upload = InvoiceImport.objects.create(
        supplier=supplier_user.supplier_membership.supplier,
        created_by=supplier_user,
        file="imports/long.csv",
        filename="long.csv",
        sha256="0" * 64,
        size=1,
        progress_total=3000,
    )
    page.goto(f"{live_server.url}/supplier/invoices/import/{upload.pk}/")
    expect(page.get_by_role("status")).to_have_text("3,000行中 0行")
    InvoiceImport.objects.filter(pk=upload.pk).update(progress_done=1000)
    expect(page.get_by_role("status")).to_have_text("3,000行中 1,000行")
    expect(page.locator("progress")).to_have_attribute("value", "1000")
    watch.collect()
    watch.assert_clean()


def test_a_violation_is_caught(page: Page, watch, live_server):
    """The watch itself: an inline script on a page of ours is reported."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    watch.collect()
    assert page.evaluate("window.ran") is None
    assert any("script-src" in problem for problem in watch.problems), watch.problems
