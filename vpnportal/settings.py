"""vpnportal settings: everything comes from the environment, with defaults that run the demo.

Each variable is listed in .env.example and docs/contracts.md §5. The two secrets have no default outside
DEBUG: serving processes refuse to start without them (vpnportal/startup.py).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

from vpnportal.directory_settings import authentication_backends, directory_config
from vpnportal.env import (
    database_from_url,
    env_bool,
    env_int,
    env_int_list,
    env_list,
    env_str,
)
from vpnportal.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# templates/ and static/ of a checkout; an installed wheel carries them in vpnportal/bundle/ (setup.py).
SITE_FILES_DIR = BASE_DIR if (BASE_DIR / "templates").is_dir() else Path(__file__).resolve().parent / "bundle"
# Relative paths in the environment are relative to the project folder, wherever a process starts.
VAR_DIR = BASE_DIR / env_str("VPNPORTAL_VAR_DIR", "var")

DEBUG = env_bool("DJANGO_DEBUG", False)
# Only a development run (DEBUG) falls back on a key of the source code. Without DEBUG an unset key stays
# empty: the web server, the worker and beat refuse to start (vpnportal/startup.py), while commands that
# sign nothing (parse, collectstatic, makemigrations, mypy loading these settings) still run.
_DEVELOPMENT_ONLY_KEY = "django-insecure-vpnportal-development-key-never-used-without-debug"
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or (_DEVELOPMENT_ONLY_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "axes",
    "drf_spectacular_sidecar",  # Swagger UI for /api/docs/, pinned local files (no CDN)
    "vpnportal",
    "devices",
    "pki",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each response: the switch's cookie, else the browser's Accept-Language, else
    # LANGUAGE_CODE; ChosenLanguageMiddleware below puts the user's own choice over it (docs/translating.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language chosen with the switch (session, restored from the account at login) over the one
    # LocaleMiddleware took from the cookie or Accept-Language: after both (vpnportal/language.py).
    "vpnportal.middleware.ChosenLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every view needs a logged-in user unless marked login_not_required: the login page (Django marks
    # it), /healthz and /metrics (vpnportal/urls.py), and DRF's views, which answer 401/403 themselves.
    # Static files never get here: WhiteNoise answers them above.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "vpnportal.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a lockout into the login page's (or the API's) 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vpnportal.urls"
WSGI_APPLICATION = "vpnportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_FILES_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE (base.html's <html lang>) and LANGUAGES (the language switch).
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vpnportal.context_processors.portal",
                "vpnportal.context_processors.readiness_banner",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'vpnportal.sqlite3'}"),
        str(BASE_DIR),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages vpnportal ships (locale/<code>/LC_MESSAGES/django.po). LANGUAGE_CODE is the default for
# a browser that asks for none of them, and for an alert email to a contact with no language set.
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LANGUAGE_CODE = env_str("VPNPORTAL_LANGUAGE_CODE", "en")
LOCALE_PATHS = [SITE_FILES_DIR / "locale"]
# The switch's cookie keeps the language of the login page after a logout (the session holds a logged-in
# user's choice, vpnportal/language.py): a year, never sent cross-site, secure like the session cookie.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("VPNPORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = "vpnportal.formats"  # the PORTAL_*_FORMAT stamps of the pages, per language

STATIC_URL = "static/"
STATICFILES_DIRS = [SITE_FILES_DIR / "static"]
STATIC_ROOT = BASE_DIR / env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("VPNPORTAL_PLAIN_STATIC", False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Directory (LDAP / Active Directory) login, docs/login.md. Unset AUTH_LDAP_SERVER_URI: local accounts only.
AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI")
AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN")
AUTH_LDAP_BIND_PASSWORD = env_str("AUTH_LDAP_BIND_PASSWORD")
AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
# Group DNs that grant each role; read again at every login (AUTH_LDAP_CACHE_TIMEOUT 0: nothing cached).
AUTH_LDAP_VIEWER_GROUP = env_str("AUTH_LDAP_VIEWER_GROUP")
AUTH_LDAP_OPERATOR_GROUP = env_str("AUTH_LDAP_OPERATOR_GROUP")
AUTH_LDAP_ADMIN_GROUP = env_str("AUTH_LDAP_ADMIN_GROUP")
_DIRECTORY = directory_config(
    AUTH_LDAP_SERVER_URI,
    user_search_base=env_str("AUTH_LDAP_USER_SEARCH_BASE"),
    user_filter=env_str("AUTH_LDAP_USER_FILTER", "(uid=%(user)s)"),
    group_search_base=env_str("AUTH_LDAP_GROUP_SEARCH_BASE"),
    group_type=env_str("AUTH_LDAP_GROUP_TYPE", "groupOfNames"),
    timeout_seconds=env_int("AUTH_LDAP_TIMEOUT_SECONDS", 5),
    ca_file=env_str("AUTH_LDAP_CA_FILE"),
)
AUTH_LDAP_USER_SEARCH = _DIRECTORY.user_search
AUTH_LDAP_GROUP_SEARCH = _DIRECTORY.group_search
AUTH_LDAP_GROUP_TYPE = _DIRECTORY.group_type
AUTH_LDAP_CONNECTION_OPTIONS = _DIRECTORY.connection_options
AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
AUTH_LDAP_ALWAYS_UPDATE_USER = True
AUTH_LDAP_CACHE_TIMEOUT = 0
AUTHENTICATION_BACKENDS = authentication_backends(directory=bool(AUTH_LDAP_SERVER_URI))

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failures of one username from one address lock that
# pair out for LOGIN_LOCKOUT_MINUTES. Behind reverse proxies set LOGIN_PROXY_COUNT (docs/login.md).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_PROXY_COUNT = env_int("LOGIN_PROXY_COUNT", 0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "vpnportal.throttling.client_address"
AXES_USERNAME_CALLABLE = "vpnportal.throttling.client_username"
AXES_LOCKOUT_CALLABLE = "vpnportal.throttling.lockout_response"
# Axes keeps the failed request's form fields: never a password, challenge or token.
AXES_SENSITIVE_PARAMETERS = ["username", "challenge_password", "confirm_password", "token", "secret"]

# Security: secure by default; the demo on plain http sets DJANGO_INSECURE_HTTP=1.
_INSECURE_HTTP = env_bool("DJANGO_INSECURE_HTTP", DEBUG)
SESSION_COOKIE_SECURE = not _INSECURE_HTTP
CSRF_COOKIE_SECURE = not _INSECURE_HTTP
LANGUAGE_COOKIE_SECURE = not _INSECURE_HTTP
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not _INSECURE_HTTP)
# A load balancer's health probe and a Prometheus scrape speak plain http and do not follow redirects.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if _INSECURE_HTTP else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not _INSECURE_HTTP
SECURE_HSTS_PRELOAD = not _INSECURE_HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_AGE_SECONDS", 8 * 3600)
X_FRAME_OPTIONS = "DENY"

# Credential encryption at rest (MultiFernet: the first key encrypts, all keys decrypt, for rotation).
# Without VPNPORTAL_FERNET_KEYS only a development run (DEBUG) derives one from SECRET_KEY; otherwise the
# list stays empty and serving processes refuse to start. `check --deploy` reports both.
FERNET_KEYS_FROM_ENV = bool(env_list("VPNPORTAL_FERNET_KEYS"))
VPNPORTAL_FERNET_KEYS = env_list("VPNPORTAL_FERNET_KEYS") or (
    [base64.urlsafe_b64encode(hashlib.sha256(("vpnportal-fernet:" + SECRET_KEY).encode()).digest()).decode()]
    if DEBUG
    else []
)

# Email
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vpnportal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ALERT_EMAIL_TO = env_list("ALERT_EMAIL_TO")

# Monitoring thresholds (docs/contracts.md §5), overridable per device and tunnel in the admin.
POLL_INTERVAL_SECONDS = env_int("POLL_INTERVAL_SECONDS", 300)
CERT_WARN_DAYS = sorted(env_int_list("CERT_WARN_DAYS", "30,7,1"), reverse=True)
CRL_WARN_HOURS = env_int("CRL_WARN_HOURS", 24)
CLOCK_SKEW_WARN_SECONDS = env_int("CLOCK_SKEW_WARN_SECONDS", 60)

# Alerting: a condition must hold this many evaluations before it fires (a rekey or one lost poll pages no one).
ALERT_PENDING_POLLS = env_int("ALERT_PENDING_POLLS", 2)
ALERT_REMINDER_HOURS = env_int("ALERT_REMINDER_HOURS", 24)
ALERT_RECOVERY_EMAILS = env_bool("ALERT_RECOVERY_EMAILS", True)
CERT_PENDING_WARN_HOURS = env_int("CERT_PENDING_WARN_HOURS", 24)
# weak_crypto alerts from diagnosis findings: off by default (the seed itself is DES/MD5/DH1/RSA-512).
ALERT_WEAK_CRYPTO = env_bool("ALERT_WEAK_CRYPTO", False)
# A certificate Pending longer than this is an "enrollment stuck" finding.
DIAGNOSIS_PENDING_MINUTES = env_int("DIAGNOSIS_PENDING_MINUTES", 60)
# Absolute URL of the dashboard, for links in emails (e.g. https://vpnportal.example.com).
VPNPORTAL_SITE_URL = env_str("VPNPORTAL_SITE_URL", "http://127.0.0.1:8000")
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 12)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30)
# Alertmanager channels: firing alerts are re-posted this often, each valid for 4 times as long (docs/alerts.md).
ALERTMANAGER_REPOST_SECONDS = env_int("ALERTMANAGER_REPOST_SECONDS", 60)

# Counter history retention: raw samples, hourly and daily rollups.
HISTORY_RAW_DAYS = env_int("HISTORY_RAW_DAYS", 7)
HISTORY_HOURLY_DAYS = env_int("HISTORY_HOURLY_DAYS", 90)
HISTORY_DAILY_DAYS = env_int("HISTORY_DAILY_DAYS", 730)

# Polling concurrency of `manage.py poll` (threads); Celery workers scale with --concurrency and hosts.
POLL_CONCURRENCY = env_int("POLL_CONCURRENCY", 32)
# A poll still running this long after its claim lost its worker or its queued message (a restarted
# Redis keeps no queue): the dispatcher records it failed. Longer than the poll task's hard time limit.
POLL_LEASE_SECONDS = env_int("POLL_LEASE_SECONDS", 7 * 60)

# Readiness (/readyz, the admin banner, docs/deploy.md): a heartbeat older than this means beat or the
# workers stopped (beat sends one a minute); an email undelivered longer than this degrades the portal.
HEARTBEAT_STALE_SECONDS = env_int("HEARTBEAT_STALE_SECONDS", 300)
NOTIFY_BACKLOG_MAX_AGE_SECONDS = env_int("NOTIFY_BACKLOG_MAX_AGE_SECONDS", 3600)

# Device syslog (docs/syslog.md): at most one event-triggered poll per device per debounce; the receiver's
# per-device rate (messages a second, bursts of ten times that), queue bound and device-index refresh.
EVENT_POLL_DEBOUNCE_SECONDS = env_int("EVENT_POLL_DEBOUNCE_SECONDS", 10)
SYSLOG_RATE_PER_DEVICE = env_int("SYSLOG_RATE_PER_DEVICE", 20)
SYSLOG_QUEUE_SIZE = env_int("SYSLOG_QUEUE_SIZE", 5000)
SYSLOG_INDEX_SECONDS = env_int("SYSLOG_INDEX_SECONDS", 30)

# Re-enrollment: how long to wait for the CA to grant, and how often to look.
ENROLLMENT_DEADLINE_SECONDS = env_int("ENROLLMENT_DEADLINE_SECONDS", 900)
ENROLLMENT_CHECK_SECONDS = env_int("ENROLLMENT_CHECK_SECONDS", 10)
# Celery queue for enrollment jobs (empty: the default queue).
ENROLLMENT_QUEUE = env_str("ENROLLMENT_QUEUE", "")

# Prometheus /metrics: bearer token (empty: only logged-in users with the view permission).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# SSH: where the product writes the host keys it pins, and its timeouts.
VPNPORTAL_KNOWN_HOSTS = BASE_DIR / env_str("VPNPORTAL_KNOWN_HOSTS", str(VAR_DIR / "known_hosts"))
SSH_CONNECT_TIMEOUT = env_int("SSH_CONNECT_TIMEOUT", 15)
SSH_COMMAND_TIMEOUT = env_int("SSH_COMMAND_TIMEOUT", 60)
# Sessions kept open between polls by a long-lived worker (devices/session_pool.py, docs/polling.md): closed
# after this many idle seconds (below IOS's 10-minute exec-timeout, above the 300 s poll interval), at most
# this many per process (each holds one of its device's VTY lines). 0 switches reuse off.
SSH_SESSION_REUSE_SECONDS = env_int("SSH_SESSION_REUSE_SECONDS", 540)
SSH_SESSION_REUSE_MAX = env_int("SSH_SESSION_REUSE_MAX", 2000)

# Celery on Redis (cookiecutter-django wiring: CELERY_ namespace, JSON only, acks_late).
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# The page cache (vpnportal/page_cache.py): what the overview and /metrics read, shared by every web
# process and invalidated by the polls that change it, in the same Redis (keys under "vpnportal:").
# A Redis that does not answer makes pages compute everything again, never fail.
CACHES = {
    "default": {
        "BACKEND": "vpnportal.cache_backend.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "vpnportal",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
# Longest a cached entry lives even with no change: bounds what only the clock moves.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the task thread's database connections after every task unless this is
# set; set, it closes them every this many tasks of a worker process (0: after every task). Between,
# CONN_MAX_AGE and the health checks apply to a worker's connections as to a web request's
# (vpnportal/celery.py).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 10 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# visibility_timeout must exceed the longest task, or Redis redelivers a task still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Proves a worker is alive; the dashboard shows the heartbeat's age.
    "heartbeat": {"task": "vpnportal.tasks.heartbeat", "schedule": 60.0},
    # Beat only wakes the dispatcher; which devices are due is decided from Device.next_poll_at.
    "dispatch-due-polls": {
        "task": "devices.tasks.dispatch_due_polls",
        "schedule": float(min(30, max(5, POLL_INTERVAL_SECONDS))),
    },
    # Time-based rules (expiry, NextUpdate) run even when no poll happened.
    "evaluate-alerts": {"task": "vpnportal.tasks.evaluate_alerts", "schedule": 60.0},
    "send-notifications": {"task": "vpnportal.tasks.send_due_notifications", "schedule": 30.0},
    "rollup-history": {"task": "devices.tasks.rollup_history", "schedule": 3600.0},
    "prune-events": {"task": "events.tasks.prune_events", "schedule": 3600.0},
    # An enrollment whose worker died ends `failed` with that reason instead of blocking its device.
    "expire-stale-enrollments": {"task": "pki.tasks.expire_stale_enrollments", "schedule": 300.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Wrong tokens count as failed logins per client address (vpnportal/throttling.py).
        "vpnportal.throttling.ThrottledTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vpnportal.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "vpnportal.api.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # django-filter FilterSets per list; unknown parameters, values and ordering fields answer 400.
    "DEFAULT_FILTER_BACKENDS": ["vpnportal.api.filtering.StrictFilterBackend"],
}
# The filter forms of the list pages and the browsable API: "any" for a choice left open.
FILTERS_EMPTY_CHOICE_LABEL = "any"
SPECTACULAR_SETTINGS = {
    "TITLE": "vpnportal API",
    "DESCRIPTION": "IPsec tunnels, certificates, CRLs, alerts and re-enrollment for Cisco IOS and PIX/ASA.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# One logging set-up for the web server, the worker and beat (vpnportal/celery.py applies it there):
# secrets masked on every handler, the task/device/poll/tunnel/enrollment ids as fields.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = logging_config(LOG_FORMAT, env_str("VPNPORTAL_LOG_LEVEL", "INFO"))
