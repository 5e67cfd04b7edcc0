"""The city administrators' invitation console (招待の管理): requests to
approve or decline, direct invitations, resend and revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from municipality.models import StaffRole
from municipality.paging import NumberedPageMixin
from municipality.views import CityRoleRequiredMixin
from partners.forms.invitations import DeclineForm, InvitationForm
from partners.models import (
    Invitation,
    InvitationRequest,
    InvitationRequestStatus,
    InvitationStatus,
)
from partners.selectors import (
    email_mask,
    supplier_for_registration_number,
    supplier_owner_emails,
)
from partners.services.invitations import (
    invitation_create,
    invitation_request_approve,
    invitation_request_decline,
    invitation_resend,
    invitation_revoke,
)

# Invitation states as staff see them: "expired" is a sent invitation whose
# link has run out.
INVITATION_STATES = {
    "sent": gettext_lazy("送信済み（有効）"),
    "expired": gettext_lazy("期限切れ"),
    "accepted": gettext_lazy("承諾済み"),
    "revoked": gettext_lazy("取消済み"),
}


def _existing_supplier_context(registration_number: str, contact_email: str) -> dict:
    """What staff need to see before inviting a supplier that is already
    on the platform: who will be asked (masked addresses), and whether the
    contact address is one of them."""
    supplier = supplier_for_registration_number(registration_number)
    if supplier is None:
        return {"existing_supplier": None}
    owners = supplier_owner_emails(supplier=supplier)
    return {
        "existing_supplier": supplier,
        "owner_emails_masked": [email_mask(e) for e in owners],
        "contact_is_owner": contact_email.lower() in {e.lower() for e in owners},
    }


def _sent_to_owners_message(invitations) -> str:
    first = invitations[0]
    owners = supplier_owner_emails(supplier=first.supplier)
    message = gettext(
        "登録番号 %(number)s の取引先は既に登録されているため、"
        "取引先の管理者 %(owners)d名に%(count)d件の招待メールを送りました。"
    ) % {
        "number": first.supplier.registration_number,
        "owners": len(owners),
        "count": len(invitations),
    }
    if first.email.lower() not in {e.lower() for e in owners}:
        message += gettext(
            "%(email)s には、取引先の管理者に承諾を依頼したことを"
            "知らせました（取引先の利用者にはなりません）。"
        ) % {"email": first.email}
    return message


class ConsoleMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.CITY_ADMIN,)

    @property
    def municipality(self):
        return self.request.city.municipality

    def redirect_to(self, name, **kwargs):
        return redirect(name, municipality_slug=self.municipality.slug, **kwargs)


class InvitationRequestListView(ConsoleMixin, NumberedPageMixin, ListView):
    template_name = "partners/console/request_list.html"
    context_object_name = "requests"
    paginate_by = 50

    def get_queryset(self):
        requests = InvitationRequest.objects.filter(
            municipality=self.municipality
        ).prefetch_related("departments")
        status = self.request.GET.get("status", InvitationRequestStatus.PENDING)
        if status in InvitationRequestStatus.values:
            requests = requests.filter(status=status)
        return requests.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=InvitationRequestStatus.choices,
            current_status=self.request.GET.get(
                "status", InvitationRequestStatus.PENDING
            ),
            **kwargs,
        )


class InvitationRequestDetailView(ConsoleMixin, DetailView):
    template_name = "partners/console/request_detail.html"
    context_object_name = "invitation_request"

    def get_queryset(self):
        return InvitationRequest.objects.filter(
            municipality=self.municipality
        ).select_related("decided_by")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            decline_form=kwargs.pop("decline_form", None) or DeclineForm(),
            departments=self.object.departments.order_by("code"),
            invitations=self.object.invitations.select_related("department"),
            **_existing_supplier_context(
                self.object.registration_number, self.object.email
            ),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            if request.POST.get("action") == "approve":
                invitations = invitation_request_approve(
                    request=self.object, actor=request.user
                )
                if invitations[0].supplier_id is not None:
                    messages.success(request, _sent_to_owners_message(invitations))
                else:
                    messages.success(
                        request,
                        ngettext(
                            "申請を承認し、%(count)d件の招待メールを送信しました。",
                            "申請を承認し、%(count)d件の招待メールを送信しました。",
                            len(invitations),
                        )
                        % {"count": len(invitations)},
                    )
            else:
                form = DeclineForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(decline_form=form)
                    )
                invitation_request_decline(
                    request=self.object,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(
                    request, gettext("申請を見送り、理由をメールで伝えました。")
                )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return self.redirect_to("city:invitation_request", pk=self.object.pk)


class InvitationListView(ConsoleMixin, NumberedPageMixin, ListView):
    template_name = "partners/console/invitation_list.html"
    context_object_name = "invitations"
    paginate_by = 50

    def get_queryset(self):
        invitations = Invitation.objects.filter(
            municipality=self.municipality
        ).select_related("department", "invited_by", "accepted_by", "supplier")
        now = timezone.now()
        state = self.request.GET.get("state", "")
        filters = {
            "sent": Q(status=InvitationStatus.SENT, expires_at__gt=now),
            "expired": Q(status=InvitationStatus.SENT, expires_at__lte=now),
            "accepted": Q(status=InvitationStatus.ACCEPTED),
            "revoked": Q(status=InvitationStatus.REVOKED),
        }
        if state in filters:
            invitations = invitations.filter(filters[state])
        if query := self.request.GET.get("q", "").strip():
            invitations = invitations.filter(
                Q(email__icontains=query)
                | Q(company_name__icontains=query)
                | Q(supplier__legal_name__icontains=query)
            )
        return invitations.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            states=INVITATION_STATES,
            current_state=self.request.GET.get("state", ""),
            query=self.request.GET.get("q", ""),
            now=timezone.now(),
            **kwargs,
        )


class InvitationCreateView(ConsoleMixin, FormView):
    template_name = "partners/console/invitation_form.html"
    form_class = InvitationForm

    # Fields a link may fill in beforehand (e.g. from a received document
    # of an unknown sender, peppol's 宛先不明 queue).
    PREFILL = ("email", "company_name", "registration_number", "departments")

    def get_initial(self):
        initial = super().get_initial()
        for name in self.PREFILL:
            if name == "departments":
                if values := self.request.GET.getlist(name):
                    initial[name] = values
            elif value := self.request.GET.get(name, "").strip():
                initial[name] = value[:200]
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "municipality": self.municipality}

    def form_valid(self, form):
        try:
            invitations = invitation_create(
                municipality=self.municipality,
                departments=list(form.cleaned_data["departments"]),
                email=form.cleaned_data["email"],
                company_name=form.cleaned_data["company_name"],
                registration_number=form.cleaned_data["registration_number"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if invitations and invitations[0].supplier_id is not None:
            messages.success(self.request, _sent_to_owners_message(invitations))
        elif invitations:
            messages.success(
                self.request,
                ngettext(
                    "%(email)s に%(count)d件の招待メールを送信しました。",
                    "%(email)s に%(count)d件の招待メールを送信しました。",
                    len(invitations),
                )
                % {"email": form.cleaned_data["email"], "count": len(invitations)},
            )
        else:
            messages.info(
                self.request,
                gettext(
                    "選んだ部署への有効な招待はすでに送信済みです。"
                    "必要なら一覧から再送してください。"
                ),
            )
        return self.redirect_to("city:invitations")


class InvitationActionView(ConsoleMixin, View):
    """POST-only resend or revoke of one invitation."""

    action = ""

    def post(self, request, *args, **kwargs):
        invitation = get_object_or_404(
            Invitation.objects.filter(municipality=self.municipality),
            pk=kwargs["pk"],
        )
        try:
            if self.action == "resend":
                invitation_resend(invitation=invitation, actor=request.user)
                if invitation.supplier_id is not None:
                    messages.success(
                        request,
                        gettext(
                            "%(supplier)s の管理者に新しいリンクで"
                            "招待メールを再送しました。"
                        )
                        % {"supplier": invitation.supplier.legal_name},
                    )
                else:
                    messages.success(
                        request,
                        gettext("%(email)s に新しいリンクで招待メールを再送しました。")
                        % {"email": invitation.email},
                    )
            else:
                invitation_revoke(invitation=invitation, actor=request.user)
                messages.success(
                    request,
                    gettext("%(email)s への招待を取り消しました。")
                    % {"email": invitation.email},
                )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return self.redirect_to("city:invitations")
