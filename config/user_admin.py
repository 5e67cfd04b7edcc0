"""The user admin with the user's memberships inline. Accounts knows nothing
of suppliers or cities, so the apps' inlines are added here, above them all
(``PortalAdminConfig.ready`` imports this after every app's admin)."""

from django.contrib import admin

from accounts.admin import UserAdmin
from accounts.models import User
from municipality.admin import StaffMembershipInline
from partners.admin import SupplierMembershipInline


class PortalUserAdmin(UserAdmin):
    inlines = (SupplierMembershipInline, StaffMembershipInline)


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
