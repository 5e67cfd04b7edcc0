"""職員の管理: the staff list with pending invitations, inviting, roles and
departments of one person, and deactivation after a confirmation page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.invitations import InvitationStatus
from accounts.models import User
from municipality.console.forms import StaffInviteForm, StaffRolesForm
from municipality.models import Department, StaffInvitation, StaffRole
from municipality.selectors import staff_membership_list
from municipality.staff import (
    staff_deactivate,
    staff_invitation_create,
    staff_invitation_resend,
    staff_invitation_revoke,
    staff_roles_set,
)
from municipality.views import CityRoleRequiredMixin


class CityAdminMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.CITY_ADMIN,)

    @property
    def municipality(self):
        return self.request.city.municipality

    def redirect_to(self, name, **kwargs):
        return redirect(name, municipality_slug=self.municipality.slug, **kwargs)


def _staff_rows(municipality):
    """One row per person: their roles and departments."""
    rows: dict[int, dict] = {}
    for membership in staff_membership_list(municipality=municipality):
        row = rows.setdefault(
            membership.user_id,
            {"user": membership.user, "roles": [], "departments": []},
        )
        row["roles"].append(membership.get_role_display())
        row["departments"].extend(membership.departments.all())
    return list(rows.values())


class StaffListView(CityAdminMixin, TemplateView):
    template_name = "municipality/staff_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            staff_rows=_staff_rows(self.municipality),
            invitations=StaffInvitation.objects.filter(
                municipality=self.municipality, status=InvitationStatus.SENT
            )
            .select_related("invited_by")
            .prefetch_related(
                Prefetch("departments", queryset=Department.objects.order_by("code"))
            ),
            now=timezone.now(),
            **kwargs,
        )


class StaffInviteView(CityAdminMixin, FormView):
    template_name = "municipality/staff_invite.html"
    form_class = StaffInviteForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "municipality": self.municipality}

    def form_valid(self, form):
        try:
            staff_invitation_create(
                municipality=self.municipality,
                email=form.cleaned_data["email"],
                role=StaffRole(form.cleaned_data["role"]),
                departments=form.cleaned_data["departments"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("%(email)s に職員の招待メールを送信しました。")
            % {"email": form.cleaned_data["email"]},
        )
        return self.redirect_to("city:staff")


class StaffInvitationActionView(CityAdminMixin, View):
    """POST-only resend or revoke of one staff invitation."""

    action = ""

    def post(self, request, *args, **kwargs):
        invitation = get_object_or_404(
            StaffInvitation.objects.filter(municipality=self.municipality),
            pk=kwargs["pk"],
        )
        try:
            if self.action == "resend":
                staff_invitation_resend(invitation=invitation, actor=request.user)
                message = gettext(
                    "%(email)s に新しいリンクで招待メールを再送しました。"
                )
            else:
                staff_invitation_revoke(invitation=invitation, actor=request.user)
                message = gettext("%(email)s への招待を取り消しました。")
            messages.success(request, message % {"email": invitation.email})
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return self.redirect_to("city:staff")


class StaffMemberMixin(CityAdminMixin):
    """The person of the URL: a member of this municipality's staff, else
    404 (someone of another municipality does not exist here)."""

    @cached_property
    def member(self) -> User:
        return get_object_or_404(
            User.objects.filter(
                staff_memberships__municipality=self.municipality
            ).distinct(),
            pk=self.kwargs["user_pk"],
        )

    def memberships(self, user):
        return {
            m.role: m
            for m in staff_membership_list(municipality=self.municipality).filter(
                user=user
            )
        }


class StaffEditView(StaffMemberMixin, FormView):
    template_name = "municipality/staff_edit.html"
    form_class = StaffRolesForm

    def get_form_kwargs(self):
        department = self.memberships(self.member).get(StaffRole.DEPARTMENT)
        current_departments = list(department.departments.all()) if department else []
        return {
            **super().get_form_kwargs(),
            "municipality": self.municipality,
            "current_departments": current_departments,
            "initial": {
                "roles": list(self.memberships(self.member)),
                "departments": current_departments,
            },
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(member=self.member, **kwargs)

    def form_valid(self, form):
        departments = list(form.cleaned_data["departments"])
        try:
            staff_roles_set(
                municipality=self.municipality,
                user=self.member,
                roles=dict.fromkeys(form.cleaned_data["roles"], departments),
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("%(name)s さんの役割と担当部署を保存しました。")
            % {"name": self.member},
        )
        return self.redirect_to("city:staff")


class StaffDeactivateView(StaffMemberMixin, TemplateView):
    """GET: what deactivation does, for this person; POST: do it."""

    template_name = "municipality/staff_deactivate.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            member=self.member,
            roles=[
                m.get_role_display() for m in self.memberships(self.member).values()
            ],
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        member = self.member
        try:
            staff_deactivate(
                municipality=self.municipality, user=member, actor=request.user
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return self.redirect_to("city:staff")
        messages.success(
            request,
            gettext(
                "%(name)s さんの利用を停止しました。この自治体のページは"
                "もう開けません。"
            )
            % {"name": member},
        )
        return self.redirect_to("city:staff")
