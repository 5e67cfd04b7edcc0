from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError(gettext("メールアドレスは必須です。"))
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in (利用者): supplier member, city staff or platform admin.

    What a user may see comes only from memberships: ``SupplierMembership``
    (partners) and ``StaffMembership`` (municipality). ``is_staff`` only opens
    the Django admin for platform administrators.
    """

    email = models.EmailField(_("メールアドレス"), unique=True)
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    is_staff = models.BooleanField(
        _("管理サイト利用"),
        default=False,
        help_text=_("プラットフォーム管理者として管理サイトにログインできます。"),
    )
    is_active = models.BooleanField(_("有効"), default=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    # A code of settings.LANGUAGES; empty: the site's language (Japanese).
    language = models.CharField(_("表示言語"), max_length=10, blank=True, default="")

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = pgettext_lazy("one user", "利用者")
        verbose_name_plural = _("利用者")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class NotificationSettings(models.Model):
    """Which emails a user wants (メール受信設定). Honoured by every sender
    through ``accounts.notifications``; mail about the account itself
    (password, invitations, bank account changes) is always sent."""

    user = models.OneToOneField(
        User,
        verbose_name=pgettext_lazy("one user", "利用者"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    invoice_events = models.BooleanField(
        _("請求書の受付・開封・差戻し・承認のお知らせ"), default=True
    )
    reminders = models.BooleanField(_("催促・支払期限のお知らせ"), default=True)
    payment_notices = models.BooleanField(_("支払通知"), default=True)
    announcements = models.BooleanField(_("運営からのお知らせ"), default=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("メール受信設定")
        verbose_name_plural = _("メール受信設定")

    def __str__(self):
        return gettext("%(user)s のメール受信設定") % {"user": self.user}


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("送信失敗")


class EmailNotification(models.Model):
    """One email to one recipient (送信メール), kept so that each is sent
    exactly once and a failure stays visible.

    ``key`` names the event and the recipient (e.g. the invoice, what
    happened, and the address): a second attempt to send the same
    notification — a task run twice, a daily job run again — finds the row
    and sends nothing. The message is rendered when it is queued, so what
    was sent is what is stored.
    """

    key = models.CharField(_("識別キー"), max_length=255, unique=True)
    to = models.EmailField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=300)
    body = models.TextField(_("本文（テキスト）"))
    html = models.TextField(_("本文（HTML）"), blank=True)
    # A stored file sent along (e.g. a payment notice PDF), by storage name.
    attachment = models.CharField(_("添付ファイル"), max_length=255, blank=True)
    attachment_filename = models.CharField(
        _("添付ファイル名"), max_length=200, blank=True
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=EmailStatus, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("送信回数"), default=0)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.to}: {self.subject}"


def user_display(user) -> str:
    """How allauth and the header name a user."""
    return str(user)
