"""Accepting a municipality's invitation (招待の承諾) from the emailed link."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django_scopes import scope

from accounts.forms import InvitedSignupForm
from partners.forms.invitations import SupplierCreateForm
from partners.models import SupplierMembership
from partners.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_by_token,
    invitation_check_acceptor,
    invitation_check_usable,
)

# HTTP status of the page for each reason an invitation cannot be used.
_ERROR_STATUS = {
    "unknown": 404,
    "revoked": 410,
    "expired": 410,
    "accepted": 200,
    "wrong_account": 200,
    "login_required": 200,
    "owner_login_required": 200,
    "owner_required": 200,
    "staff_account": 200,
}


def _error_page(request, error: InvitationError, token: str):
    invitation = error.invitation
    if (
        error.code == "accepted"
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    ):
        messages.info(request, gettext("この招待はすでに承諾済みです。"))
        return redirect("supplier:home")
    return render(
        request,
        "partners/invitation_unusable.html",
        {
            "code": error.code,
            "invitation": invitation,
            "login_url": reverse("account_login")
            + "?next="
            + reverse("invitations:accept", kwargs={"token": token}),
        },
        status=_ERROR_STATUS[error.code],
    )


@sensitive_post_parameters("password1", "password2")
def invitation_accept_view(request, token):
    """One page for every case: a new person signs up (and creates their
    supplier), a supplier member confirms (only an owner, when the
    invitation is bound to an existing supplier), and every reason the link
    cannot be used gets a page that says what to do."""
    try:
        invitation = invitation_by_token(token)
    except InvitationError as error:
        return _error_page(request, error, token)
    # The token named the municipality; everything below stays inside it.
    with scope(municipality=invitation.municipality_id):
        return _accept(request, invitation, token)


def _accept(request, invitation, token):
    user = request.user if request.user.is_authenticated else None
    try:
        invitation_check_usable(invitation)
        invitation_check_acceptor(invitation=invitation, user=user)
    except InvitationError as error:
        return _error_page(request, error, token)

    # For an invitation bound to an existing supplier, the check above
    # made sure this is one of its owners.
    membership = (
        SupplierMembership.objects.select_related("supplier").filter(user=user).first()
        if user
        else None
    )
    needs_supplier = membership is None
    data = request.POST if request.method == "POST" else None
    signup_form = (
        InvitedSignupForm(data, email=invitation.email) if user is None else None
    )
    supplier_form = (
        SupplierCreateForm(
            data, initial=_supplier_initial(invitation), prefix="supplier"
        )
        if needs_supplier
        else None
    )

    if request.method == "POST" and all(
        form.is_valid() for form in (signup_form, supplier_form) if form is not None
    ):
        try:
            result = invitation_accept(
                invitation=invitation,
                user=user,
                signup={
                    "name": signup_form.cleaned_data["name"],
                    "password": signup_form.cleaned_data["password1"],
                }
                if signup_form
                else None,
                supplier_fields=_supplier_fields(supplier_form),
            )
        except InvitationError as error:
            return _error_page(request, error, token)
        except ValidationError as error:
            (supplier_form or signup_form).add_error(None, error)
        else:
            if result.created_user:
                login(request, result.user, backend=_BACKEND)
            messages.success(
                request,
                gettext(
                    "%(municipality)s %(department)s への"
                    "請求書の送付ができるようになりました。"
                )
                % {
                    "municipality": invitation.municipality.name,
                    "department": invitation.department.name,
                },
            )
            return redirect("supplier:home")

    return render(
        request,
        "partners/invitation_accept.html",
        {
            "invitation": invitation,
            "membership": membership,
            "signup_form": signup_form,
            "supplier_form": supplier_form,
        },
    )


_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _supplier_initial(invitation) -> dict:
    request = invitation.request
    if request is None:
        return {
            "legal_name": invitation.company_name,
            "registration_number": invitation.registration_number,
        }
    return {
        "legal_name": request.company_name,
        "name_kana": request.company_name_kana,
        "registration_number": request.registration_number,
        "phone": request.phone,
    }


def _supplier_fields(form) -> dict | None:
    if form is None:
        return None
    return {name: getattr(form.instance, name) for name in form.Meta.fields}
