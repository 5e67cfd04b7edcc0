"""Inviting suppliers (招待): public requests, city invitations, acceptance.

A supplier asks through the municipality's public form
(``invitation_request_submit``); a city administrator approves the request,
which sends one invitation per requested department, or declines it with a
reason. Administrators can also invite directly. Accepting an invitation
creates the ``Connection`` (supplier × department).

Nobody joins a supplier through these invitations. When the registration
number given belongs to a supplier already on the platform, the invitation
is bound to that supplier: its link goes to the supplier's owners, only an
owner can accept it, and the person who asked is told that the owners were
asked. The address on a request or typed by the city could be anyone's; a
person becomes a member of an existing supplier only through that
supplier's own member invitation (``partners.services.members``).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.emails import email_send_template
from accounts.models import User
from accounts.services import user_create_from_invitation
from accounts.tokens import token_digest, token_new
from municipality.models import Department, Municipality, StaffRole
from municipality.validators import validate_registration_number
from partners.models import (
    Connection,
    Invitation,
    InvitationRequest,
    InvitationRequestStatus,
    InvitationStatus,
    Supplier,
    SupplierMembership,
    SupplierRole,
)
from partners.selectors import (
    supplier_for_registration_number,
    supplier_owner_emails,
)
from partners.services.suppliers import connection_create, supplier_member_add

DEPARTMENTS_NOT_ALLOWED = gettext_lazy(
    "選べない部署が含まれています。一覧から選び直してください。"
)
DEPARTMENTS_REQUIRED = gettext_lazy("招待する部署を1つ以上選んでください。")
DEPARTMENTS_ALL_INACTIVE = gettext_lazy(
    "申請された部署はすべて無効になっています。見送りとして理由を伝えてください。"
)
DECLINE_REASON_REQUIRED = gettext_lazy(
    "見送りの理由を入力してください。申請者にメールで伝わります。"
)
STAFF_EMAIL = gettext_lazy(
    "このメールアドレスは自治体職員のアカウントで使われています。"
    "取引先の登録には、職員用とは別のメールアドレスを入力してください。"
)
NO_ACTIVE_OWNERS = gettext_lazy(
    "登録番号 %(number)s の取引先は登録済みですが、有効な管理者がいないため"
    "招待を送れません。取引先に連絡するか、見送りとして理由を伝えてください。"
)


class InvitationError(Exception):
    """An invitation cannot be used; ``code`` names the reason for the page
    that explains what to do."""

    def __init__(self, code: str, invitation: Invitation | None = None):
        super().__init__(code)
        self.code = code
        self.invitation = invitation


def _city_admin_emails(municipality: Municipality) -> list[str]:
    return list(
        User.objects.filter(
            is_active=True,
            staff_memberships__municipality=municipality,
            staff_memberships__role=StaffRole.CITY_ADMIN,
        )
        .distinct()
        .values_list("email", flat=True)
    )


def email_is_staff(email: str) -> bool:
    """Whether ``email`` is the login of a municipality's staff member (in
    any municipality). Such an address never gets a supplier: one person
    would sit on both sides of the invoices."""
    return User.objects.filter(
        email__iexact=email.strip(), staff_memberships__isnull=False
    ).exists()


def _check_not_staff(email: str) -> None:
    if email_is_staff(email):
        raise ValidationError({"email": STAFF_EMAIL})


def _owner_addresses(supplier: Supplier) -> list[str]:
    owners = supplier_owner_emails(supplier=supplier)
    if not owners:
        raise ValidationError(
            NO_ACTIVE_OWNERS, params={"number": supplier.registration_number}
        )
    return owners


def _tell_contact_owners_were_asked(
    *,
    email: str,
    supplier: Supplier,
    invitations: list[Invitation],
    contact_name: str = "",
) -> None:
    """Tell the address the request or the city gave that the invitation
    went to the supplier's owners instead, and how to join the supplier.
    Nothing about the owners is said. Owners get the invitation itself."""
    owners = {e.lower() for e in supplier_owner_emails(supplier=supplier)}
    if not invitations or email.lower() in owners:
        return
    first = invitations[0]
    email_send_template(
        template="invitation_forwarded_to_owners",
        to=[email],
        context={
            "contact_name": contact_name,
            "municipality": first.municipality,
            "registration_number": supplier.registration_number,
            "departments": [i.department for i in invitations],
        },
    )


@transaction.atomic
def invitation_request_submit(
    *,
    municipality: Municipality,
    departments: list[Department],
    remote_addr: str | None,
    **fields,
) -> InvitationRequest:
    """Record a supplier's request to be invited; confirm it to the
    requester and tell the city administrators.

    Raises ``ValidationError`` for departments that cannot be chosen and
    for a staff member's address (on ``email``). Whether the registration
    number belongs to a supplier on the platform is not said here: the
    form is public.
    """
    _check_not_staff(fields.get("email", ""))
    if any(
        d.municipality_id != municipality.pk or not d.is_active for d in departments
    ):
        raise ValidationError(DEPARTMENTS_NOT_ALLOWED)
    request = InvitationRequest(
        municipality=municipality, remote_addr=remote_addr, **fields
    )
    request.full_clean()
    request.save()
    request.departments.set(departments)
    context = {
        "request": request,
        "municipality": municipality,
        "departments": departments,
        "console_url": settings.SITE_URL
        + reverse(
            "city:invitation_request",
            kwargs={"municipality_slug": municipality.slug, "pk": request.pk},
        ),
    }
    email_send_template(
        template="invitation_request_received", to=[request.email], context=context
    )
    email_send_template(
        template="invitation_request_new",
        to=_city_admin_emails(municipality),
        context=context,
    )
    return request


def _invitation_send(invitation: Invitation) -> None:
    """Give the invitation a fresh link and expiry, and email it: to the
    invited address, or to the current owners of the existing supplier it
    is bound to. A resent invitation's earlier link stops working.

    Raises ``ValidationError`` if that supplier has no active owner.
    """
    recipients = (
        _owner_addresses(invitation.supplier)
        if invitation.supplier_id is not None
        else [invitation.email]
    )
    token, digest = token_new()
    now = timezone.now()
    invitation.token_digest = digest
    invitation.expires_at = now + timedelta(
        days=invitation.municipality.invitation_valid_days
    )
    invitation.sent_count += 1
    invitation.last_sent_at = now
    invitation.save()
    email_send_template(
        template="invitation_existing_supplier"
        if invitation.supplier_id is not None
        else "invitation",
        to=recipients,
        context={
            "invitation": invitation,
            "supplier": invitation.supplier,
            "request": invitation.request,
            "url": settings.SITE_URL
            + reverse("invitations:accept", kwargs={"token": token}),
        },
    )


def _invitation_new(
    *,
    municipality: Municipality,
    department: Department,
    email: str,
    company_name: str,
    actor: User,
    registration_number: str = "",
    supplier: Supplier | None = None,
    request: InvitationRequest | None = None,
) -> Invitation:
    invitation = Invitation(
        municipality=municipality,
        department=department,
        email=User.objects.normalize_email(email).lower(),
        company_name=company_name,
        registration_number=registration_number,
        supplier=supplier,
        request=request,
        invited_by=actor,
    )
    _invitation_send(invitation)
    return invitation


@transaction.atomic
def invitation_create(
    *,
    municipality: Municipality,
    departments: list[Department],
    email: str,
    company_name: str = "",
    registration_number: str = "",
    actor: User,
) -> list[Invitation]:
    """Invite ``email`` to bill each of ``departments`` (one invitation and
    one email each). A department that already has a pending invitation for
    the address is skipped, so a double submit sends nothing twice.

    If ``registration_number`` belongs to a supplier on the platform, the
    invitations go to that supplier's owners instead (only they can accept)
    and ``email`` is told so. Raises ``ValidationError`` for a staff
    member's address, departments that cannot be chosen, or an existing
    supplier without an active owner.
    """
    _check_not_staff(email)
    if registration_number:
        validate_registration_number(registration_number)
    if not departments:
        raise ValidationError(DEPARTMENTS_REQUIRED)
    if any(
        d.municipality_id != municipality.pk or not d.is_active for d in departments
    ):
        raise ValidationError(DEPARTMENTS_NOT_ALLOWED)
    email = User.objects.normalize_email(email).lower()
    supplier = supplier_for_registration_number(registration_number)
    pending = set(
        Invitation.objects.filter(
            municipality=municipality,
            status=InvitationStatus.SENT,
            expires_at__gt=timezone.now(),
        )
        .filter(
            **(
                {"supplier": supplier}
                if supplier is not None
                else {"email": email, "supplier__isnull": True}
            )
        )
        .values_list("department_id", flat=True)
    )
    invitations = [
        _invitation_new(
            municipality=municipality,
            department=d,
            email=email,
            company_name=company_name,
            registration_number=registration_number,
            supplier=supplier,
            actor=actor,
        )
        for d in departments
        if d.pk not in pending
    ]
    if supplier is not None:
        _tell_contact_owners_were_asked(
            email=email, supplier=supplier, invitations=invitations
        )
    return invitations


def _request_locked(request: InvitationRequest) -> InvitationRequest:
    locked = InvitationRequest.objects.select_for_update(of=("self",)).get(
        pk=request.pk
    )
    if locked.status != InvitationRequestStatus.PENDING:
        raise ValidationError(
            gettext(
                "この申請はすでに「%(status)s」です。一覧を更新して確認してください。"
            ),
            params={"status": locked.get_status_display()},
        )
    return locked


@transaction.atomic
def invitation_request_approve(
    *, request: InvitationRequest, actor: User
) -> list[Invitation]:
    """Approve a pending request: one invitation per requested department
    that is still active.

    If the request's registration number belongs to a supplier on the
    platform, the invitations go to that supplier's owners, and the
    requester is told that the owners were asked: the requester's address
    proves nothing about who works there. Raises ``ValidationError`` if the
    request was already decided (e.g. by a colleague, or a second click),
    or if that supplier has no active owner.
    """
    request = _request_locked(request)
    departments = [d for d in request.departments.order_by("code") if d.is_active]
    if not departments:
        raise ValidationError(DEPARTMENTS_ALL_INACTIVE)
    supplier = supplier_for_registration_number(request.registration_number)
    invitations = [
        _invitation_new(
            municipality=request.municipality,
            department=d,
            email=request.email,
            company_name=request.company_name,
            registration_number=request.registration_number,
            supplier=supplier,
            actor=actor,
            request=request,
        )
        for d in departments
    ]
    if supplier is not None:
        _tell_contact_owners_were_asked(
            email=request.email,
            supplier=supplier,
            invitations=invitations,
            contact_name=request.contact_name,
        )
    request.status = InvitationRequestStatus.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return invitations


@transaction.atomic
def invitation_request_decline(
    *, request: InvitationRequest, reason: str, actor: User
) -> InvitationRequest:
    """Decline a pending request and email the reason to the requester."""
    if not reason.strip():
        raise ValidationError(DECLINE_REASON_REQUIRED)
    request = _request_locked(request)
    request.status = InvitationRequestStatus.DECLINED
    request.decline_reason = reason.strip()
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    email_send_template(
        template="invitation_request_declined",
        to=[request.email],
        context={"request": request, "municipality": request.municipality},
    )
    return request


def _invitation_locked(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("municipality")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """Send a pending (or expired) invitation again with a new link and a
    new expiry."""
    invitation = _invitation_locked(invitation)
    if invitation.status != InvitationStatus.SENT:
        raise ValidationError(
            gettext("「%(status)s」の招待は再送できません。"),
            params={"status": invitation.get_status_display()},
        )
    _invitation_send(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Revoke a pending invitation: its link stops working at once."""
    invitation = _invitation_locked(invitation)
    if invitation.status != InvitationStatus.SENT:
        raise ValidationError(
            gettext("「%(status)s」の招待は取り消せません。"),
            params={"status": invitation.get_status_display()},
        )
    invitation.status = InvitationStatus.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    return invitation


# Acceptance -----------------------------------------------------------------


def invitation_by_token(token: str) -> Invitation:
    """The invitation a link's token belongs to, in any state.

    The token is the only thing that grants access here, so the lookup runs
    across municipalities. Raises ``InvitationError("unknown")``.
    """
    invitation = (
        Invitation.objects.with_scopes_disabled()
        .select_related("municipality", "department", "request")
        .filter(token_digest=token_digest(token))
        .first()
    )
    if invitation is None:
        raise InvitationError("unknown")
    return invitation


def invitation_check_usable(invitation: Invitation) -> None:
    """Raise ``InvitationError`` with ``revoked``, ``accepted`` or
    ``expired`` unless the invitation can be accepted now."""
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationError("revoked", invitation)
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationError("accepted", invitation)
    if invitation.is_expired(timezone.now()):
        raise InvitationError("expired", invitation)


def invitation_check_acceptor(*, invitation: Invitation, user: User | None) -> None:
    """Raise ``InvitationError`` unless ``user`` (``None`` when not logged
    in) may go on to accept ``invitation``.

    An invitation bound to an existing supplier needs one of its owners
    (``owner_login_required``, ``owner_required``); any other needs the
    invited address (``login_required``, ``wrong_account``), and a staff
    member's account cannot create a supplier with it
    (``staff_account``).
    """
    if invitation.supplier_id is not None:
        if user is None:
            raise InvitationError("owner_login_required", invitation)
        if not SupplierMembership.objects.filter(
            user=user, supplier_id=invitation.supplier_id, role=SupplierRole.OWNER
        ).exists():
            raise InvitationError("owner_required", invitation)
        return
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationError("login_required", invitation)
        return
    if user.email.lower() != invitation.email.lower():
        raise InvitationError("wrong_account", invitation)
    if not SupplierMembership.objects.filter(user=user).exists() and email_is_staff(
        user.email
    ):
        raise InvitationError("staff_account", invitation)


@dataclass
class AcceptResult:
    connection: Connection
    user: User
    created_user: bool


def _accept(invitation: Invitation, user: User, supplier: Supplier) -> Connection:
    connection = connection_create(supplier=supplier, department=invitation.department)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.connection = connection
    invitation.save(
        update_fields=["status", "accepted_by", "accepted_at", "connection"]
    )
    email_send_template(
        template="invitation_accepted",
        to=[e for e in [getattr(invitation.invited_by, "email", "")] if e]
        or _city_admin_emails(invitation.municipality),
        context={"invitation": invitation, "supplier": supplier, "user": user},
    )
    return connection


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    signup: dict | None = None,
    supplier_fields: dict | None = None,
) -> AcceptResult:
    """Accept an invitation, exactly once.

    - Bound to an existing supplier: ``user`` must be one of its owners;
      that supplier gets the connection.
    - Otherwise ``user`` (logged in, the invited address) gives their
      supplier the connection; a user without a supplier creates one from
      ``supplier_fields`` and becomes its owner. With ``signup`` (``name``
      and ``password``), a new account for the invited address is created
      first.

    Never makes anyone a member of a supplier that exists already. Raises
    ``InvitationError`` when the invitation is no longer usable (a second
    click finds it accepted) or not for this user (see
    ``invitation_check_acceptor``), and ``ValidationError`` for bad input.
    """
    invitation = _invitation_locked(invitation)
    invitation_check_usable(invitation)
    invitation_check_acceptor(invitation=invitation, user=user)
    if invitation.supplier_id is not None:
        connection = _accept(invitation, user, invitation.supplier)
        return AcceptResult(connection=connection, user=user, created_user=False)

    created_user = False
    if user is None:
        user = user_create_from_invitation(
            email=invitation.email, name=signup["name"], password=signup["password"]
        )
        created_user = True
    membership = SupplierMembership.objects.filter(user=user).first()
    if membership is not None:
        supplier = membership.supplier
    else:
        # A new supplier only: a registration number that is taken fails
        # the unique constraint, whose message says to ask that supplier's
        # owners for a member invitation.
        supplier = Supplier(**(supplier_fields or {}))
        supplier.full_clean()
        supplier.save()
        supplier_member_add(
            supplier=supplier, user=user, role=SupplierRole.OWNER, actor=user
        )
    connection = _accept(invitation, user, supplier)
    return AcceptResult(connection=connection, user=user, created_user=created_user)
