from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _, ngettext

from accounts.models import EmailNotification, EmailStatus, User
from accounts.services import user_email_set_verified
from accounts.tasks import email_notification_send_task


class UserCreateForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    list_display = ("email", "name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "name", "password", "language")}),
        (
            _("権限"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("記録"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The address a platform administrator enters becomes the account's
        # verified one (password reset goes only to verified addresses).
        if not change or "email" in form.changed_data:
            user_email_set_verified(user=obj)


@admin.register(EmailNotification)
class EmailNotificationAdmin(admin.ModelAdmin):
    """Sent and failed mail: read-only, with a retry for failures."""

    list_display = ("created_at", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject", "key")
    readonly_fields = [f.name for f in EmailNotification._meta.fields]
    actions = ("retry",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("選んだ送信失敗メールを再送する"))
    def retry(self, request, queryset):
        failed = list(queryset.filter(status=EmailStatus.FAILED))
        for notification in failed:
            EmailNotification.objects.filter(pk=notification.pk).update(
                status=EmailStatus.PENDING
            )
            email_notification_send_task.delay(notification.pk)
        messages.success(
            request,
            ngettext(
                "%(count)d件のメールを再送しました。",
                "%(count)d件のメールを再送しました。",
                len(failed),
            )
            % {"count": len(failed)},
        )
