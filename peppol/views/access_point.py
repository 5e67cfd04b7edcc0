"""City console pages for Peppol (city administrators only; 404 for
everyone else)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.generic import FormView

from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin
from peppol.access_point.services import (
    access_point_settings_save,
    default_participant_id,
)
from peppol.forms import AccessPointSettingsForm
from peppol.models import AccessPointSettings, OutgoingMessage
from peppol.selectors import access_point_settings_get


class AccessPointSettingsView(CityRoleRequiredMixin, FormView):
    """アクセスポイントの設定: the city's Peppol ID and adapter."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "peppol/access_point_settings.html"
    form_class = AccessPointSettingsForm

    def get_form_kwargs(self):
        municipality = self.request.city.municipality
        instance = access_point_settings_get(municipality=municipality) or (
            AccessPointSettings(
                municipality=municipality,
                participant_id=default_participant_id(municipality),
            )
        )
        return {**super().get_form_kwargs(), "instance": instance}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            recent_messages=OutgoingMessage.objects.filter(
                municipality=self.request.city.municipality
            )
            .select_related("invoice")
            .order_by("-created_at")[:20],
            **kwargs,
        )

    def form_valid(self, form):
        access_point_settings_save(
            municipality=self.request.city.municipality,
            values={name: form.cleaned_data[name] for name in form.Meta.fields},
        )
        messages.success(
            self.request, gettext("アクセスポイントの設定を保存しました。")
        )
        return redirect(
            "city:peppol_settings",
            municipality_slug=self.request.city.municipality.slug,
        )
