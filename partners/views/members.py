from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from partners.forms.members import MemberInviteForm, MemberRoleForm
from partners.models import MemberInvitation, SupplierMembership, SupplierRole
from partners.selectors import (
    member_invitation_list_pending,
    member_list_for_supplier,
    settings_event_list_for_supplier,
)
from partners.services.members import (
    member_invitation_create,
    member_invitation_resend,
    member_invitation_revoke,
    member_remove,
    member_role_change,
)
from partners.views.mixins import SupplierOwnerRequiredMixin


def _membership(request, pk) -> SupplierMembership:
    return get_object_or_404(
        SupplierMembership, supplier=request.supplier_access.supplier, pk=pk
    )


def _invitation(request, pk) -> MemberInvitation:
    return get_object_or_404(
        MemberInvitation, supplier=request.supplier_access.supplier, pk=pk
    )


class MemberListView(SupplierOwnerRequiredMixin, TemplateView):
    """利用者の管理: members with their roles, invitations not yet accepted,
    and the latest role changes (who granted, changed or removed a role)."""

    template_name = "partners/member_list.html"
    recent_events = 20

    def get_context_data(self, **kwargs):
        supplier = self.request.supplier_access.supplier
        return super().get_context_data(
            supplier=supplier,
            members=member_list_for_supplier(supplier=supplier),
            invitations=member_invitation_list_pending(supplier=supplier),
            roles=SupplierRole.choices,
            events=settings_event_list_for_supplier(supplier=supplier)[
                : self.recent_events
            ],
            **kwargs,
        )


class MemberInviteView(SupplierOwnerRequiredMixin, FormView):
    template_name = "partners/member_invite.html"
    form_class = MemberInviteForm
    success_url = reverse_lazy("supplier:members")

    def form_valid(self, form):
        try:
            invitation = member_invitation_create(
                supplier=self.request.supplier_access.supplier,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("%(email)s に招待メールを送りました。")
            % {"email": invitation.email},
        )
        return super().form_valid(form)


class MemberRoleView(SupplierOwnerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        membership = _membership(request, pk)
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("役割を選んでください。"))
            return redirect("supplier:members")
        try:
            membership = member_role_change(
                membership=membership,
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("supplier:members")
        messages.success(
            request,
            gettext("%(user)s さんの役割を%(role)sにしました。")
            % {"user": membership.user, "role": membership.get_role_display()},
        )
        demoted_self = membership.user_id == request.user.pk
        if demoted_self and membership.role != SupplierRole.OWNER:
            # The member list is for owners; it would now answer 404.
            return redirect("supplier:home")
        return redirect("supplier:members")


class MemberRemoveView(SupplierOwnerRequiredMixin, TemplateView):
    """Asks before taking a member out of the supplier."""

    template_name = "partners/member_remove.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            membership=_membership(self.request, self.kwargs["pk"]), **kwargs
        )

    def post(self, request, pk):
        membership = _membership(request, pk)
        try:
            member_remove(membership=membership, actor=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("supplier:members")
        messages.success(
            request,
            gettext("%(user)s さんを取引先の利用者から外しました。")
            % {"user": membership.user},
        )
        if membership.user_id == request.user.pk:
            # No longer a member: the supplier area would answer 404.
            return redirect("home")
        return redirect("supplier:members")


class MemberInvitationResendView(SupplierOwnerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            invitation = member_invitation_resend(invitation=_invitation(request, pk))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                gettext(
                    "%(email)s に招待メールを再送しました。"
                    "以前のメールのリンクは使えなくなります。"
                )
                % {"email": invitation.email},
            )
        return redirect("supplier:members")


class MemberInvitationRevokeView(SupplierOwnerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            invitation = member_invitation_revoke(invitation=_invitation(request, pk))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                gettext("%(email)s への招待を取り消しました。")
                % {"email": invitation.email},
            )
        return redirect("supplier:members")
