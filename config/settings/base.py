"""Settings shared by every environment, read from the environment.

Each setting has a default that lets a newcomer run the portal with no
services: SQLite, Celery tasks run eagerly, email to a local folder, files on
local disk. Production and CI set the environment variables documented in
README.md.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def gettext_noop(text: str) -> str:
    """Marks ``text`` for makemessages; it is translated where it is used.
    (Importing django.utils.translation here would load Django too early.)"""
    return text


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Apps ---------------------------------------------------------------------

INSTALLED_APPS = [
    # django.contrib.admin with config.admin.PortalAdminSite as admin.site.
    "config.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    # allauth.account and allauth.mfa, with names of their own in the admin.
    "accounts.allauth_apps.AllauthAccountConfig",
    "accounts.allauth_apps.AllauthMfaConfig",
    "import_export",
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "peppol",
    # django-ninja for its OpenAPI reference page's static files.
    "ninja",
    "api",
    "operations",
    "procurement",
    "demo",
]

MIDDLEWARE = [
    # First: every response carries the request's id, redirects included.
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything else that answers, so that every page and refusal has
    # them (static files from WhiteNoise are not pages).
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.CacheControlMiddleware",
    # Before anything reads the body (sessions, CSRF, views).
    "config.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: their chosen language, else the one chosen
    # on the login page, else Japanese. Before the messages middleware, so
    # that messages (often lazy strings) are stored in that language.
    "accounts.middleware.UserLanguageMiddleware",
    # Logs calls made with an API key once their answer is known.
    "api.middleware.ApiCallLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that every view and every template render runs in its scope.
    "config.tenancy.TenantScopeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.roles",
            ],
        },
    },
    {
        # Plain-text email: no HTML escaping of names such as "A&B商事".
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"autoescape": False},
    },
]

# Data ---------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False


def database_tuned(database: dict) -> dict:
    """``database`` planned for what the portal's queries are:

    - no JIT compilation: the pages' queries run in milliseconds, but the
      estimated cost of some (per-row subqueries, bounded counts) passes
      ``jit_above_cost``, and compiling them took 100 ms and more;
    - ``random_page_cost`` 1.1, as for SSDs and a cached working set,
      instead of 4, a spinning disk's: at 4 the planner took reading an
      invoice's row for dearer than building a bitmap of all the city's
      300,000 invoices to AND with the ones it wanted, and a city-wide
      list by 取引日 took 50 ms instead of 3."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["OPTIONS"] = {
            **database.get("OPTIONS", {}),
            "options": "-c jit=off -c random_page_cost=1.1",
        }
    return database


database_tuned(DATABASES["default"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The payment notices' covering index (INCLUDE) is PostgreSQL's; SQLite,
    # the demo's database, builds it without the included column.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The suppliers' REST API: calls per key (django-ninja's "N/s|m|h|d"),
# counted in the cache (Redis when several processes serve the API).
API_RATE_LIMIT = env("API_RATE_LIMIT", default="120/m")
# Webhooks go to HTTPS addresses on the internet only; development and the
# tests send to a receiver on this machine.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False
)

# Files --------------------------------------------------------------------
# Uploaded and generated files (PDFs, attachments) go to local disk unless an
# S3-compatible bucket is configured.

MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

FILE_UPLOAD_PERMISSIONS = 0o640

# A ZIP of invoices' documents (stored PDFs, attachments and an index CSV)
# for up to this many invoices is built while the user waits; a larger one
# by a Celery task, with a progress page and a download link when ready.
INVOICE_ZIP_INLINE_LIMIT = env.int("INVOICE_ZIP_INLINE_LIMIT", default=50)
# Such ZIPs are listed to the user who asked for them, then deleted (file
# and row) by a daily job after this many days.
INVOICE_ZIP_KEEP_DAYS = env.int("INVOICE_ZIP_KEEP_DAYS", default=7)

# The largest file anyone may upload: the CSV bulk upload (20 MB). The other
# limits are below it (attachments 10 MB each, seal image 1 MB); a test keeps
# them there.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Form fields other than files (Django's default, 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A longer request body is refused (413) before it is read: the largest
# upload, the form's other fields and the multipart framing around them.
REQUEST_BODY_MAX_BYTES = MAX_UPLOAD_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE

# Users and login ----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
# Accounts come from invitations, which prove the address.
ACCOUNT_EMAIL_VERIFICATION = "none"
# Password reset mail goes only to a verified address of an account: nothing
# to addresses that are unverified or unknown.
ACCOUNT_FORMS = {"reset_password": "accounts.forms.VerifiedResetPasswordForm"}
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# accounts.adapters uses EMAIL_SUBJECT_PREFIX, translated, for allauth's mail.
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
# Failed logins: 10 a minute per IP address, 5 per 5 minutes per address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# The client address that rate limits count (allauth's and
# accounts.ratelimit's): behind N reverse proxies of our own, the N-th
# address from the right of X-Forwarded-For; with 0, the header is ignored
# and REMOTE_ADDR is used. Or a header a trusted proxy sets, e.g. X-Real-IP.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = (
    env("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None
)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "請求書ポータル"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12

# Email --------------------------------------------------------------------
# EMAIL_URL such as smtp+tls://user:password@smtp.example.jp:587 sends real
# mail; without it, messages are written to EMAIL_FILE_PATH.

EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "accounts.mail.FolderEmailBackend"
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", default="請求書ポータル <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Translated when a mail is rendered (accounts.emails.email_subject_prefix).
EMAIL_SUBJECT_PREFIX = gettext_noop("[請求書ポータル] ")
# Absolute links in emails (invitations) start with this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Exports ------------------------------------------------------------------
# The admin exports with accounts.spreadsheets.FormulaSafeCSV, which escapes
# every formula character; this catches a format added without it.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Peppol -------------------------------------------------------------------
# The official validation artefacts (UBL 2.1 XSD, JP PINT and T111 XSLT), as
# published: a folder holding ubl-2.1/, jp-pint/ and invoice-response/. Unset:
# documents get the portal's own checks only.

PEPPOL_ARTIFACTS_DIR = env("PEPPOL_ARTIFACTS_DIR", default="")
# Larger XML documents are refused before parsing (uploads, inbound).
PEPPOL_MAX_DOCUMENT_BYTES = env.int("PEPPOL_MAX_DOCUMENT_BYTES", default=5_242_880)
# The directory adapter's folders (outbox/, inbox/, processed/, failed/ per
# municipality) must lie under this folder, shared with the access-point
# provider (SFTP or a mount): a city administrator cannot point the portal
# at any other place on the server.
PEPPOL_EXCHANGE_ROOT = env("PEPPOL_EXCHANGE_ROOT", default=str(VAR_DIR / "peppol"))

# Celery -------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Eager tasks behave like a worker's: a failure is retried and recorded,
# never turned into an error page for the request that queued it.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# A task is acknowledged once done, and given back when the process running
# it dies (SIGKILL, out of memory), so another worker does it again; every
# task is idempotent. A message whose whole worker died (no one left to give
# it back) returns after the visibility timeout, which must outlast the
# longest task (a ZIP export: 60 minutes), or a slow task would be run twice
# at once. The sweeper (STALLED_WORK_GRACE_MINUTES) is the faster safety net
# for PDFs and mail.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
}
# Nothing reads task results (state lives in the database rows).
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Tokyo"
# How long a PDF or mail may wait for its task before the sweeper queues it
# again (a task only slow is harmless: both are idempotent).
STALLED_WORK_GRACE_MINUTES = env.int("STALLED_WORK_GRACE_MINUTES", default=10)
# Every schedule in one place; run `celery -A config beat` beside the worker.
CELERY_BEAT_SCHEDULE = {
    # 07:30 every day; the job itself skips weekends and holidays.
    "reminders-daily": {
        "task": "invoices.tasks.reminders_send_daily_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every 2 minutes: import what the municipalities' access points
    # received (inbox folders) and refresh the delivery status of what was
    # sent.
    # 03:15 every day: delete ZIP exports older than INVOICE_ZIP_KEEP_DAYS.
    "zip-exports-expire": {
        "task": "invoices.tasks.zip_exports_expire_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every 5 minutes: queue again PDFs and mails still waiting after
    # STALLED_WORK_GRACE_MINUTES (their task lost with a restarted Redis).
    "stalled-work-requeue": {
        "task": "operations.tasks.stalled_work_requeue_task",
        "schedule": crontab(minute="*/5"),
    },
    # 07:40 every day: suppliers are reminded of orders awaiting their 請書.
    "order-reminders-daily": {
        "task": "procurement.tasks.order_reminders_daily_task",
        "schedule": crontab(hour=7, minute=40),
    },
    "peppol-access-points-poll": {
        "task": "peppol.tasks.access_points_poll_task",
        "schedule": crontab(minute="*/2"),
    },
    # Every minute: suppliers' webhooks, new events and retries.
    "webhooks-tick": {
        "task": "api.tasks.webhooks_tick_task",
        "schedule": crontab(),
    },
}

# Language and time --------------------------------------------------------

# Japanese is the source language (every msgid); English is in
# locale/en/LC_MESSAGES/django.po, compiled by `make install`. A user picks
# theirs in their settings (accounts.middleware.UserLanguageMiddleware);
# anonymous visitors on the login page (Django's set_language). Each
# language is named in itself, as a switcher should show it.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Security -----------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
# Sent by config.middleware.ContentSecurityPolicyMiddleware: scripts and
# styles only from our own static files (no inline script, no style=).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # data: for the QR code of the two-factor setup page.
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Templates whose whole content may stand in a <style> block (allowed by
# hash): the printable invoice, which must also open as a file on its own.
CSP_INLINE_STYLE_TEMPLATES = ["invoices/print.css"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the request (or the task it queued) it was written
    # for: config.request_ids.
    "filters": {"request_id": {"()": "config.request_ids.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Replaces Django's own console handler, which would print every line twice.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # WeasyPrint and fontTools log every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
