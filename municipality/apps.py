from django.apps import AppConfig


class MunicipalityConfig(AppConfig):
    name = "municipality"
    verbose_name = "自治体"
