"""Settings for every environment, read from the process environment (see .env.example).

The defaults run the embedded configuration: SQLite under var/, the kombu filesystem broker and the database
cache. DJANGO_ENV=production refuses to start while any of those local defaults is still in force.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of the embedded run (SQLite file, filesystem broker, mail files, uploads): movable for tests.
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

env = environ.Env()


def _str(name: str, default: str) -> str:
    """An empty value counts as unset, so a copied .env.example with blanks keeps the defaults."""
    return env.str(name, default="") or default


DJANGO_ENV = _str("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

# A fixed key is only acceptable for the embedded demo; production refuses it below.
_LOCAL_SECRET_KEY = "local-only-insecure-key-suzhou-hk-pipeline"  # noqa: S105
SECRET_KEY = _str("SECRET_KEY", _LOCAL_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[]) or _LOCAL_HOSTS
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "django_celery_beat",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in lockout by username + address, and one-time codes (TOTP) for administrators.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Content-Security-Policy (its system checks; the middleware is core.middleware's subclass).
    "csp",
    # Our apps, in dependency order: a later app may import an earlier one, never the reverse.
    "core",
    "accounts",
    "directory",
    "talent",
    "projects",
    "funding",
    "reminders",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.InternetFacingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url_config(_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"))}
USING_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if USING_SQLITE:
    # Web, worker and beat share one file: WAL lets readers run beside a writer, IMMEDIATE takes the write lock
    # at BEGIN so two writers queue on the timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast when PostgreSQL is gone so /healthz and requests answer 503 instead of hanging.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 2)
    # Memory per sort before PostgreSQL spills to disk, for this application's connections. The funnel's median
    # sorts every time-in-stage of a year's cohort (~100,000 rows at 100,000 leads); the server default of 4MB
    # sends that sort to disk and doubles the dashboard's time.
    DATABASES["default"]["OPTIONS"].setdefault("options", f"-c work_mem={_str('PG_WORK_MEM', '32MB')}")
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache ----------------------------------------------------------------------------------------------------
# Never the per-process cache: throttles and invalidation must be shared by every web and worker process.
REDIS_URL = _str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
            "KEY_PREFIX": "shp",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shp_cache",
        }
    }

# --- Celery ---------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = _str("CELERY_BROKER_URL", "") or REDIS_URL or "filesystem://"
BROKER_FOLDER = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # One folder for both directions: the embedded run has one worker process that both sends and receives.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # Longer than the longest countdown we allow (5 minutes), so Redis never redelivers a waiting message.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The DatabaseScheduler copies these entries into its tables at start-up; admins may then tune them there.
CELERY_BEAT_SCHEDULE = {
    "purge-unattached-documents": {"task": "projects.tasks.purge_unattached_documents", "schedule": 3600.0},
    "reminders-sweep": {
        "task": "reminders.tasks.sweep",
        "schedule": float(env.int("REMINDER_SWEEP_SECONDS", default=60)),
    },
    # Once a day: contacts past the retention period are anonymized (talent.services.rights.retention_apply).
    "talent-retention": {"task": "talent.tasks.retention", "schedule": 86400.0},
    # Once a day: people registered at the same moment did not see each other; match the last two days again.
    "talent-identity-rescan": {"task": "talent.tasks.identity_rescan", "schedule": 86400.0},
    # Once a day: submission keys past SUBMISSION_KEY_DAYS are forgotten.
    "talent-submissions-purge": {"task": "talent.tasks.submissions_purge", "schedule": 86400.0},
    # Once a day: views and exports in the access log older than PERSONAL_DATA_LOG_DAYS are deleted.
    "talent-access-log-purge": {"task": "talent.tasks.access_log_purge", "schedule": 86400.0},
    # Hourly: uploaded import files of committed jobs, and of jobs older than IMPORT_FILE_DAYS, are deleted.
    "imports-purge": {"task": "core.tasks.imports_purge", "schedule": 3600.0},
    # Every 5 minutes: import jobs whose message was lost are sent to a worker again.
    "imports-requeue": {"task": "core.tasks.imports_requeue", "schedule": 300.0},
}

# --- Personal data ------------------------------------------------------------------------------------------------
# A contact nobody has met, written to or linked to a live lead for this many days is anonymized by the nightly
# retention task. 0 switches the task off.
CONTACT_RETENTION_DAYS = env.int("CONTACT_RETENTION_DAYS", default=3 * 365)
# Views and exports in the personal-data access log are deleted after this many days. 0 keeps them all.
PERSONAL_DATA_LOG_DAYS = env.int("PERSONAL_DATA_LOG_DAYS", default=730)
# How long a submission key (Idempotency-Key, a capture's client key) is remembered: a retry within it replays.
SUBMISSION_KEY_DAYS = env.int("SUBMISSION_KEY_DAYS", default=7)

# --- Events: the QR form and quick capture ------------------------------------------------------------------------
# The internet-facing setting (DESIGN §7): the same code serving only the attendees' QR form, quick capture (with
# the sign-in page recorders need) and static files; every other path answers 404.
INTERNET_FACING = env.bool("INTERNET_FACING", default=False)
INTERNET_FACING_PATHS = (
    "/r/",
    "/m/capture/",
    "/admin/login/",
    "/admin/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
)
# The address printed in the events' QR codes (the internet-facing host); empty = the address the page came from.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# QR form posts per client address and window (seconds). A venue's Wi-Fi puts a whole hall behind one address.
REGISTRATION_THROTTLE = (
    env.int("REGISTRATION_THROTTLE_COUNT", default=60),
    env.int("REGISTRATION_THROTTLE_SECONDS", default=600),
)
# Reverse proxies in front of the web processes: the client address is read that far from the right of
# X-Forwarded-For (0: REMOTE_ADDR).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- Funding ------------------------------------------------------------------------------------------------------
# A conversion uses the latest rate on or before its date, if it is at most this old; else it is refused.
EXCHANGE_RATE_MAX_AGE_DAYS = env.int("EXCHANGE_RATE_MAX_AGE_DAYS", default=31)

# --- Reporting ----------------------------------------------------------------------------------------------------
# Dashboard and funnel figures are cached this long per user and filters (0: never); any stage change, lead,
# signing or capital write starts a new generation at once.
REPORT_CACHE_SECONDS = env.int("REPORT_CACHE_SECONDS", default=60)
# A lead stuck longer than this in a stage without a stage-stuck reminder rule is listed as stalled.
STALLED_AFTER_DAYS = env.int("STALLED_AFTER_DAYS", default=60)
# An export with personal data of more rows than this asks for a reason (every such export is logged).
REPORT_EXPORT_REASON_ROWS = env.int("REPORT_EXPORT_REASON_ROWS", default=500)
# Exports with personal data one user may make in an hour (counted in the shared cache).
REPORT_PERSONAL_EXPORTS_PER_HOUR = env.int("REPORT_PERSONAL_EXPORTS_PER_HOUR", default=30)

# --- Imports ------------------------------------------------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=20000)
# Uploaded files of uncommitted imports are kept this long (the preview can be committed until then).
IMPORT_FILE_DAYS = env.int("IMPORT_FILE_DAYS", default=7)
# Time allowed to check or commit one import (seconds); the general task limit is far shorter.
IMPORT_TASK_SECONDS = env.int("IMPORT_TASK_SECONDS", default=1800)

# --- Reminders ------------------------------------------------------------------------------------------------
# How often the sweep writes due reminder rows and hands deliverable ones to workers.
REMINDER_SWEEP_SECONDS = env.int("REMINDER_SWEEP_SECONDS", default=60)
# A claimed row not finished within this time (a killed worker, a lost message) is claimed again by a sweep.
REMINDER_CLAIM_SECONDS = env.int("REMINDER_CLAIM_SECONDS", default=300)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=50)  # reminder ids per broker message
REMINDER_DISPATCH_LIMIT = env.int("REMINDER_DISPATCH_LIMIT", default=20000)  # rows claimed per sweep
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=8)
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", default=60)
REMINDER_RETRY_MAX_SECONDS = env.int("REMINDER_RETRY_MAX_SECONDS", default=3600)
# A once reminder whose trigger is older than this is not written (see reminders.sweep._stale_before).
REMINDER_ONCE_LOOKBACK_DAYS = env.int("REMINDER_ONCE_LOOKBACK_DAYS", default=14)
REMINDER_DIGEST_HOUR = env.int(
    "REMINDER_DIGEST_HOUR", default=8
)  # local hour from which daily digests go out
# Links in emails and WeCom messages point here.
SITE_URL = _str("SITE_URL", "http://127.0.0.1:8000")

# --- Documents ------------------------------------------------------------------------------------------------
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# A pass shows as blocked when one of its open milestones is this many days past due.
PASS_BLOCKED_AFTER_OVERDUE_DAYS = env.int("PASS_BLOCKED_AFTER_OVERDUE_DAYS", default=30)

# --- Passwords and login --------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# The lockout backend first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: after AXES_FAILURE_LIMIT failed sign-ins of one username from one address, that username is locked
# for that address only (a colleague behind the same office address is not) during the cool-off. Failures are
# counted in the database (AccessAttempt rows, listed in the admin, where deleting one unlocks it; also
# `manage.py axes_reset_username <username>`).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # hours, as axes reads a float
# Counted from the lockout: attempts during it neither extend it nor are stored.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Successful sign-ins go to the "accounts.auth" log instead of a table that would grow without end.
AXES_DISABLE_ACCESS_LOG = True
# The client address by the NUM_PROXIES rule of core.throttle, not axes' own reading of the headers.
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Values masked in the stored attempts' form data and in axes' own log lines (passwords always are); the
# "accounts.auth" log names the username and address instead.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "otp", "csrfmiddlewaretoken"]
# Administrators (the role, or superusers) sign in with a one-time code from an authenticator app (TOTP) on the
# admin and the token endpoint. The first administrator's device: `manage.py otp_add_device <username>`.
# A blank value (a copied .env.example) keeps the default: it must not switch the requirement off in production.
OTP_REQUIRED_FOR_ADMINS = (
    env.bool("OTP_REQUIRED_FOR_ADMINS") if _str("OTP_REQUIRED_FOR_ADMINS", "") else PRODUCTION
)
OTP_TOTP_ISSUER = _str("OTP_TOTP_ISSUER", "苏港通")
# Sessions end after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS after the sign-in however
# busy (accounts.middleware.SessionTimeoutMiddleware). The cookie and the stored session expire with the idle limit.
SESSION_IDLE_SECONDS = int(_str("SESSION_IDLE_SECONDS", str(30 * 60 if PRODUCTION else 8 * 3600)))
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS

# --- Languages and time ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need collectstatic first: the image runs it at build time (DJANGO_ENV=build).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if DJANGO_ENV in {"production", "build"}
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Audit history --------------------------------------------------------------------------------------------
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# --- Outgoing mail --------------------------------------------------------------------------------------------
if _str("EMAIL_URL", ""):
    EMAIL_CONFIG = env.email_url_config(_str("EMAIL_URL", ""))
    vars().update(EMAIL_CONFIG)
else:
    # Without a mail server (the embedded demo), each email is written as a file under var/mail to read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# A mail server that accepts the connection and then hangs must not hold a worker until its time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = _str("DEFAULT_FROM_EMAIL", "苏港通 <noreply@suzhou-hk.invalid>")

# --- WeCom (企业微信) ------------------------------------------------------------------------------------------
WECOM_CORP_ID = _str("WECOM_CORP_ID", "")
WECOM_AGENT_ID = _str("WECOM_AGENT_ID", "")
WECOM_SECRET = _str("WECOM_SECRET", "")
WECOM_WEBHOOK_URL = _str("WECOM_WEBHOOK_URL", "")
WECOM_API_BASE = _str("WECOM_API_BASE", "https://qyapi.weixin.qq.com")

# --- Security -------------------------------------------------------------------------------------------------
# Database sessions that know their user, so deactivating a user deletes their sessions at once. Sessions live in
# their own table: switching engines signs everyone out once.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The embedded demo runs on plain http://127.0.0.1, where secure cookies would never come back.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
SILENCED_SYSTEM_CHECKS: list[str] = []
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading binds the whole parent domain into browsers for months, a decision for whoever owns that domain,
    # not for this application: off unless asked for, and while off Django's deploy check recommending it is silenced.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Content-Security-Policy (django-csp): scripts, styles and fonts only from our own static files, no inline code
# or style in our templates, never framed. The admin is the exception, see core.middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
# Where browsers post what the policy blocked (and what the admin's report-only policy would block). Not kept as a
# setting named CSP_REPORT_URI: django-csp 4's system check takes that for an outdated configuration (csp.E001).
if _csp_report_uri := _str("CSP_REPORT_URI", ""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

# --- Logging --------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes announces its configuration at every start (every manage.py command); lockouts are WARNING and stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}


def _local_defaults_in_force() -> list[str]:
    problems = []
    # 50, as Django's deployment check (security.W009) asks.
    if SECRET_KEY == _LOCAL_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY is missing or too short (50+ random characters)")
    if DEBUG:
        problems.append("DEBUG is on")
    if USING_SQLITE:
        problems.append("DATABASE_URL is not set (SQLite is for the embedded demo only)")
    if CELERY_BROKER_URL.split("://")[0] in {"filesystem", "memory"}:
        problems.append(
            "neither CELERY_BROKER_URL nor REDIS_URL is set (the filesystem broker is for the demo)"
        )
    if not REDIS_URL:
        problems.append("REDIS_URL is not set (the shared cache must be Redis)")
    if ALLOWED_HOSTS == _LOCAL_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS is not set to the real host names")
    return problems


if PRODUCTION and (_problems := _local_defaults_in_force()):
    raise ImproperlyConfigured("DJANGO_ENV=production refuses local defaults: " + "; ".join(_problems))

# --- API (Django REST framework + drf-spectacular) ------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF takes the first authenticator's challenge, so an unauthenticated request gets 401 with
    # `WWW-Authenticate: Token` (session authentication has no challenge and would make it 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.ModelPermissions",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    # Counted in the default cache, which every web process shares (never a per-process cache).
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("API_AUTH_RATE", default="10/min"),
        "personal_data": env.str("API_PERSONAL_DATA_RATE", default="120/min"),
    },
    # Anonymous throttles (the token endpoint) count per client address, read as core.throttle reads it.
    "NUM_PROXIES": NUM_PROXIES,
    # Amounts are JSON numbers, always beside their currency field (DESIGN §5).
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "苏港通 · Suzhou–HK Pipeline API",
    "DESCRIPTION": "Leads of Hong Kong innovation resources through attraction → landing → conversion. "
    "Every list is scoped to what the signed-in user may see: anything outside that scope answers 404.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per shared choice set, instead of one per field that uses it.
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "core.money.Currency",
        "StageEnum": "projects.stages.Stage",
        # A lead's status keeps its published name now that milestones have a status too.
        "StatusEnum": "projects.models.Lead.Status",
        "ContactStatusEnum": "talent.models.Contact.Status",
    },
}
