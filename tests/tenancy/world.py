"""The world of objects the roles own, built through the models (inside a
transaction the test rolls back)."""

import io
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from tests.tenancy.roles import KANOYA, KIRISHIMA, OWNER, ROLES, Obj
from tests.tenancy.world_procurement import _build_procurement

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
