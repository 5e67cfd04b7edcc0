from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalityConfig(AppConfig):
    name = "municipality"
    verbose_name = _("自治体")
