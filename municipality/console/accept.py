from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django_scopes import scope

from accounts.forms import InvitedSignupForm
from accounts.invitations import InvitationStep
from municipality.selectors import staff_invitation_for_token
from municipality.staff import (
    StaffInvitationError,
    staff_invitation_accept,
    staff_invitation_accept_new_user,
    staff_invitation_step,
)

_BACKEND = "django.contrib.auth.backends.ModelBackend"


@method_decorator(sensitive_post_parameters("password1", "password2"), "post")
class StaffInvitationAcceptView(View):
    """The link in a staff invitation email (public, outside the city
    area). Every state of the link gets a page that says what to do; POST
    accepts, and the services check the state again under a row lock."""

    template_name = "municipality/staff_invitation_accept.html"

    def dispatch(self, request, token):
        self.invitation = staff_invitation_for_token(token=token)
        if self.invitation is None:
            return render(request, self.template_name, {"step": "unknown"}, status=404)
        # The token named the municipality; everything below stays inside it.
        with scope(municipality=self.invitation.municipality_id):
            return super().dispatch(request, token)

    def get(self, request, token):
        step = staff_invitation_step(invitation=self.invitation, user=request.user)
        return self._respond(step)

    def post(self, request, token):
        try:
            if request.user.is_authenticated:
                staff_invitation_accept(invitation=self.invitation, user=request.user)
            else:
                step = staff_invitation_step(
                    invitation=self.invitation, user=request.user
                )
                if step != InvitationStep.SIGNUP:
                    return self._respond(step)
                form = InvitedSignupForm(request.POST, email=self.invitation.email)
                if not form.is_valid():
                    return self._respond(step, form=form)
                user = staff_invitation_accept_new_user(
                    invitation=self.invitation,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, user, backend=_BACKEND)
        except StaffInvitationError as error:
            return self._respond(error.step)
        except ValidationError as error:
            return self._respond(
                InvitationStep.CONFIRM, errors=error.messages, status=409
            )
        messages.success(
            request,
            gettext("%(municipality)s の職員として参加しました。")
            % {"municipality": self.invitation.municipality.name},
        )
        return redirect("home")

    def _respond(self, step, form=None, errors=(), status=200):
        if step == InvitationStep.JOINED:
            messages.info(
                self.request,
                gettext("この招待はすでに承諾済みです。"),
            )
            return redirect("home")
        if form is None and step == InvitationStep.SIGNUP:
            form = InvitedSignupForm(email=self.invitation.email)
        return render(
            self.request,
            self.template_name,
            {
                "step": step,
                "invitation": self.invitation,
                "form": form,
                "errors": errors,
            },
            status=status,
        )
