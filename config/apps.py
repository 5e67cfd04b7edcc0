from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The Django admin, with the portal's admin site as ``admin.site``."""

    default_site = "config.admin.PortalAdminSite"

    def ready(self):
        super().ready()  # imports every app's admin module
        import config.user_admin  # noqa: F401

        # The treasury lives inside municipality's package without being an
        # app, so autodiscovery does not find its admin module.
        import municipality.treasury.admin  # noqa: F401
