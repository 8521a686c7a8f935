"""Settings for the Jiangjin film-industry support service.

Everything that differs between a laptop and a production host comes from the environment
(django-environ). The defaults are safe for local use: SQLite in the repo, DEBUG off, and a
development secret key that production refuses to start with.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# "production" turns on every guard below; anything else is a development or test machine.
ENVIRONMENT = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


def check_production_settings(secret_key: str, allowed_hosts: list[str], debug: bool) -> None:
    """Refuse to start a production service that would sign sessions with a known key."""
    problems = []
    if not secret_key or secret_key == DEV_SECRET_KEY or len(secret_key) < 50 or len(set(secret_key)) < 5:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS must list the host names this service answers to")
    if debug:
        problems.append("DEBUG must be off")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")


if IS_PRODUCTION:
    check_production_settings(SECRET_KEY, ALLOWED_HOSTS, DEBUG)

INSTALLED_APPS = [
    # Before the admin: English texts beside the Chinese policy data (policies/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "import_export",
    # Before django_tasks_db: invest's db_worker (which requeues tasks of dead workers) shadows the library's.
    "invest",
    "django_tasks",
    "django_tasks_db",
    "companies",
    "companies.investment",
    "policies",
    "applications",
    "applications.documents",
    "applications.obligations",
    "applications.statistics",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL character in a query parameter is a 400 in the person's language, before any query sees it.
    "invest.errors.BadQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One shared-cache read per request for the user's roles and companies, the calendar and the choices.
    "invest.hotcache.RequestCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "invest.security.PermissionsPolicyMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses every login while an account is locked out (django-axes), then the others decide.
    "invest.security.AxesBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "invest.urls"
# Django's widget templates, with the plain inputs and selects written out in Python (the same HTML).
FORM_RENDERER = "invest.forms_renderer.FastWidgetRenderer"
WSGI_APPLICATION = "invest.wsgi.application"

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
                "applications.portal.context.portal",
                "invest.notify.inbox_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
else:
    # PostgreSQL starts a server process per connection: keep each worker's connection for a minute instead
    # of opening one per request (about a third of a small page's time on this machine). The health check
    # replaces a connection the server dropped (a restart, a failover) before a request uses it.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the embedded database.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for every process and host, so the API throttles (10 token requests a minute, ...) hold across
# gunicorn workers: the database cache by default (nothing new to run; `manage.py createcachetable` makes its
# table, `make migrate` runs it), Redis with CACHE_URL=redis://host:6379/0 (Django's own Redis backend,
# needs the `redis` package). A per-process memory cache let 4 workers answer 35 of 40 token requests.
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://django_cache")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
# The cache holds two entries per signed-in user (invest.hotcache): the database cache's default of 300 entries
# would evict them all the time (and count its rows on every write).
if CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Policy data (item names, conditions, titles) in English beside the Chinese: django-modeltranslation. Chinese is
# the default and the fallback: an English page shows the Chinese text wherever no English has been entered.
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_LANGUAGES = ("zh-hans", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("zh-hans",)}
# A text given without a language (imports, factories, code) is the Chinese one.
MODELTRANSLATION_AUTO_POPULATE = "default"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Uploaded materials and generated documents: never served from a public URL,
    # only through permission-checked views.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("FILE_STORE", default=BASE_DIR / "var" / "files")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
MEDIA_ROOT = env.path("FILE_STORE", default=BASE_DIR / "var" / "files")
# Several app hosts share one object store: an S3-compatible bucket (MinIO, Ceph, the government cloud's object
# store) through django-storages, when STORAGE_URL=s3://<bucket> or AWS_STORAGE_BUCKET_NAME is given, with the
# usual AWS_* settings (AWS_S3_ENDPOINT_URL for a store that is not Amazon's, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME). Objects stay private (no ACL, no public URL): every file is read
# through the permission-checked views, as from the local folder. The WeasyPrint font cache stays local.
S3_BUCKET = env.str("AWS_STORAGE_BUCKET_NAME", default="")
_storage_url = env.str("STORAGE_URL", default="")
if _storage_url:
    if not _storage_url.startswith("s3://") or not _storage_url[5:].strip("/"):
        raise ImproperlyConfigured(f"STORAGE_URL must read s3://<bucket>, not {_storage_url!r}")
    S3_BUCKET = _storage_url[5:].strip("/")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A task RUNNING for longer than this many seconds belongs to a dead worker: db_worker queues it again
# (invest.task_queue). Far longer than any task (a PDF takes well under a second); a task whose workers
# died TASKS_MAX_ATTEMPTS times is marked failed instead.
TASKS_STALE_AFTER = env.float("TASKS_STALE_AFTER", default=600.0)
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=3)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@jiangjin-film.example")

# Notifications (invest.notify): e-mail and SMS go out from a task, retried NOTIFY_MAX_ATTEMPTS times, the n-th
# retry NOTIFY_RETRY_DELAY × 2^(n-1) seconds later. SMS_BACKEND is a class with send(phone, text) (invest.sms).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_RETRY_DELAY = env.int("NOTIFY_RETRY_DELAY", default=60)
SMS_BACKEND = env.str("SMS_BACKEND", default="invest.sms.LoggingSMSBackend")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Public base URL, printed in QR codes on generated documents.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Security: on in production, harmless elsewhere.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the material preview view opts in with @xframe_options_sameorigin
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Login throttling (django-axes, invest/security.py): 5 failed logins for one user name from one address
# lock that pair out for 15 minutes; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "invest.security.lockout_response"
AXES_USERNAME_CALLABLE = "invest.security.axes_username"
# Behind nginx every request comes from 127.0.0.1: list the proxies' addresses (or networks) in TRUSTED_PROXIES
# and the client address is taken from their X-Forwarded-For (invest.security.client_ip), for the lockout and
# the API throttles; from any other address X-Forwarded-For is ignored. Empty: REMOTE_ADDR is the client.
try:
    TRUSTED_PROXIES = [str(ipaddress.ip_network(p, strict=False)) for p in env.list("TRUSTED_PROXIES", default=[])]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES must list IP addresses or networks (e.g. 127.0.0.1,10.0.0.0/8): {exc}")
AXES_CLIENT_IP_CALLABLE = "invest.security.client_ip"
AXES_COOLOFF_MESSAGE = _("登录失败次数过多，登录已暂时锁定。请稍后再试，或联系管理员。")

# Content Security Policy (django-csp 4): only this server's own scripts, styles, images and fonts; no
# inline scripts or styles anywhere, so injected markup cannot run. Templates must keep scripts in files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Staff sessions end after 8 hours and when the browser closes, so an unattended office PC logs out.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
if IS_PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Uploads (invest/uploads.py): per-file and per-case limits, and virus scanning through clamd's unix
# socket when CLAMAV_SOCKET is set (an unreachable scanner refuses uploads rather than skipping the scan).
UPLOAD_MAX_FILE_SIZE = env.int("UPLOAD_MAX_FILE_SIZE", default=20 * 1024 * 1024)
UPLOAD_MAX_CASE_TOTAL = env.int("UPLOAD_MAX_CASE_TOTAL", default=200 * 1024 * 1024)
CLAMAV_SOCKET = env.str("CLAMAV_SOCKET", default="")
# Production refuses to start without CLAMAV_SOCKET (invest/checks.py) unless scanning is switched off on
# purpose with CLAMAV_DISABLED=1; the manager dashboard then says that uploads are not scanned.
CLAMAV_DISABLED = env.bool("CLAMAV_DISABLED", default=False)
CLAMAV_TIMEOUT = env.float("CLAMAV_TIMEOUT", default=30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Labels of the roles (Django groups). Keys are fixed identifiers; labels are translated.
ROLES = {
    "applicant": _("申报单位"),
    "clerk": _("受理员"),
    "reviewer": _("初审员"),
    "expert": _("评审专家"),
    "approver": _("审定人"),
    "finance": _("财务"),
    "manager": _("管理员"),
    "auditor": _("审计"),
}

# REST API (/api/v1/): DRF with token and session authentication, one error format, throttling and
# pagination everywhere; the OpenAPI schema and its Swagger UI / ReDoc pages come from drf-spectacular and
# are served from local static files (sidecar), never from a CDN.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "invest.api.core.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["invest.api.core.AnonThrottle", "invest.api.core.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "invest.api.core.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "invest.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],  # uploads opt in to multipart
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "江津区影视产业扶持服务平台 API",
    "DESCRIPTION": "Jiangjin film-industry support service: policies, eligibility calculator, companies, "
    "applications and their workflow, documents. Errors are JSON objects with a machine-readable `code` and a "
    "human `detail` in the request's language (Accept-Language: zh-hans, en).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "applications.workflow.STATE_KEYS",
        "DocumentKindEnum": "applications.documents.constants.DocumentKind",
    },
}
