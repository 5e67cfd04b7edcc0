from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views import View

from accounts.forms import InvitedSignupForm
from partners.selectors import member_invitation_for_token
from partners.services.members import (
    AcceptStep,
    MemberInvitationError,
    member_invitation_accept,
    member_invitation_accept_new_user,
    member_invitation_step,
)


class MemberInvitationAcceptView(View):
    """The link in a member invitation email (public, outside the supplier
    area). Every state the link can be in gets a page that says what to do;
    POST joins, and the services re-check the state under a row lock."""

    template_name = "partners/invitation_member.html"

    def dispatch(self, request, token):
        self.invitation = member_invitation_for_token(token=token)
        if self.invitation is None:
            return render(request, self.template_name, {"step": "unknown"}, status=404)
        return super().dispatch(request, token)

    def get(self, request, token):
        step = member_invitation_step(invitation=self.invitation, user=request.user)
        return self._respond(step)

    def post(self, request, token):
        try:
            if request.user.is_authenticated:
                member_invitation_accept(invitation=self.invitation, user=request.user)
            else:
                step = member_invitation_step(
                    invitation=self.invitation, user=request.user
                )
                if step != AcceptStep.SIGNUP:
                    return self._respond(step)
                form = InvitedSignupForm(request.POST, email=self.invitation.email)
                if not form.is_valid():
                    return self._respond(step, form=form)
                user = member_invitation_accept_new_user(
                    invitation=self.invitation,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password1"],
                )
                login(
                    request, user, backend="django.contrib.auth.backends.ModelBackend"
                )
        except MemberInvitationError as error:
            return self._respond(error.step)
        messages.success(
            request,
            gettext("%(supplier)s の利用者として参加しました。")
            % {"supplier": self.invitation.supplier},
        )
        return redirect("supplier:home")

    def _respond(self, step: AcceptStep, form: InvitedSignupForm | None = None):
        if step == AcceptStep.JOINED:
            messages.info(
                self.request,
                gettext(
                    "この招待はすでに承諾済みです。"
                    "%(supplier)s の利用者としてご利用いただけます。"
                )
                % {"supplier": self.invitation.supplier},
            )
            return redirect("supplier:home")
        if form is None and step == AcceptStep.SIGNUP:
            form = InvitedSignupForm(email=self.invitation.email)
        return render(
            self.request,
            self.template_name,
            {"step": step, "invitation": self.invitation, "form": form},
        )
