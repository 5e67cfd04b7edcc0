"""The public invitation-request form (招待の申請), one per municipality."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import FormView, TemplateView

from accounts.ratelimit import client_ip, client_network, rate_limit_exceeded
from partners.forms.invitations import InvitationRequestForm
from partners.services.invitations import invitation_request_submit

RATE_LIMITED = gettext_lazy(
    "短時間に多くの申請がありました。1時間ほど待ってからもう一度送信してください。"
)


class InvitationRequestView(FormView):
    """Anyone may ask to be invited; ``request.public_municipality`` is set
    by the tenancy middleware."""

    template_name = "partners/invitation_request_form.html"
    form_class = InvitationRequestForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "municipality": self.request.public_municipality,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            municipality=self.request.public_municipality, **kwargs
        )

    def get_success_url(self):
        return reverse(
            "public:invitation_request_done",
            kwargs={"municipality_slug": self.request.public_municipality.slug},
        )

    def form_valid(self, form):
        if form.cleaned_data["website"]:
            # A bot filled the honeypot: answer as if all went well.
            return redirect(self.get_success_url())
        data = form.cleaned_data
        remote_addr = client_ip(self.request)
        if rate_limit_exceeded(
            scope="invitation_request_ip",
            key=client_network(self.request),
            limit=10,
            period=3600,
        ) or rate_limit_exceeded(
            scope="invitation_request_email",
            key=data["email"].lower(),
            limit=3,
            period=3600,
        ):
            form.add_error(None, RATE_LIMITED)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        try:
            invitation_request_submit(
                municipality=self.request.public_municipality,
                departments=list(data["departments"]),
                remote_addr=remote_addr,
                company_name=data["company_name"],
                company_name_kana=data["company_name_kana"],
                registration_number=form.instance.registration_number,
                contact_name=data["contact_name"],
                email=data["email"],
                phone=data["phone"],
                message=data["message"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("招待の申請を受け付けました。"))
        return super().form_valid(form)


class InvitationRequestDoneView(TemplateView):
    template_name = "partners/invitation_request_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            municipality=self.request.public_municipality, **kwargs
        )
