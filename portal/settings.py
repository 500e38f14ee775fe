"""Settings of Cổng Một Cửa, read from environment variables (README "Configuration").

Safe defaults for development: with no DATABASE_URL the portal runs on SQLite under var/, with no
REDIS_URL the cache is a file cache and Celery uses kombu's filesystem transport, so `make run`
has a real worker and scheduler without any server. DEBUG is off unless asked for, and then a
SECRET_KEY (or SECRET_KEY_FILE) is required.
"""

import hashlib
import hmac
from datetime import date, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    key_file = env.str("SECRET_KEY_FILE", default="")
    if not key and key_file:
        key = Path(key_file).read_text(encoding="utf-8").strip()
    if not key:
        if not DEBUG:
            raise ImproperlyConfigured(
                "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off."
            )
        key = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- the province -------------------------------------------------------------------------
PORTAL_PROVINCE_NAME = env.str("PORTAL_PROVINCE_NAME", default="Tỉnh Thái Nguyên")
PORTAL_SITE_NAME = env.str("PORTAL_SITE_NAME", default="Cổng Một Cửa")
# Default working hours of every agency (an agency may override them in admin).
# Issue #2 default 07:30–11:30, 13:30–17:00 (DOMAIN.md §6 quotes 07:00 in one system: configurable).
PORTAL_WORKING_HOURS = env.str("PORTAL_WORKING_HOURS", default="07:30-11:30,13:30-17:00")
# Same-day services received after this time are due the next working day.
# [K] DOMAIN-2025.md §3.4 / N29–N30 (NĐ 61/2018 Art. 18 as recalled): default 15:00.
PORTAL_SAME_DAY_CUTOFF = env.str("PORTAL_SAME_DAY_CUTOFF", default="15:00")
# How many times an agency may apologise and set a new appointment (Mẫu 04; N32 [K], default 1).
# Deadline jobs: at most this many new alerts (or apology drafts) per run and kind; a full
# batch starts the next run at once, so a backlog drains in bounded transactions.
PORTAL_DEADLINE_BATCH = env.int("PORTAL_DEADLINE_BATCH", default=10_000)
PORTAL_MAX_APOLOGIES = env.int("PORTAL_MAX_APOLOGIES", default=1)
# The near-due warning window, in working days (issue 6; DOMAIN-2025.md N31 [K], default 1).
PORTAL_NEAR_DUE_WORKING_DAYS = env.int("PORTAL_NEAR_DUE_WORKING_DAYS", default=1)
# Who receives the 2-day duty report by e-mail (comma-separated addresses).
PORTAL_DUTY_REPORT_RECIPIENTS = env.list("PORTAL_DUTY_REPORT_RECIPIENTS", default=[])
# The new appointment an apology draft suggests, after the due time (leaders change it) [K].
PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS = env.int("PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS",
                                                default=2)
# The seeds' KPI targets in % (issue 9, baocao.kpis): the default target of each KPI by id.
REPORT_KPI_TARGETS = {"online_dossiers": 50, "online_procedures_with_dossiers": 80,
                      "digitised_dossiers": 100, "on_time": 100}
# A report over more days than this, or for a whole province, runs in the background (issue 9).
REPORT_BACKGROUND_DAYS = env.int("REPORT_BACKGROUND_DAYS", default=92)
# A report job unfinished this long after it was asked for is recorded as failed (lost task).
REPORT_JOB_TIMEOUT_MINUTES = env.int("REPORT_JOB_TIMEOUT_MINUTES", default=60)

# Public address of the portal, printed in QR codes and e-mails (tracking links).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- dossiers (hoso) ------------------------------------------------------------------------
# Uploaded papers: outside the web root, served only through authorised views.
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
# SECURITY.md B1 #21: PDF/JPEG/PNG, ≤ 10 MB a file, ≤ 50 MB a dossier.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_MB", default=10) * 1024 * 1024
UPLOAD_MAX_DOSSIER_BYTES = env.int("UPLOAD_MAX_DOSSIER_MB", default=50) * 1024 * 1024
# An online dossier must be checked within this many working hours, else it is flagged
# "tiếp nhận quá hạn" [K] DOMAIN.md §1 step 3, DOMAIN-2025.md N16 (NĐ 45/2020 pattern).
INTAKE_CHECK_WORKING_HOURS = env.int("INTAKE_CHECK_WORKING_HOURS", default=8)
# Dossier code: TT 01/2018 Art. 19 `<unit code>-YYMMDD-XXXX` until the TT 03/2025 format is
# confirmed [U]; whether the unit is the receiving or the deciding one is a setting (N18).
DOSSIER_CODE_FORMAT = env.str("DOSSIER_CODE_FORMAT", default="{unit}-{date:%y%m%d}-{seq:04d}")
DOSSIER_CODE_UNIT = env.str("DOSSIER_CODE_UNIT", default="receiving")
# Slips: the TT 01/2018 forms before 15/9/2025, the TT 03/2025 set from then on (N49).
SLIP_TT03_FROM = date.fromisoformat(env.str("SLIP_TT03_FROM", default="2025-09-15"))
# Public tracking: attempts per client address (django-ratelimit syntax).
TRACKING_RATE = env.str("TRACKING_RATE", default="10/m")

# A demo site (make run): seed_demo may create the documented demo accounts. Production
# settings refuse seed_demo unless forced (SECURITY.md B1 #4).
PORTAL_DEMO = env.bool("PORTAL_DEMO", default=DEBUG)
# What `seed_demo` runs, in order: each app seeds its own part (dependencies point one way).
PORTAL_DEMO_SEEDERS = ["portal.demo.seed_demo", "tthc.demo.seed_catalogue",
                       "hoso.signing.seed_demo_certificates", "hoso.demo.seed_dossiers",
                       "hoso.demo_history.seed_history", "baocao.periodic.demo.seed_periodic"]

# --- digitisation (hoso.services.digitisation) -----------------------------------------------
# Pages one merged scan of a paper may have (the file limits of intake apply as well).
DIGITISE_MAX_PAGES = env.int("DIGITISE_MAX_PAGES", default=100)

# --- signed e-results (hoso.signing; DOMAIN-2025.md N35–N37) -------------------------------
# The demo provincial CA issues agency certificates on first use: the demo and tests only.
# Off, an agency without a certificate (database row or PKCS#12 file) cannot sign.
ESIGN_DEMO_CA = env.bool("ESIGN_DEMO_CA", default=PORTAL_DEMO)
# Encrypts the agencies' keys stored in the database (PKCS#8). Derived from SECRET_KEY when
# unset: then changing SECRET_KEY makes the stored keys unreadable; set it in production.
ESIGN_KEY_PASSPHRASE = env.str("ESIGN_KEY_PASSPHRASE", default="") or hmac.new(
    SECRET_KEY.encode(), b"cong-mot-cua:esign-key-passphrase", hashlib.sha256).hexdigest()
# Production keys: one PKCS#12 file per agency, `<agency code>.p12`, in this folder.
ESIGN_PKCS12_DIR = env.str("ESIGN_PKCS12_DIR", default="")
ESIGN_PKCS12_PASSPHRASE = env.str("ESIGN_PKCS12_PASSPHRASE", default="")
if not ESIGN_PKCS12_PASSPHRASE and env.str("ESIGN_PKCS12_PASSPHRASE_FILE", default=""):
    ESIGN_PKCS12_PASSPHRASE = Path(env.str("ESIGN_PKCS12_PASSPHRASE_FILE")).read_text(
        encoding="utf-8").strip()
# Root certificates (PEM or DER files) trusted besides the CA rows: the national CA's root.
ESIGN_TRUST_ROOTS = env.list("ESIGN_TRUST_ROOTS", default=[])
# RFC 3161 time-stamping authority: signatures become PAdES B-T. Empty: no timestamp.
ESIGN_TSA_URL = env.str("ESIGN_TSA_URL", default="")
ESIGN_TSA_TIMEOUT = env.int("ESIGN_TSA_TIMEOUT", default=10)
# Dotted path of a callable returning a pyHanko TimeStamper, used instead of ESIGN_TSA_URL
# (tests and benchmarks stamp in-process).
ESIGN_TIMESTAMPER = env.str("ESIGN_TIMESTAMPER", default="")
# Public verification of e-results (/xac-thuc/): requests per client address.
VERIFY_RATE = env.str("VERIFY_RATE", default="30/m")

# --- payments (thanhtoan; PAYMENTS.md) ------------------------------------------------------
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["cash", "transfer", "vnpay",
                                                            "paygov"])
# The built-in sandbox gateways (VNPay wire format, the national platform's messages) at
# /sandbox/…: on in the demo (make run) and in tests; refused with DEBUG off unless
# ALLOW_SANDBOX_IN_PROD is set (a public demo site).
PAYMENT_SANDBOX = env.bool("PAYMENT_SANDBOX", default=PORTAL_DEMO)
ALLOW_SANDBOX_IN_PROD = env.bool("ALLOW_SANDBOX_IN_PROD", default=False)
PAYMENT_ATTEMPT_MINUTES = env.int("PAYMENT_ATTEMPT_MINUTES", default=15)  # vnp_ExpireDate
PAYMENT_POLL_AFTER_MINUTES = env.int("PAYMENT_POLL_AFTER_MINUTES", default=30)  # DOMAIN §7
PAYMENT_POLL_MAX_DAYS = env.int("PAYMENT_POLL_MAX_DAYS", default=3)
# Receipt series (ký hiệu biên lai) [U: each province registers its own with the tax office]
PAYMENT_RECEIPT_SERIES = env.str("PAYMENT_RECEIPT_SERIES", default="BL{kind}/{yy}E")
_SANDBOX_BASE = PORTAL_BASE_URL.rstrip("/") + "/sandbox"
VNPAY_TMN_CODE = env.str("VNPAY_TMN_CODE", default="DEMO0001")
VNPAY_HASH_SECRET = env.str("VNPAY_HASH_SECRET", default="TESTSECRETTESTSECRETTESTSECRET12")
VNPAY_PAY_URL = env.str("VNPAY_PAY_URL", default=_SANDBOX_BASE + "/vnpay/paymentv2/vpcpay.html")
VNPAY_API_URL = env.str("VNPAY_API_URL",
                        default=_SANDBOX_BASE + "/vnpay/merchant_webapi/api/transaction")
PAYGOV_MERCHANT = env.str("PAYGOV_MERCHANT", default="DEMO_TN")
PAYGOV_SECRET = env.str("PAYGOV_SECRET", default="PAYGOV-DEMO-SECRET-0123456789")
PAYGOV_INIT_URL = env.str("PAYGOV_INIT_URL", default=_SANDBOX_BASE + "/paygov/api/init")
PAYGOV_QUERY_URL = env.str("PAYGOV_QUERY_URL", default=_SANDBOX_BASE + "/paygov/api/query")
# Outbound calls to gateways: (connect, read) seconds (PAYMENTS.md A2)
PAYMENT_HTTP_TIMEOUT = (3, 10)

# Extra endpoints `make bench` measures against (a bare Django view). Off in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# --- applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "treebeard",
    "axes",
    "django_celery_beat",
    "portal",
    "tthc",
    "hoso",
    "thanhtoan",
    "baocao",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share the file: WAL and immediate transactions avoid "locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # The demo's SQLite builds the reports' covering index without its INCLUDE columns
    # (hoso.Dossier dossier_finished_report): correct, only not index-only; PostgreSQL has them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # Reusing connections is worth ~3.4x throughput (DESIGN.md §6).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Celery ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="cmc")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
    # kombu's filesystem transport needs no server: the demo's worker and beat really run.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)

CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Save PeriodicTask.last_run_at after every dispatch: /healthz reads it as the scheduler's pulse.
CELERY_BEAT_SYNC_EVERY = 1
# The schedule is declared in code and copied into django-celery-beat's tables, where an
# administrator may edit it (STYLE.md §4.6).
CELERY_BEAT_SCHEDULE = {
    "portal-heartbeat": {
        "task": "portal.record_heartbeat",
        "schedule": timedelta(seconds=30),
    },
    "portal-redeliver-notifications": {
        "task": "portal.redeliver_lost_notifications",
        "schedule": timedelta(minutes=5),
    },
    "job-near-due-scan": {
        "task": "portal.run_job", "args": ["near_due_scan"],
        "schedule": timedelta(minutes=15),
    },
    "job-apology-check": {
        "task": "portal.run_job", "args": ["apology_check"],
        "schedule": timedelta(minutes=15),
    },
    "job-duty-report": {  # every 2 days at 16:30 local time, before 17:00
        "task": "portal.run_job", "args": ["duty_report"],
        "schedule": crontab(hour=16, minute=30, day_of_month="*/2"),
    },
    "job-kpi-snapshot": {  # every KPI × every agency, every 2 days at 16:30 local time
        "task": "portal.run_job", "args": ["kpi_snapshot"],
        "schedule": crontab(hour=16, minute=30, day_of_month="*/2"),
    },
    "job-overdue-sweep": {
        "task": "portal.run_job", "args": ["overdue_sweep"],
        "schedule": timedelta(minutes=15),
    },
    "job-payment-poll": {  # attempts still pending 30 min – 3 days: ask the gateway
        "task": "portal.run_job", "args": ["payment_poll"],
        "schedule": timedelta(minutes=10),
    },
    "job-periodic-open": {  # periodic reports: open the periods that started, 00:15 local
        "task": "portal.run_job", "args": ["periodic_open"],
        "schedule": crontab(hour=0, minute=15),
    },
    "job-periodic-remind": {  # periodic reports: reminders before/after the deadline, 08:00
        "task": "portal.run_job", "args": ["periodic_remind"],
        "schedule": crontab(hour=8, minute=0),
    },
    "hoso-write-receipt-messages": {
        "task": "hoso.write_receipt_messages",
        "schedule": timedelta(minutes=1),
    },
}
# /healthz: how old a worker heartbeat or a scheduler dispatch may be before it counts as dead.
HEALTH_MAX_AGE = timedelta(seconds=env.int("HEALTH_MAX_AGE_SECONDS", default=120))

# --- authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:landing"
LOGOUT_REDIRECT_URL = "portal:home"

# django-guardian: no anonymous user row; object permissions live on Agency only.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes (SECURITY.md B1 #1): 5 failures, 15 minutes cool-off, by username and username+IP.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.lockout"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# --- security -----------------------------------------------------------------------------
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# --- language, time, formats --------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["portal.formats"]

# --- static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- e-mail -------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cổng Một Cửa <no-reply@localhost>")

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cổng Một Cửa API",
    "DESCRIPTION": "API của Cổng Một Cửa (phiên bản 1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"DossierStatusEnum": "hoso.choices.DossierStatus"},
}

# --- logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}},
}

# --- notifications: SMS (portal/sms.py, portal/notifications.py) --------------------------
# E-mail goes through EMAIL_URL above; SMS through the backend named here by dotted path:
# portal.sms.ConsoleSmsBackend (prints), portal.sms.FileSmsBackend (JSON lines in SMS_FILE_PATH)
# or portal.sms.HttpSmsBackend (the generic HTTP gateway below). Nothing leaves the machine
# until a gateway is configured.
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="portal.sms.ConsoleSmsBackend" if DEBUG else "portal.sms.FileSmsBackend",
)
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms.log"))
# The gateway receives POST {"to": "+84…", "text": …, "sender": SMS_SENDER} as JSON with
# "Authorization: Bearer <SMS_HTTP_TOKEN>"; the token may come from a file (SMS_HTTP_TOKEN_FILE).
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
if not SMS_HTTP_TOKEN and env.str("SMS_HTTP_TOKEN_FILE", default=""):
    SMS_HTTP_TOKEN = Path(env.str("SMS_HTTP_TOKEN_FILE")).read_text(encoding="utf-8").strip()
# Seconds before a gateway call counts as a temporary failure (the task retries it).
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# The registered brand name (or number) messages are sent from.
SMS_SENDER = env.str("SMS_SENDER", default="MOTCUA")
# The 766-style score's groups, indicators, maxima, thresholds and grade bands (baocao.score766).
SCORE_766_CONFIG = env.str("SCORE_766_CONFIG", default=str(BASE_DIR / "baocao/data/score766.json"))
