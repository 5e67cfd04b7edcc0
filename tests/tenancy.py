"""The machinery of the tenancy matrix in ``tests/test_tenancy.py``: the
roles, the world of objects they own, the walk over the URL resolver and the
fingerprint that shows a refused request changed nothing. No tests here.

The world is two municipalities (鹿屋市 ``kanoya`` with departments A1 and
A2, 霧島市 ``kirishima`` with B1 and B2) and two suppliers: supplier a
(an owner and a clerk) works with A1 and A2, supplier b (an owner) with A1
and B1, so that "foreign" is tested inside one department, inside one
municipality and across municipalities.
"""

import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

# Role kinds: what a membership grants.
ANONYMOUS = "anonymous"
NO_ROLE = "no_role"  # logged in, but a member of nothing
OWNER = "owner"  # 取引先・管理者
CLERK = "clerk"  # 取引先・担当者
DEPARTMENT = "department"
TREASURY = "treasury"
CITY_ADMIN = "city_admin"

MEMBERS = frozenset({OWNER, CLERK})
STAFF = frozenset({DEPARTMENT, TREASURY, CITY_ADMIN})
EVERYONE = frozenset({ANONYMOUS, NO_ROLE, *MEMBERS, *STAFF})

KANOYA, KIRISHIMA = "kanoya", "kirishima"
# A slug no municipality has: city and public pages answer 404 there.
NOWHERE = "nowhere"

# The apps whose rows the fingerprint compares.
OUR_APPS = (
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "api",
    "procurement",
)


@dataclass(frozen=True)
class Role:
    kind: str
    city: str = ""
    supplier: str = ""
    department: str = ""


ROLES = {
    "anonymous": Role(ANONYMOUS),
    "no_role": Role(NO_ROLE),
    "supplier_a_owner": Role(OWNER, supplier="a"),
    "supplier_a_clerk": Role(CLERK, supplier="a"),
    "supplier_b_owner": Role(OWNER, supplier="b"),
    "kanoya_a1_staff": Role(DEPARTMENT, city=KANOYA, department="A1"),
    "kanoya_a2_staff": Role(DEPARTMENT, city=KANOYA, department="A2"),
    "kanoya_treasury": Role(TREASURY, city=KANOYA),
    "kanoya_city_admin": Role(CITY_ADMIN, city=KANOYA),
    "kirishima_b1_staff": Role(DEPARTMENT, city=KIRISHIMA, department="B1"),
    "kirishima_b2_staff": Role(DEPARTMENT, city=KIRISHIMA, department="B2"),
    "kirishima_treasury": Role(TREASURY, city=KIRISHIMA),
    "kirishima_city_admin": Role(CITY_ADMIN, city=KIRISHIMA),
}


@dataclass(frozen=True)
class Obj:
    """One object of the world as a URL names it (``kwargs``), and whose it
    is: its municipality, department and supplier."""

    label: str
    kwargs: dict
    city: str = ""
    department: str = ""
    supplier: str = ""
    marker: str = ""  # text a page listing it shows (an invoice number)
    # A role name: only this role may open it, where its memberships let it
    # (a ZIP export belongs to the user who asked for it).
    requester: str = ""


# Entries --------------------------------------------------------------------

CITY, SUPPLIER, PUBLIC, TOKEN = "city", "supplier", "public", "token"
API = "api"


@dataclass(frozen=True)
class Entry:
    """How to test one URL name.

    ``families`` are the world's object families whose objects go into the
    URL (none: the URL names no object). ``roles`` are the role kinds the
    page is granted to, for the objects their memberships cover. Objects of
    the ``closed`` families go into the URL too, and nobody may open them
    (e.g. a draft on the city side). ``data`` is the POST body for views
    that take POST; ``query`` a query string the page needs.
    """

    side: str
    families: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset()
    closed: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)
    query: str = ""
    lists: tuple[str, ...] = ()
    method: str = ""  # the API's: the one method the operation takes


@dataclass(frozen=True)
class NoObject:
    """A URL the matrix knows and deliberately does not test: it names no
    object of ours (allauth's pages, the user's own account pages)."""

    reason: str


def _families(families) -> tuple[str, ...]:
    return (families,) if isinstance(families, str) else tuple(families)


def city(*families, roles, closed=(), data=None, query="", lists=()):
    """A page under ``/m/<municipality_slug>/``: tried with every object in
    both municipalities' URLs (and, without objects, an unknown slug).
    ``lists``: families whose objects the page lists; a granted page must
    show the role's own issued invoices and nothing it may not see."""
    return Entry(
        CITY,
        families,
        frozenset(roles),
        _families(closed),
        data or {},
        query,
        _families(lists),
    )


def supplier(*families, roles=MEMBERS, closed=(), data=None, query="", lists=()):
    """A page under ``/supplier/``; ``roles`` is ``{OWNER}`` for owner-only
    pages."""
    return Entry(
        SUPPLIER,
        families,
        frozenset(roles),
        _families(closed),
        data or {},
        query,
        _families(lists),
    )


def api(*families, method="get", data=None, lists=()):
    """An operation of the suppliers' REST API (``/api/v1/``), called with
    a key of the role's supplier (owners make keys; a key acts as its
    owner). Without a key the API answers 401; another supplier's object
    answers 404."""
    return Entry(
        API,
        families,
        frozenset({OWNER}),
        (),
        data or {},
        "",
        _families(lists),
        method,
    )


def public(data=None):
    """A public page of a municipality (anyone; 404 for an unknown slug)."""
    return Entry(PUBLIC, (), EVERYONE, (), data or {})


def token(family, *, closed):
    """A link from an email: the token is the only key. Anyone holding it
    opens the page; an unknown token answers 404; and nobody but the
    invited person changes anything by POSTing to it."""
    return Entry(TOKEN, (family,), EVERYONE, _families(closed))


def no_object(reason: str) -> NoObject:
    return NoObject(reason)


@dataclass(frozen=True)
class Target:
    url: str
    label: str
    slug: str
    allowed: frozenset[str]  # role names that may open it


def _city_may(role: Role, obj: Obj | None, slug: str) -> bool:
    if role.city != slug:
        return False
    if obj is None:
        return True
    if obj.city != slug:
        return False
    return (
        role.kind != DEPARTMENT
        or not obj.department
        or (obj.department == role.department)
    )


def area_refuses(entry: Entry, role: Role, slug: str) -> bool:
    """Whether the tenancy middleware refuses ``role`` the whole URL, before
    any object is looked up (another municipality's area, the supplier area
    for non-members)."""
    if entry.side == CITY:
        return role.city != slug
    if entry.side == SUPPLIER:
        return role.kind not in MEMBERS
    if entry.side == API:
        return role.kind != OWNER
    return False


def listing_problems(entry, role_name, slug, content: str, world) -> list[str]:
    """What a granted page that lists ``entry.lists`` shows wrongly: an
    object the role may not see, or one of its own issued ones missing."""
    role = ROLES[role_name]
    problems = []
    for family in entry.lists:
        for obj in world.objects[family]:
            visible = _may(entry, role, obj, slug)
            if not visible and obj.marker in content:
                problems.append(f"shows {obj.label} ({obj.marker})")
            own_invoice = family in ("invoice", "api_invoice")
            if visible and own_invoice and obj.marker not in content:
                problems.append(f"does not show its own {obj.label} ({obj.marker})")
    return problems


def _may(entry: Entry, role: Role, obj: Obj | None, slug: str) -> bool:
    if role.kind not in entry.roles:
        return False
    if obj is not None and obj.requester and ROLES[obj.requester] != role:
        return False
    if entry.side in (PUBLIC, TOKEN):
        return True
    if entry.side == API:
        return obj is None or obj.supplier == role.supplier
    if entry.side == CITY:
        return _city_may(role, obj, slug)
    return obj is None or obj.supplier == role.supplier


def targets(name: str, entry: Entry, world: "World", params: frozenset[str]):
    """Every URL of ``name`` the matrix tries, with who may open each."""
    slugs = [""]
    if "municipality_slug" in params:
        slugs = [KANOYA, KIRISHIMA] + ([] if entry.families else [NOWHERE])
    objects = [(obj, True) for f in entry.families for obj in world.objects[f]]
    objects += [(obj, False) for f in entry.closed for obj in world.objects[f]]
    if not objects:
        objects = [(None, True)]
    result = []
    for slug in slugs:
        for obj, open_ in objects:
            kwargs = dict(obj.kwargs) if obj else {}
            if slug:
                kwargs["municipality_slug"] = slug
            if set(kwargs) != params:
                raise AssertionError(
                    f"{name} takes {sorted(params)} but its matrix entry gives "
                    f"{sorted(kwargs)}: fix the entry's families."
                )
            url = reverse(name, kwargs=kwargs)
            if entry.query:
                url = f"{url}?{entry.query}"
            allowed = frozenset(
                role_name
                for role_name, role in ROLES.items()
                if open_
                and slug != NOWHERE
                and (obj is not None or entry.side != TOKEN)
                and _may(entry, role, obj, slug)
            )
            label = f"{obj.label if obj else '-'} @ {slug or '-'}"
            result.append(Target(url, label, slug, allowed))
    return result


# The resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    params: frozenset[str]
    methods: frozenset[str]  # of "get" and "post"


def _params(pattern) -> set[str]:
    # Route and regex patterns alike compile to a regex with named groups.
    return set(pattern.regex.groupindex)


def _methods(callback) -> frozenset[str]:
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        # A function view: assume it answers both, like most do.
        return frozenset({"get", "post"})
    return frozenset(
        m
        for m in ("get", "post")
        if m in view_class.http_method_names and hasattr(view_class, m)
    )


def url_patterns(resolver=None, prefix="", namespace="", params=frozenset()):
    """Every URL pattern the resolver knows, by name (``namespace:name``;
    an unnamed pattern under its route), with the parameters it takes."""
    resolver = resolver or get_resolver()
    found = {}
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        item_params = params | _params(item.pattern)
        if isinstance(item, URLResolver):
            ns = namespace
            if item.namespace:
                ns = f"{namespace}{item.namespace}:"
            found |= url_patterns(item, route, ns, item_params)
        elif isinstance(item, URLPattern):
            name = f"{namespace}{item.name or f'(unnamed) {route}'}"
            found.setdefault(
                name, Pattern(route, frozenset(item_params), _methods(item.callback))
            )
    return found


# The world ------------------------------------------------------------------


@dataclass
class World:
    users: dict  # role name → User (no entry for anonymous)
    objects: dict[str, list[Obj]]
    media_root: str
    api_keys: dict  # role name → the text of an API key (owners)


def _image(image_format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format=image_format)
    return out.getvalue()


def _inbound_document(*, municipality, number, supplier=None, invoice=None):
    """A received JP PINT document: imported as ``invoice``, or waiting in
    the municipality's 宛先不明 queue."""
    import hashlib

    from peppol.models import InboundDocument, InboundStatus

    content = f"<Invoice>{number}</Invoice>".encode()
    document = InboundDocument(
        municipality=municipality,
        supplier=supplier,
        source="upload",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        filename=f"{number}.xml",
        document_number=number,
        status=InboundStatus.IMPORTED if invoice else InboundStatus.UNKNOWN_ADDRESSEE,
        invoice=invoice,
        reason="" if invoice else "部署が分かりません。",
    )
    document.file.save("document.xml", ContentFile(content), save=False)
    document.save()
    return document


def build_world(media_root) -> "World":
    """Create the world (call inside a transaction that is rolled back)."""
    with (
        override_settings(MEDIA_ROOT=media_root),
        scopes_disabled(),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        return _build_world(media_root)


def _build_world(media_root) -> World:
    from accounts.tokens import token_new
    from api.models import ApiScope, WebhookEndpoint
    from api.services.keys import api_key_create
    from api.services.webhooks import webhook_ping
    from invoices.attachments import attachment_add, attachment_check
    from invoices.imports import invoice_import_create
    from invoices.services.decisions import invoice_approve
    from invoices.services.issue import invoice_issue
    from invoices.services.zip_exports import zip_export_create
    from municipality.models import PaymentNotice, StaffInvitation, StaffRole
    from municipality.staff import staff_invitation_create
    from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
    from municipality.treasury.services.batches import batch_add_invoices, batch_create
    from partners.models import (
        BankAccount,
        Invitation,
        MemberInvitation,
        SupplierRole,
    )
    from partners.services.invitations import (
        invitation_create,
        invitation_request_submit,
    )
    from partners.services.members import member_invitation_create
    from peppol.uploads import pint_upload_create
    from tests.conftest import make_tenant
    from tests.factories import (
        ConnectionFactory,
        StaffMembershipFactory,
        SupplierMembershipFactory,
        UserFactory,
        make_invoice,
        payment_day_reached,
    )
    from tests.municipality.test_treasury_support import (
        business_day_after,
        make_bank_account,
        make_settings,
    )

    ka = make_tenant()
    ki = make_tenant(
        name="霧島市",
        name_kana="キリシマシ",
        local_government_code="462187",
        corporate_number="8000020462187",
        slug=KIRISHIMA,
        address="鹿児島県霧島市国分中央三丁目45番1号",
    )
    departments = {
        "A1": ka.department,
        "A2": ka.other_department,
        "B1": ki.department,
        "B2": ki.other_department,
    }
    city_of = {"A1": KANOYA, "A2": KANOYA, "B1": KIRISHIMA, "B2": KIRISHIMA}

    def department_staff(code):
        return StaffMembershipFactory(
            municipality=departments[code].municipality,
            role=StaffRole.DEPARTMENT,
            departments=[departments[code]],
        ).user

    sa_owner = SupplierMembershipFactory()
    sa = sa_owner.supplier
    sa_clerk = SupplierMembershipFactory(supplier=sa, role=SupplierRole.CLERK)
    sb_owner = SupplierMembershipFactory()
    sb = sb_owner.supplier
    suppliers = {"a": (sa, sa_owner.user), "b": (sb, sb_owner.user)}
    users = {
        "no_role": UserFactory(),
        "supplier_a_owner": sa_owner.user,
        "supplier_a_clerk": sa_clerk.user,
        "supplier_b_owner": sb_owner.user,
        "kanoya_a1_staff": ka.department_staff,
        "kanoya_a2_staff": department_staff("A2"),
        "kanoya_treasury": ka.treasury,
        "kanoya_city_admin": ka.city_admin,
        "kirishima_b1_staff": ki.department_staff,
        "kirishima_b2_staff": department_staff("B2"),
        "kirishima_treasury": ki.treasury,
        "kirishima_city_admin": ki.city_admin,
    }
    connections = {
        (s, code): ConnectionFactory(
            supplier=suppliers[s][0], department=departments[code]
        )
        for s, code in (("a", "A1"), ("a", "A2"), ("b", "A1"), ("b", "B1"))
    }
    bank_accounts = {s: make_bank_account(suppliers[s][0]) for s in suppliers}
    for tenant in (ka, ki):
        make_settings(tenant.municipality)

    png = _image("PNG")
    objects: dict[str, list[Obj]] = {}

    def add(
        family, label, kwargs, *, s="", code="", city_slug="", marker="", requester=""
    ):
        objects.setdefault(family, []).append(
            Obj(
                label,
                kwargs,
                city=city_slug or city_of.get(code, ""),
                department=code,
                supplier=s,
                marker=marker,
                requester=requester,
            )
        )

    def invoice_with_attachment(s, code, *, issue):
        supplier_user = suppliers[s][1]
        number = f"TM-{s}-{code}-{'I' if issue else 'D'}"
        invoice = make_invoice(
            connection=connections[(s, code)],
            actor=supplier_user,
            issue=False,
            number=number,
        )
        upload = SimpleUploadedFile(f"{number}.png", png, content_type="image/png")
        attachment = attachment_add(invoice=invoice, checked=attachment_check(upload))
        if issue:
            invoice = invoice_issue(invoice=invoice, actor=supplier_user)
        return invoice, attachment

    issued = {}
    for s, code in connections:
        invoice, attachment = invoice_with_attachment(s, code, issue=True)
        issued[(s, code)] = (invoice, attachment)
        label = f"invoice of {s} to {code}"
        add("invoice", label, {"pk": invoice.pk}, s=s, code=code, marker=invoice.number)
        add(
            "api_invoice",
            label,
            {"invoice_id": invoice.pk},
            s=s,
            code=code,
            marker=invoice.number,
        )
        add(
            "attachment",
            f"attachment of {label}",
            {"pk": invoice.pk, "attachment_pk": attachment.pk},
            s=s,
            code=code,
        )
    for s in suppliers:
        draft, attachment = invoice_with_attachment(s, "A1", issue=False)
        add(
            "draft",
            f"draft of {s} to A1",
            {"pk": draft.pk},
            s=s,
            code="A1",
            marker=draft.number,
        )
        add(
            "api_draft",
            f"draft of {s} to A1",
            {"invoice_id": draft.pk},
            s=s,
            code="A1",
            marker=draft.number,
        )
        add(
            "draft_attachment",
            f"attachment of the draft of {s}",
            {"pk": draft.pk, "attachment_pk": attachment.pk},
            s=s,
            code="A1",
        )
    # An invoice one may see with an attachment of another invoice.
    for own, other in (
        (("a", "A1"), ("b", "A1")),  # same department, other supplier
        (("a", "A1"), ("a", "A2")),  # same supplier, other department
        (("b", "A1"), ("b", "B1")),  # same supplier, other municipality
    ):
        add(
            "attachment_mismatch",
            f"invoice of {own} with the attachment of {other}",
            {"pk": issued[own][0].pk, "attachment_pk": issued[other][1].pk},
        )

    for code, department in departments.items():
        add("department", f"department {code}", {"code": department.code}, code=code)

    # ZIP exports of an issued invoice: a department staff member's of each
    # city, and each supplier owner's. Only the one who asked opens it.
    for key, requester in (
        (("a", "A1"), "kanoya_a1_staff"),
        (("b", "B1"), "kirishima_b1_staff"),
    ):
        invoice = issued[key][0]
        job = zip_export_create(
            actor=users[requester],
            invoice_ids=[invoice.pk],
            municipality=invoice.municipality,
        )
        add(
            "city_zip",
            f"ZIP of {requester}",
            {"pk": job.pk},
            code=key[1],
            requester=requester,
        )
    for s, requester in (("a", "supplier_a_owner"), ("b", "supplier_b_owner")):
        invoice = issued[(s, "A1")][0]
        job = zip_export_create(
            actor=users[requester],
            invoice_ids=[invoice.pk],
            supplier=suppliers[s][0],
        )
        add(
            "supplier_zip",
            f"ZIP of {requester}",
            {"pk": job.pk},
            s=s,
            requester=requester,
        )

    # Paid batches (kanoya pays both suppliers, kirishima supplier b), of
    # the issued invoices above: fewer PDFs to render.
    payday = business_day_after(timezone.localdate())
    for tenant, slug, paid in (
        (ka, KANOYA, (("a", "A1"), ("b", "A1"))),
        (ki, KIRISHIMA, (("b", "B1"),)),
    ):
        approved = [
            invoice_approve(
                invoice=issued[key][0],
                actor=tenant.department_staff,
                inspection_date=timezone.localdate(),
            )
            for key in paid
        ]
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in approved], actor=tenant.treasury
        )
        batch_export(batch=batch, actor=tenant.treasury)
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=tenant.treasury)
        add("batch", f"batch of {slug}", {"pk": batch.pk}, city_slug=slug)
        for s, _code in paid:
            notice = PaymentNotice.objects.get(batch=batch, supplier=suppliers[s][0])
            add(
                "payment_notice",
                f"payment notice of {slug} to {s}",
                {"pk": notice.pk},
                s=s,
                city_slug=slug,
            )
            add(
                "api_payment_notice",
                f"payment notice of {slug} to {s}",
                {"notice_id": notice.pk},
                s=s,
                city_slug=slug,
            )

    # A bank file each supplier reconciled (売掛金消込), with one credit;
    # and a URL naming a's upload with b's credit.
    from municipality.models import IncomingCredit
    from municipality.treasury.reconciliation.bank_csv import CsvMapping
    from municipality.treasury.services.reconciliation import reconciliation_create

    credits = {}
    for s, (supplier_obj, owner) in suppliers.items():
        reconciliation = reconciliation_create(
            supplier=supplier_obj,
            actor=owner,
            filename=f"{s}.csv",
            data=f"{payday:%Y/%m/%d},1000,ﾃｽﾄ {s}\n".encode(),
            kind="csv",
            mapping=CsvMapping(date="1", amount="2", payer="3", has_header=False),
        )
        credits[s] = IncomingCredit.objects.get(reconciliation=reconciliation)
        add(
            "reconciliation",
            f"reconciliation of {s}",
            {"pk": reconciliation.pk},
            s=s,
        )
        add(
            "reconciliation_credit",
            f"credit of {s}",
            {"pk": reconciliation.pk, "credit_pk": credits[s].pk},
            s=s,
        )
    add(
        "credit_mismatch",
        "reconciliation of a with the credit of b",
        {"pk": credits["a"].reconciliation_id, "credit_pk": credits["b"].pk},
    )

    # An approved invoice of each city whose named account the supplier
    # changed since (today): the treasury chooses its payee (振込先の指定).
    for s, code, staff in (
        ("a", "A2", users["kanoya_a2_staff"]),
        ("b", "B1", ki.department_staff),
    ):
        payable = invoice_approve(
            invoice=make_invoice(
                connection=connections[(s, code)],
                actor=suppliers[s][1],
                number=f"TM-{s}-{code}-P",
            ),
            actor=staff,
            inspection_date=timezone.localdate(),
        )
        BankAccount.objects.filter(pk=bank_accounts[s].pk).update(
            account_number="7654321", updated_at=timezone.now()
        )
        add(
            "payable",
            f"approved invoice of {s} to {code}, account changed",
            {"pk": payable.pk},
            s=s,
            code=code,
        )

    # Every issued invoice above was received as JP PINT (its original is
    # downloadable); one document of each city waits in its 宛先不明 queue.
    for (s, _code), (invoice, _attachment) in issued.items():
        _inbound_document(
            municipality=invoice.municipality,
            supplier=suppliers[s][0],
            invoice=invoice,
            number=invoice.number,
        )
    for tenant, slug in ((ka, KANOYA), (ki, KIRISHIMA)):
        queued = _inbound_document(
            municipality=tenant.municipality, number=f"UNKNOWN-{slug}"
        )
        add(
            "inbound_document",
            f"queued document of {slug}",
            {"pk": queued.pk},
            city_slug=slug,
        )

    for s, (supplier_obj, owner) in suppliers.items():
        pint_upload = pint_upload_create(
            supplier=supplier_obj,
            actor=owner,
            name=f"{s}.xml",
            data=f"<not-an-invoice>{s}</not-an-invoice>".encode(),
        )
        add("pint_upload", f"JP PINT upload of {s}", {"pk": pint_upload.pk}, s=s)
        add(
            "api_pint_upload",
            f"JP PINT upload of {s}",
            {"import_id": pint_upload.pk},
            s=s,
        )
        upload = invoice_import_create(
            supplier=supplier_obj,
            actor=owner,
            name=f"{s}.csv",
            data=f"not an invoice file of {s}\n".encode(),
            issue=False,
        )
        add("import", f"upload of {s}", {"pk": upload.pk}, s=s)
        add("api_import", f"upload of {s}", {"import_id": upload.pk}, s=s)
        supplier_obj.seal_image.save(f"{s}.gif", ContentFile(_image("GIF")))
        add(
            "seal",
            f"seal of {s}",
            {"name": supplier_obj.seal_image.name.rsplit("/", 1)[-1]},
            s=s,
        )
        invitation = member_invitation_create(
            supplier=supplier_obj,
            email=f"joining-{s}@example.jp",
            role=SupplierRole.CLERK,
            actor=owner,
        )
        add("member_invitation", f"invitation to {s}", {"pk": invitation.pk}, s=s)
        add(
            "bank_account",
            f"bank account of {s}",
            {"pk": bank_accounts[s].pk},
            s=s,
        )
    # Supplier a's owner manages its clerk; supplier b's owner its own row.
    add("member", "clerk of a", {"pk": sa_clerk.pk}, s="a")
    add("member", "owner of b", {"pk": sb_owner.pk}, s="b")

    tokens = {}
    for tenant, slug in ((ka, KANOYA), (ki, KIRISHIMA)):
        department = tenant.department
        request = invitation_request_submit(
            municipality=tenant.municipality,
            departments=[department],
            remote_addr="192.0.2.1",
            company_name=f"申請商事{slug}",
            company_name_kana="シンセイシヨウジ",
            registration_number="",
            contact_name="申請 太郎",
            email=f"request-{slug}@example.jp",
            phone="0994-00-0000",
            message="",
        )
        add(
            "invitation_request",
            f"request to {slug}",
            {"pk": request.pk},
            city_slug=slug,
        )
        (invitation,) = invitation_create(
            municipality=tenant.municipality,
            departments=[department],
            email=f"invited-{slug}@example.jp",
            actor=tenant.city_admin,
        )
        add(
            "invitation", f"invitation of {slug}", {"pk": invitation.pk}, city_slug=slug
        )
        # The raw token is only in the email: give the invitation a known one.
        tokens[slug], digest = token_new()
        Invitation.objects.filter(pk=invitation.pk).update(token_digest=digest)
    add("invitation_token", "link of an invitation", {"token": tokens[KANOYA]})
    add("unknown_token", "a link nobody was sent", {"token": "no-such-token"})
    member_token, digest = token_new()
    MemberInvitation.objects.filter(supplier=sa).update(token_digest=digest)
    add("member_invitation_token", "link to join a", {"token": member_token})

    # Staff run by each city's administrator: a department staff member and
    # a staff invitation of each city, and the link of kanoya's invitation.
    for tenant, slug, staff_name in (
        (ka, KANOYA, "kanoya_a2_staff"),
        (ki, KIRISHIMA, "kirishima_b2_staff"),
    ):
        add(
            "staff",
            f"staff of {slug}",
            {"user_pk": users[staff_name].pk},
            city_slug=slug,
        )
        staff_invitation = staff_invitation_create(
            municipality=tenant.municipality,
            email=f"new-staff-{slug}@example.jp",
            role=StaffRole.TREASURY,
            actor=tenant.city_admin,
        )
        add(
            "staff_invitation",
            f"staff invitation of {slug}",
            {"pk": staff_invitation.pk},
            city_slug=slug,
        )
    staff_token, digest = token_new()
    StaffInvitation.objects.filter(municipality=ka.municipality).update(
        token_digest=digest
    )
    add("staff_invitation_token", "link to join kanoya's staff", {"token": staff_token})
    api_keys = {}
    for name, role in ROLES.items():
        if role.kind != OWNER:
            continue
        key, api_keys[name] = api_key_create(
            supplier=users[name].supplier_membership.supplier,
            actor=users[name],
            name="tenancy",
            scope=ApiScope.ISSUE,
            expires_at=timezone.now() + timedelta(days=1),
        )
        add("api_key", f"API key of {role.supplier}", {"pk": key.pk}, s=role.supplier)
        # Made directly: the service would look the address up in the DNS.
        endpoint = WebhookEndpoint.objects.create(
            supplier=key.supplier,
            url=f"https://hooks.example.com/{role.supplier}",
            events=["paid"],
            secret="0" * 64,
            created_by=users[name],
        )
        delivery = webhook_ping(endpoint=endpoint, actor=users[name])
        add(
            "webhook",
            f"webhook of {role.supplier}",
            {"pk": endpoint.pk},
            s=role.supplier,
        )
        add(
            "webhook_delivery",
            f"webhook delivery of {role.supplier}",
            {"pk": endpoint.pk, "delivery_pk": delivery.pk},
            s=role.supplier,
        )
    _build_procurement(add, connections, suppliers, departments, city_of)
    return World(
        users=users, objects=objects, media_root=str(media_root), api_keys=api_keys
    )


def _build_procurement(add, connections, suppliers, departments, city_of):
    """A budget code of each city; per connection a confirmed order with a
    delivery awaiting inspection; a draft order of each city."""
    from decimal import Decimal

    from municipality.models import StaffMembership, StaffRole
    from procurement.services.deliveries import DeliveryLineInput, delivery_record
    from procurement.services.orders import order_confirm
    from tests.procurement.conftest import make_budget_code, make_order

    codes = {}
    for slug in (KANOYA, KIRISHIMA):
        department = next(d for c, d in departments.items() if city_of[c] == slug)
        codes[slug] = make_budget_code(department.municipality)
        add(
            "budget_code",
            f"budget code of {slug}",
            {"pk": codes[slug].pk},
            city_slug=slug,
        )

    def staff_of(department):
        return (
            StaffMembership.objects.filter(
                role=StaffRole.DEPARTMENT, departments=department
            )
            .first()
            .user
        )

    for (s, code), to in connections.items():
        staff = staff_of(to.department)
        order = make_order(
            connection=to,
            actor=staff,
            budget_code=codes[city_of[code]],
            number=f"TM-ORD-{s}-{code}",
        )
        order = order_confirm(order=order, supplier=to.supplier, actor=suppliers[s][1])
        label = f"order of {s} from {code}"
        add("order", label, {"pk": order.pk}, s=s, code=code, marker=order.number)
        delivery = delivery_record(
            order=order,
            supplier=to.supplier,
            actor=suppliers[s][1],
            number=f"TM-DLV-{s}-{code}",
            delivered_on=order.order_date,
            lines=[
                DeliveryLineInput(
                    order_line=order.lines.order_by("position").first(),
                    quantity=Decimal(1),
                )
            ],
        )
        add("delivery", f"delivery of {label}", {"pk": delivery.pk}, s=s, code=code)
    for s, code in (("a", "A1"), ("b", "B1")):
        to = connections[(s, code)]
        draft = make_order(
            connection=to,
            actor=staff_of(to.department),
            budget_code=codes[city_of[code]],
            number=f"TM-ORD-DRAFT-{s}-{code}",
            send=False,
        )
        add(
            "order_draft",
            f"draft order to {s} from {code}",
            {"pk": draft.pk},
            s=s,
            code=code,
            marker=draft.number,
        )


# Proof that nothing changed -------------------------------------------------


# A login sets this; it is not a change a request made.
_NOT_COMPARED = {
    "accounts.User": {"last_login"},
    # Every API call is logged, refused ones too (by design).
    "api.ApiKey": {"last_used_at"},
}
_NOT_COMPARED_MODELS = {"api.ApiCall"}


def fingerprint() -> dict[str, str]:
    """Every row of our apps (many-to-many tables too) and the mail sent,
    as text per table. Raw SQL: it runs after every role of every URL."""
    prints = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.app_label not in OUR_APPS or meta.label in _NOT_COMPARED_MODELS:
                continue
            skip = _NOT_COMPARED.get(meta.label, set())
            columns = ", ".join(
                quote(f.column) for f in meta.concrete_fields if f.name not in skip
            )
            cursor.execute(
                f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
                f"ORDER BY {quote(meta.pk.column)}"
            )
            prints[meta.label] = repr(cursor.fetchall())
    prints["mail.outbox"] = repr([m.subject for m in getattr(mail, "outbox", [])])
    return prints


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    keys = before.keys() | after.keys()
    return sorted(k for k in keys if before.get(k) != after.get(k))
