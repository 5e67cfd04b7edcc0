from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("メールアドレスは必須です。")
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

    email = models.EmailField("メールアドレス", unique=True)
    name = models.CharField("氏名", max_length=100, blank=True)
    is_staff = models.BooleanField(
        "管理サイト利用",
        default=False,
        help_text="プラットフォーム管理者として管理サイトにログインできます。",
    )
    is_active = models.BooleanField("有効", default=True)
    date_joined = models.DateTimeField("登録日時", default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "利用者"
        verbose_name_plural = "利用者"
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
        verbose_name="利用者",
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    invoice_events = models.BooleanField(
        "請求書の受付・開封・差戻し・承認のお知らせ", default=True
    )
    reminders = models.BooleanField("催促・支払期限のお知らせ", default=True)
    payment_notices = models.BooleanField("支払通知", default=True)
    announcements = models.BooleanField("運営からのお知らせ", default=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = "メール受信設定"
        verbose_name_plural = "メール受信設定"

    def __str__(self):
        return f"{self.user} のメール受信設定"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "送信待ち"
    SENT = "sent", "送信済み"
    FAILED = "failed", "送信失敗"


class EmailNotification(models.Model):
    """One email to one recipient (送信メール), kept so that each is sent
    exactly once and a failure stays visible.

    ``key`` names the event and the recipient (e.g. the invoice, what
    happened, and the address): a second attempt to send the same
    notification — a task run twice, a daily job run again — finds the row
    and sends nothing. The message is rendered when it is queued, so what
    was sent is what is stored.
    """

    key = models.CharField("識別キー", max_length=255, unique=True)
    to = models.EmailField("宛先")
    subject = models.CharField("件名", max_length=300)
    body = models.TextField("本文（テキスト）")
    html = models.TextField("本文（HTML）", blank=True)
    # A stored file sent along (e.g. a payment notice PDF), by storage name.
    attachment = models.CharField("添付ファイル", max_length=255, blank=True)
    attachment_filename = models.CharField("添付ファイル名", max_length=200, blank=True)
    status = models.CharField(
        "状態", max_length=10, choices=EmailStatus, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("送信回数", default=0)
    last_error = models.TextField("最後のエラー", blank=True)
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)

    class Meta:
        verbose_name = "送信メール"
        verbose_name_plural = "送信メール"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.to}: {self.subject}"


def user_display(user) -> str:
    """How allauth and the header name a user."""
    return str(user)
