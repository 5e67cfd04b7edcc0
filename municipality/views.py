"""The city area's role check (used by the city pages of every app) and
the city administrator's 設定・権限の変更履歴. The inbox, a department's page
and the administration overview read invoices and live in
``invoices.views.inbox`` and ``invoices.views.manage``."""

from django.views.generic import ListView

from accounts.twofactor import two_factor_enabled, two_factor_required_redirect
from municipality.models import StaffRole
from municipality.paging import NumberedPageMixin
from municipality.selectors import settings_event_list_for_municipality


class CityRoleRequiredMixin:
    """Lets through only staff holding one of ``required_roles`` in the
    municipality of the URL; everyone else gets 404. The middleware has
    already checked that the user is staff there (``request.city``).

    A city administrator (自治体管理者) of the municipality must have set up
    two-factor authentication first, on every page of it: the role widens
    what each page shows (every department) and what it allows."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        request.city.require_role(*self.required_roles)
        if request.city.has_role(StaffRole.CITY_ADMIN) and not two_factor_enabled(
            request.user
        ):
            return two_factor_required_redirect(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(city=self.request.city, **kwargs)


class AuditLogView(CityRoleRequiredMixin, NumberedPageMixin, ListView):
    """設定・権限の変更履歴: who changed the treasury settings (four-eyes,
    accounts, fees), the payment-deadline and reminder settings, or a staff
    role, when, and each field before and after. City administrators only;
    newest first, 50 per page."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/audit_log.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return settings_event_list_for_municipality(
            municipality=self.request.city.municipality
        )
