"""The tenancy matrix: every URL the resolver knows, for every role, with
objects of its own and of others (other municipality, other department,
other supplier, clerk instead of owner, anonymous), downloads included.

A role may open what its memberships grant; anything else answers 404
(DESIGN.md: "Anything else answers 404, never 403 and never data"), or a
redirect to the login page for anonymous visitors of the city and supplier
areas. A refused request, GET or POST, changes nothing: every row of our
apps and the mail sent are compared before and after. A granted request
must reach the page (so that a wrong URL cannot make a refusal pass).

The matrix cannot fall behind: ``test_every_url_is_in_the_matrix`` walks
the URL resolver and fails for every URL name that has no entry below, and
for every entry whose URL no longer exists. The Django admin (``admin:``)
is tested apart: only platform staff get past its login.

How to add a URL
----------------
Add one line to ``MATRIX`` with the URL name as key:

- a city page (``/m/<municipality_slug>/...``)::

      "city:audit_log": city(roles={CITY_ADMIN}),
      "city:thing": city("thing", roles=STAFF, data={"reason": "x"}),

  ``roles`` are the staff roles the page is for; the page is tried in both
  municipalities' URLs (and, when it names no object, at an unknown slug).
- a supplier page (``/supplier/...``)::

      "supplier:thing_pdf": supplier("thing"),  # owners and clerks
      "supplier:thing_edit": supplier("thing", roles={OWNER}),

- a public page of a municipality: ``public()``; a link with a token:
  ``token(family, closed="unknown_token")``;
- a page that names no object of ours (allauth, the user's own account):
  ``no_object("why")``.

The strings are object families of the world in ``tests/tenancy/world.py``
(``invoice``, ``draft``, ``attachment``, ``batch``, ``payment_notice``,
``import``, ``member``, ``bank_account``, ``seal``, ``department``,
``payable``, ``invitation``, ``city_zip``, ``supplier_zip`` …): each has objects of
both suppliers and/or both municipalities, named by the URL's parameters
(``pk``, ``code``, ``name``, ``token``…). An object made for one user (a
ZIP export) names its ``requester`` role: nobody else may open it. A new
kind of object needs a family: add a few lines to ``_build_world`` that
create one per supplier or municipality with
``add(family, label, kwargs, s=..., code=..., city_slug=..., requester=...)``.
Objects of ``closed=`` families are tried too and nobody may open them (a
draft on the city side, an attachment of another invoice). ``data`` is the POST body
(make it valid, so that a missing check would act); ``query`` a query string
the page needs; ``lists=INVOICES`` for a page or export that lists invoices
(it must show the role's own issued invoices and no invoice it may not see).

Refusals are expected as 404 for every logged-in role (a supplier clerk on
an owner-only page too: ``SupplierOwnerRequiredMixin`` answers 404), and as
a redirect to the login page for anonymous visitors of the city and supplier
areas; public pages and links answer 404 for an unknown slug or token.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.tenancy.entries import (
    API,
    CITY,
    SUPPLIER,
    TOKEN,
    api,
    area_refuses,
    city,
    listing_problems,
    no_object,
    public,
    supplier,
    targets,
    token,
)
from tests.tenancy.fingerprint import changed, fingerprint
from tests.tenancy.resolver import url_patterns
from tests.tenancy.roles import (
    ANONYMOUS,
    CITY_ADMIN,
    DEPARTMENT,
    OWNER,
    ROLES,
    STAFF,
    TREASURY,
)
from tests.tenancy.world import build_world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()
# The confirmation step's field: a POST without it only asks, so the
# matrix sends it, and a missing check would act.
CONFIRMED = {"confirmed": "1"}
# A period of payment dates around today (remittance data downloads).
PERIOD = (
    f"date_from={timezone.localdate() - timedelta(days=30):%Y-%m-%d}"
    f"&date_to={timezone.localdate() + timedelta(days=30):%Y-%m-%d}"
)
RETURN = {
    "reason": "amount",
    "explanation": "金額が違います。",
    "severity": "minor",
    **CONFIRMED,
}
# Pages that list invoices must show the role's own and no others.
INVOICES = ("invoice", "draft")
# An invoice for the API that names no department: reaching the operation
# (422) is what the matrix checks; creation is tested in tests/api.
API_INVOICE = {"number": "TM-API"}
CSV = "format=csv-utf8"
INVOICE_ATTACHMENTS = {"closed": ("draft_attachment", "attachment_mismatch")}
SUPPLIER_ATTACHMENTS = {"closed": "attachment_mismatch"}
RENAME = {"name": "改名した課"}
INBOUND_REJECT = {"action": "reject", "reason": "宛先の誤り", "response_action": "NIN"}
# Pages that list orders must show no order the role may not see.
ORDERS = ("order", "order_draft")
INSPECT = {"result": "accepted", "inspected_on": TODAY, **CONFIRMED}
BUDGET_CODE = {
    "fiscal_year": "2026",
    "account": "一般会計",
    "kan": "03",
    "kan_name": "民生費",
    "kou": "01",
    "kou_name": "社会福祉費",
    "moku": "01",
    "moku_name": "社会福祉総務費",
    "setsu": "10",
    "setsu_name": "需用費",
    "is_active": "on",
}

MATRIX = {
    # Accounts: the user's own pages, and allauth's (no object of ours).
    "home": no_object("sends the user to the home of their own role"),
    "switch_role": no_object("among the user's own roles (tested in test_roles)"),
    "notification_settings": no_object("the user's own settings"),
    "account_language": no_object("the user's own language"),
    "set_language": no_object("Django's language cookie of the visitor"),
    "healthz": no_object("load balancers' liveness check (tests/test_health.py)"),
    "readyz": no_object("load balancers' readiness check (tests/test_health.py)"),
    "account_login": no_object("allauth"),
    "account_logout": no_object("allauth"),
    "account_inactive": no_object("allauth"),
    "account_signup": no_object("allauth (closed: invitation only)"),
    "account_reauthenticate": no_object("allauth"),
    "account_email": no_object("the user's own address (read-only page)"),
    "two_factor_required": no_object("the user's own second factor"),
    "account_email_verification_sent": no_object("allauth"),
    "account_change_password": no_object("allauth, the user's own password"),
    "account_set_password": no_object("allauth, the user's own password"),
    "account_reset_password": no_object("allauth"),
    "account_confirm_login_code": no_object("allauth"),
    "account_confirm_email": no_object("allauth key from an email"),
    "account_reset_password_from_key_done": no_object("allauth"),
    "account_reset_password_from_key": no_object("allauth key from an email"),
    "account_reset_password_done": no_object("allauth"),
    "mfa_index": no_object("allauth, the user's own second factor"),
    "mfa_authenticate": no_object("allauth"),
    "mfa_reauthenticate": no_object("allauth"),
    "mfa_activate_totp": no_object("allauth, the user's own second factor"),
    "mfa_deactivate_totp": no_object("allauth, the user's own second factor"),
    "mfa_view_recovery_codes": no_object("allauth, the user's own codes"),
    "mfa_generate_recovery_codes": no_object("allauth, the user's own codes"),
    "mfa_download_recovery_codes": no_object("allauth, the user's own codes"),
    # City: department inbox, invoices, search and exports.
    "city:inbox": city(roles=STAFF, lists=INVOICES),
    "city:department": city("department", roles={DEPARTMENT, CITY_ADMIN}),
    "city:invoice_search": city(roles=STAFF),
    "city:invoice_export": city(roles=STAFF, query=CSV, lists=INVOICES),
    "city:invoice_export_upload_format": city(roles=STAFF, query=CSV, lists=INVOICES),
    "city:invoice": city("invoice", roles=STAFF, closed="draft"),
    # A ZIP export: only the staff member who asked for it opens it.
    "city:invoice_zip": city("city_zip", roles=STAFF),
    "city:invoice_zip_status": city("city_zip", roles=STAFF),
    "city:invoice_zip_download": city("city_zip", roles=STAFF),
    "city:invoice_print": city("invoice", roles=STAFF, closed="draft"),
    "city:invoice_pdf": city("invoice", roles=STAFF, closed="draft"),
    "city:invoice_xml": city("invoice", roles=STAFF, closed="draft"),
    "city:invoice_attachment": city("attachment", roles=STAFF, **INVOICE_ATTACHMENTS),
    # Only the department's own staff act; treasury and city admins read.
    "city:invoice_return": city(
        "invoice", roles={DEPARTMENT}, closed="draft", data=RETURN
    ),
    "city:invoice_approve": city(
        "invoice",
        roles={DEPARTMENT},
        closed="draft",
        data={"inspection_date": TODAY, **CONFIRMED},
    ),
    # The ticked invoices are in the body: foreign ones answer 404 too
    # (tests/invoices/test_bulk.py).
    "city:invoice_bulk_approve": city(
        roles={DEPARTMENT}, data={"inspection_date": TODAY, **CONFIRMED}
    ),
    # City: treasury.
    "city:treasury": city(roles={TREASURY}),
    "city:payables": city(roles={TREASURY}),
    "city:invoice_payee": city(
        "payable",
        "invoice",
        roles={TREASURY},
        closed="draft",
        data={"reason": "電話で口座の変更を確認した。"},
    ),
    # An empty choice (no code) is valid: a missing check would write it.
    "city:invoice_budget_code": city(
        "payable", "invoice", roles={TREASURY}, closed="draft", data={"budget_code": ""}
    ),
    "city:batches": city(roles={TREASURY}, data={"payment_date": TODAY}),
    "city:batch": city("batch", roles={TREASURY}),
    "city:batch_remove": city("batch", roles={TREASURY}),
    "city:batch_approve": city("batch", roles={TREASURY}),
    "city:batch_export": city("batch", roles={TREASURY}),
    "city:batch_paid": city("batch", roles={TREASURY}, data=CONFIRMED),
    "city:batch_cancel": city(
        "batch", roles={TREASURY}, data={"reason": "誤り", **CONFIRMED}
    ),
    "city:batch_zengin": city("batch", roles={TREASURY}),
    "city:batch_accounting_csv": city("batch", roles={TREASURY}),
    "city:batch_remittance_export": city(
        "batch", roles={TREASURY}, query="format=csv-utf8"
    ),
    "city:remittance_export": city(roles={TREASURY}, query=PERIOD),
    "city:withholding_statement": city(roles={TREASURY}, query="year=2026"),
    "city:withholding_statement_csv": city(roles={TREASURY}, query="year=2026"),
    # City: administration.
    "city:manage": city(roles={CITY_ADMIN}),
    "city:audit_log": city(roles={CITY_ADMIN}),
    "city:treasury_settings": city(roles={CITY_ADMIN}),
    "city:peppol_settings": city(
        roles={CITY_ADMIN},
        data={"participant_id": "0188:4000020462039", "kind": "loopback"},
    ),
    "city:invitation_requests": city(roles={CITY_ADMIN}),
    "city:invitation_request": city(
        "invitation_request", roles={CITY_ADMIN}, data={"action": "approve"}
    ),
    "city:invitations": city(roles={CITY_ADMIN}),
    "city:invitation_create": city(roles={CITY_ADMIN}),
    "city:invitation_resend": city("invitation", roles={CITY_ADMIN}),
    "city:invitation_revoke": city("invitation", roles={CITY_ADMIN}),
    "city:staff": city(roles={CITY_ADMIN}),
    "city:staff_invite": city(
        roles={CITY_ADMIN}, data={"email": "joining@example.jp", "role": "treasury"}
    ),
    "city:staff_edit": city("staff", roles={CITY_ADMIN}, data={"roles": "treasury"}),
    "city:staff_deactivate": city("staff", roles={CITY_ADMIN}),
    "city:staff_invitation_resend": city("staff_invitation", roles={CITY_ADMIN}),
    "city:staff_invitation_revoke": city("staff_invitation", roles={CITY_ADMIN}),
    "city:departments": city(roles={CITY_ADMIN}),
    "city:department_create": city(
        roles={CITY_ADMIN}, data={"code": "NEW-1", "name": "新設課"}
    ),
    "city:department_edit": city("department", roles={CITY_ADMIN}, data=RENAME),
    "city:department_deactivate": city(
        "department", roles={CITY_ADMIN}, data={"confirm_open_invoices": "on"}
    ),
    "city:department_activate": city("department", roles={CITY_ADMIN}),
    "city:department_export": city(roles={CITY_ADMIN}),
    "city:department_import": city(roles={CITY_ADMIN}),
    # City: received JP PINT documents (宛先不明 queue, originals).
    "city:inbound_documents": city(roles={CITY_ADMIN}),
    "city:inbound_document": city(
        "inbound_document", roles={CITY_ADMIN}, data=INBOUND_REJECT
    ),
    "city:inbound_document_xml": city("inbound_document", roles={CITY_ADMIN}),
    "city:invoice_original_xml": city("invoice", roles=STAFF, closed="draft"),
    # City: budget codes, orders, deliveries and inspections (procurement).
    "city:budget_codes": city(roles=STAFF),
    "city:budget_code_new": city(roles={CITY_ADMIN}, data=BUDGET_CODE),
    "city:budget_code_edit": city("budget_code", roles={CITY_ADMIN}, data=BUDGET_CODE),
    "city:budget_code_import": city(roles={CITY_ADMIN}),
    "city:orders": city(roles=STAFF, lists=ORDERS),
    "city:order_new": city(roles={DEPARTMENT}),
    "city:order_import": city(roles={DEPARTMENT, CITY_ADMIN}),
    "city:order": city("order", "order_draft", roles=STAFF),
    "city:order_edit": city("order_draft", roles={DEPARTMENT}),
    "city:order_send": city("order_draft", roles={DEPARTMENT}, data=CONFIRMED),
    "city:order_cancel": city(
        "order", "order_draft", roles={DEPARTMENT}, data={"reason": "誤り", **CONFIRMED}
    ),
    "city:order_complete": city("order", roles={DEPARTMENT}, data=CONFIRMED),
    "city:order_answer": city("order", roles={DEPARTMENT}, data={"message": "回答"}),
    "city:inspections": city(roles=STAFF),
    "city:delivery": city("delivery", roles=STAFF),
    "city:delivery_inspect": city("delivery", roles={DEPARTMENT}, data=INSPECT),
    "city:delivery_pdf": city("delivery", roles=STAFF),
    # Supplier: home, profile, members (owners only), bank accounts.
    "supplier:home": supplier(),
    "supplier:profile": supplier(),
    "supplier:profile_edit": supplier(roles={OWNER}),
    "supplier:seal": supplier("seal"),
    "supplier:members": supplier(roles={OWNER}),
    "supplier:member_invite": supplier(roles={OWNER}),
    "supplier:member_role": supplier("member", roles={OWNER}, data={"role": "owner"}),
    "supplier:member_remove": supplier("member", roles={OWNER}),
    "supplier:member_invitation_resend": supplier("member_invitation", roles={OWNER}),
    "supplier:member_invitation_revoke": supplier("member_invitation", roles={OWNER}),
    "supplier:bank_accounts": supplier(),
    "supplier:bank_lookup": supplier(),
    "supplier:bank_account_add": supplier(roles={OWNER}),
    "supplier:bank_account_edit": supplier("bank_account", roles={OWNER}),
    "supplier:bank_account_delete": supplier("bank_account", roles={OWNER}),
    "supplier:bank_account_default": supplier("bank_account", roles={OWNER}),
    # Supplier: invoices, search, exports, attachments, uploads, notices.
    "supplier:orders": supplier(lists=ORDERS),
    "supplier:order": supplier("order", closed="order_draft"),
    "supplier:order_confirm": supplier("order", closed="order_draft", data=CONFIRMED),
    "supplier:order_question": supplier(
        "order", closed="order_draft", data={"message": "照会"}
    ),
    "supplier:delivery_new": supplier(
        "order", closed="order_draft", data={"number": "D-NEW", "delivered_on": TODAY}
    ),
    "supplier:order_invoice": supplier("order", closed="order_draft"),
    "supplier:delivery_import": supplier(),
    "supplier:delivery": supplier("delivery"),
    "supplier:delivery_pdf": supplier("delivery"),
    "supplier:invoices": supplier(lists=INVOICES),
    "supplier:invoice_new": supplier(),
    "supplier:invoice_search": supplier(),
    "supplier:invoice_export": supplier(query=CSV, lists=INVOICES),
    "supplier:invoice_export_upload_format": supplier(query=CSV, lists=INVOICES),
    # A ZIP export: only the member who asked for it opens it.
    "supplier:invoice_zip": supplier("supplier_zip"),
    "supplier:invoice_zip_status": supplier("supplier_zip"),
    "supplier:invoice_zip_download": supplier("supplier_zip"),
    # Nothing ticked: back to the list (tested with invoices in
    # tests/invoices/test_zip_exports.py).
    "supplier:invoice_pdf_zip": supplier(),
    "supplier:invoice": supplier("invoice", "draft"),
    "supplier:invoice_print": supplier("invoice", "draft"),
    "supplier:invoice_pdf": supplier("invoice", closed="draft"),
    "supplier:invoice_xml": supplier("invoice", closed="draft"),
    "supplier:invoice_edit": supplier("invoice", "draft"),
    "supplier:invoice_delete": supplier("invoice", "draft"),
    "supplier:invoice_copy": supplier("invoice", "draft"),
    "supplier:invoice_correct": supplier("invoice", "draft"),
    # A draft first: the browser tests visit its confirmation page.
    "supplier:invoice_issue": supplier("draft", "invoice", data=CONFIRMED),
    "supplier:invoice_bulk_issue": supplier(data=CONFIRMED),
    "supplier:invoice_withdraw": supplier("invoice", "draft", data=CONFIRMED),
    "supplier:invoice_remind": supplier("invoice", "draft"),
    "supplier:invoice_attachment": supplier(
        "attachment", "draft_attachment", **SUPPLIER_ATTACHMENTS
    ),
    "supplier:invoice_attachment_delete": supplier(
        "attachment", "draft_attachment", **SUPPLIER_ATTACHMENTS
    ),
    "supplier:invoice_import": supplier(),
    "supplier:invoice_import_template": supplier(),
    "supplier:invoice_import_help": supplier(),
    "supplier:invoice_import_detail": supplier("import"),
    "supplier:invoice_import_status": supplier("import"),
    "supplier:invoice_import_confirm": supplier("import"),
    "supplier:pint_upload": supplier(),
    "supplier:pint_upload_detail": supplier("pint_upload"),
    "supplier:pint_upload_confirm": supplier("pint_upload"),
    "supplier:invoice_original_xml": supplier("invoice", closed="draft"),
    "supplier:payment_notices": supplier(),
    "supplier:payment_notice": supplier("payment_notice"),
    "supplier:payment_notice_pdf": supplier("payment_notice"),
    "supplier:payment_notice_export": supplier("payment_notice", query="format=json"),
    "supplier:payment_notices_export": supplier(query=PERIOD),
    "supplier:reconciliations": supplier(),
    "supplier:reconciliation": supplier("reconciliation"),
    "supplier:reconciliation_credit": supplier(
        "reconciliation_credit",
        closed="credit_mismatch",
        data={"option": "none", **CONFIRMED},
    ),
    "supplier:reconciliation_csv": supplier("reconciliation"),
    # Public pages and emailed links.
    "public:invitation_request": public(),
    "public:invitation_request_done": public(),
    "invitations:accept": token("invitation_token", closed="unknown_token"),
    "invitations:member_accept": token(
        "member_invitation_token", closed="unknown_token"
    ),
    "staff_invitations:accept": token("staff_invitation_token", closed="unknown_token"),
    # The suppliers' REST API: a key of the owner's supplier, 401 without.
    "api:api-root": no_object("the API's index: names nothing"),
    "api:openapi-json": no_object("the API's schema: public, names nothing"),
    "api:openapi-view": no_object("the API's reference page: public"),
    "api:departments": api(),
    "api:bank_accounts": api(),
    "api:invoices": api(lists="api_invoice"),
    "api:invoice_create": api(method="post", data=API_INVOICE),
    "api:invoice": api("api_invoice"),
    "api:invoice_issue_endpoint": api("api_draft", method="post", data={}),
    "api:invoice_history": api("api_invoice"),
    "api:invoice_pdf": api("api_invoice"),
    "api:invoice_xml": api("api_invoice"),
    "api:payment_notices": api(),
    "api:payment_notice_remittance": api("api_payment_notice"),
    "api:csv_upload": api(method="post"),
    "api:csv_import": api("api_import"),
    "api:csv_confirm": api("api_import", method="post"),
    "api:jp_pint_upload": api(method="post"),
    "api:jp_pint_import": api("api_pint_upload"),
    "api:jp_pint_confirm": api("api_pint_upload", method="post"),
    # The supplier owners' pages for API keys, and the guide.
    "supplier:api_keys": supplier(
        roles={OWNER}, data={"name": "販売管理", "scope": "read", "lifetime": "30"}
    ),
    "supplier:api_key": supplier("api_key", roles={OWNER}),
    "supplier:api_key_revoke": supplier("api_key", roles={OWNER}),
    "supplier:api_guide": supplier(),
    "supplier:webhooks": supplier(
        roles={OWNER}, data={"url": "https://8.8.8.8/hook", "events": ["paid"]}
    ),
    "supplier:webhook": supplier("webhook", roles={OWNER}),
    "supplier:webhook_delete": supplier("webhook", roles={OWNER}),
    "supplier:webhook_ping": supplier("webhook", roles={OWNER}),
    "supplier:webhook_replay": supplier("webhook_delivery", roles={OWNER}),
}

PATTERNS = url_patterns()
TESTED = sorted(name for name, entry in MATRIX.items() if hasattr(entry, "side"))
LOGIN = reverse("account_login")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for this module in a transaction rolled back at
    its end; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world(tmp_path_factory.mktemp("tenancy-media"))
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path, request):
    # Overrides the conftest's: the world's files must stay readable.
    if "world" in request.fixturenames:
        settings.MEDIA_ROOT = request.getfixturevalue("world").media_root
    else:
        settings.MEDIA_ROOT = tmp_path / "media"


def test_every_url_is_in_the_matrix():
    known = {name for name in PATTERNS if not name.startswith("admin:")}
    missing = sorted(known - MATRIX.keys())
    gone = sorted(MATRIX.keys() - known)
    message = []
    if missing:
        message.append(
            "URLs with no entry in the tenancy matrix (add one to MATRIX in "
            "tests/test_tenancy.py):\n"
            + "\n".join(f"  {name}  ({PATTERNS[name].route})" for name in missing)
        )
    if gone:
        message.append(
            "Matrix entries for URLs that no longer exist (remove them):\n"
            + "\n".join(f"  {name}" for name in gone)
        )
    assert not message, "\n".join(message)


def _refused(response, role: str, side: str) -> bool:
    if side == API and ROLES[role].kind != OWNER:
        return response.status_code == 401  # no key: only owners make them
    if role == ANONYMOUS and side in (CITY, SUPPLIER):
        return response.status_code == 302 and response["Location"].startswith(LOGIN)
    return response.status_code == 404


def _reached(response, side: str = "") -> bool:
    if side == API and response.status_code in (409, 422):
        # The object was found (a refusal is 401 or 404): its state or the
        # body decided the rest, which tests/api checks.
        return True
    if response.status_code == 302:
        return not response["Location"].startswith(LOGIN)
    return response.status_code in (200, 201, 202)


class _Raised:
    """What ``_send`` returns when the view raised instead of answering."""

    def __init__(self, error: Exception):
        self.status_code = f"an exception ({error!r})"

    def get(self, key, default=None):
        return default


def _send(client, method: str, url: str, data: dict, api_key: str | None = None):
    headers = {}
    if api_key is not None:
        # The API: a key instead of a session, JSON, and an idempotency key.
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"} if api_key else {}
        if method == "post":
            headers["HTTP_IDEMPOTENCY_KEY"] = f"tenancy-{url}"
            data = {"content_type": "application/json", "data": data}
        else:
            data = {}
    try:
        if method == "post":
            body = data if api_key is not None else {"data": data}
            response = client.post(url, **body, **headers)
        else:
            response = client.get(url, **headers)
    except Exception as error:
        return _Raised(error)
    if response.streaming:
        # Read to the end: the test client then closes the file (closing it
        # directly would also close the database connection). Kept for the
        # listing checks (a streamed CSV export).
        response.streamed = b"".join(response.streaming_content)
    return response


def _tries(name, entry, world, pattern, role):
    """(method, target) pairs the role is refused, and targets it may open.

    Where the middleware refuses the whole area (another municipality,
    the supplier area for non-members) the object does not matter: one
    target per municipality and GET alone (or POST for POST-only views)
    are tried. Everything else is tried with every object and method."""
    refused, granted, seen = [], [], set()
    methods = [entry.method] if entry.method else sorted(pattern.methods)
    for target in targets(name, entry, world, pattern.params):
        if role in target.allowed:
            granted.append(target)
            if entry.side == TOKEN and "post" in methods:
                # A link is a key anyone may hold: a POST to it by anyone
                # but the invited person changes nothing either.
                refused.append(("post", target, False))
            continue
        if area_refuses(entry, ROLES[role], target.slug):
            if target.slug in seen:
                continue
            seen.add(target.slug)
            refused.extend((m, target, True) for m in methods[:1])
        else:
            refused.extend((m, target, True) for m in methods)
    return refused, granted


def _check_role(client, world, name, role, baseline, opened) -> list[str]:
    entry, pattern = MATRIX[name], PATTERNS[name]
    client.logout()
    api_key = None
    if entry.side == API:
        api_key = world.api_keys.get(role, "")
    elif role in world.users:
        client.force_login(world.users[role])
    refused, granted = _tries(name, entry, world, pattern, role)
    problems = []
    for method, target, must_refuse in refused:
        response = _send(client, method, target.url, entry.data, api_key)
        if must_refuse and not _refused(response, role, entry.side):
            problems.append(
                f"{role}: {method.upper()} {target.url} ({target.label}) answered "
                f"{response.status_code} {response.get('Location', '')}; "
                "expected 404 (anonymous: the login page)"
            )
    if changes := changed(baseline, fingerprint()):
        problems.append(f"{role}: refused requests changed {', '.join(changes)}")
    # What the role may open must open: proof that the URLs above are right.
    method = entry.method or ("get" if "get" in pattern.methods else "post")
    for target in granted:
        if target.url in opened and not entry.lists:
            continue  # another role proved this URL opens
        opened.add(target.url)
        response = _send(client, method, target.url, entry.data, api_key)
        if not _reached(response, entry.side):
            problems.append(
                f"{role}: {method.upper()} {target.url} ({target.label}) answered "
                f"{response.status_code} {response.get('Location', '')}; "
                "expected the page (granted)"
            )
        elif entry.lists:
            data = response.streamed if response.streaming else response.content
            content = data.decode("utf-8", errors="replace")
            problems += [
                f"{role}: {target.url} {problem}"
                for problem in listing_problems(
                    entry, role, target.slug, content, world
                )
            ]
    return problems


@pytest.mark.parametrize("name", TESTED)
def test_each_url_answers_only_the_roles_it_is_granted_to(client, world, name):
    if name not in PATTERNS:
        pytest.fail(f"{name} is in the matrix but not in the URLconf")
    problems, opened = [], set()
    baseline = fingerprint()
    for role in ROLES:
        # Each role starts from the same world: what a granted request
        # did (a draft deleted, an invoice opened) is rolled back.
        with transaction.atomic():
            problems += _check_role(client, world, name, role, baseline, opened)
            transaction.set_rollback(True)
        mail.outbox.clear()
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_matrix_tries_foreign_objects_for_every_role(world):
    """Guards the matrix itself: every URL that names an object is tried,
    for every role, with an object that role may not open, and with one
    some role may open."""
    for name in TESTED:
        entry = MATRIX[name]
        if not entry.families:
            continue
        tries = targets(name, entry, world, PATTERNS[name].params)
        assert any(t.allowed for t in tries), name
        for role in ROLES:
            assert any(role not in t.allowed for t in tries), (name, role)


# The Django admin: platform staff only ---------------------------------------


def _admin_urls() -> list[str]:
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    urls = []
    for name, pattern in PATTERNS.items():
        if not name.startswith("admin:") or "(unnamed)" in name:
            continue
        if name in ("admin:login", "admin:logout"):
            continue
        for label in labels:
            kwargs = {
                param: label if param == "app_label" else "1"
                for param in pattern.params
            }
            try:
                urls.append(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                continue
            break
        else:
            pytest.fail(f"cannot build a URL for {name} ({pattern.route})")
    return urls


@pytest.mark.parametrize("role", list(ROLES))
def test_the_admin_sends_everyone_but_platform_staff_to_its_login(client, world, role):
    if role in world.users:
        client.force_login(world.users[role])
    admin_login = reverse("admin:login")
    wrong = []
    for url in _admin_urls():
        response = client.get(url)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(admin_login):
            wrong.append(f"{url} answered {response.status_code} {location}")
    assert not wrong, "\n".join(wrong)


def test_no_role_of_the_matrix_is_platform_staff(world):
    assert not any(u.is_staff or u.is_superuser for u in world.users.values())
