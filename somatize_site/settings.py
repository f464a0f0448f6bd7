"""Settings, all from environment variables (see README: Configuration)."""

from __future__ import annotations

import secrets
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from .channel_layers import IN_PROCESS_LAYER, redis_layer
from .env import (
    create_private_file,
    env_bool,
    env_database,
    env_float,
    env_header,
    env_int,
    env_list,
    env_origins,
    env_redis_url,
    env_storage,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SOMATIZE_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # holds the secret key and the database

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR.

    There is no built-in default key, so no deployment can run with a published one.
    """
    key = env_str("SECRET_KEY")
    if key is not None:
        if len(key) < 32:
            raise ImproperlyConfigured(
                "SECRET_KEY must be at least 32 characters; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    path = DATA_DIR / "secret_key"
    create_private_file(path, secrets.token_urlsafe(50))  # 0600 from the start; kept if present
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

# Production behind HTTPS (README: Serving in production). The default stays plain
# HTTP on 127.0.0.1 for `make demo`; SOMATIZE_HTTPS=true says a TLS proxy (or Daphne
# with a certificate) serves the site, so cookies must never travel in clear text.
SOMATIZE_HTTPS = env_bool("SOMATIZE_HTTPS", False)
if SOMATIZE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Only trusted when the proxy sets (and strips) this header; set it empty when
    # Daphne terminates TLS itself.
    _proxy_header = env_header("SOMATIZE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves ASGI (websockets)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "studies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Every response carries a Content-Security-Policy: scripts only from our own static
# files (no inline script, no eval), so text that slipped into a page as markup still
# cannot run. Styles allow inline: Plotly injects its stylesheet and sets style
# attributes as it draws, and style cannot run code. connect-src 'self' covers the
# same-origin websockets (ws/wss) as well as fetch.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "somatize_site.urls"
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
            ]
        },
    }
]
WSGI_APPLICATION = "somatize_site.wsgi.application"
ASGI_APPLICATION = "somatize_site.asgi.application"

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{DATA_DIR / 'somatize.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    # The prefix keeps deployments (and concurrent test runs) sharing one Redis apart.
    CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL, env_str("SOMATIZE_REDIS_PREFIX", "somatize"))}
    # The cache holds the login throttle's counts; in Redis, every web process shares them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("SOMATIZE_REDIS_PREFIX", "somatize"),
        }
    }
else:
    # In-process only: the web process relays new event rows written by workers.
    CHANNEL_LAYERS = {"default": IN_PROCESS_LAYER}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "studies.staticfinders.PlotlyFinder",
]
WHITENOISE_USE_FINDERS = True

# Dotted module paths imported at start-up to register more executors.
SOMATIZE_EXECUTOR_MODULES = env_list("SOMATIZE_EXECUTOR_MODULES", [])
# A running trial whose heartbeat is older than this is taken as lost.
SOMATIZE_HEARTBEAT_GRACE = env_float("SOMATIZE_HEARTBEAT_GRACE", 60.0, minimum=1.0)
# Without Redis, how often the web process reads the event log when no commit rang its
# doorbell (studies.wakeup): a fallback, since commits wake it at once.
SOMATIZE_RELAY_POLL_SECONDS = env_float("SOMATIZE_RELAY_POLL_SECONDS", 0.5, minimum=0.01)
# Characters of stdout/stderr kept per trial: the first half and the last half; what lies
# between is dropped and the log says how much (studies.services.logs).
SOMATIZE_TRIAL_LOG_LIMIT = env_int("SOMATIZE_TRIAL_LOG_LIMIT", 2_000_000, minimum=1000)

# Trial artifacts (studies.services.artifacts) are stored through Django's storage API,
# in STORAGES["artifacts"]: files under DATA_DIR/artifacts unless
# SOMATIZE_ARTIFACT_STORAGE names another backend (e.g. storages.backends.s3.S3Storage),
# with SOMATIZE_ARTIFACT_STORAGE_OPTIONS (a JSON object) as its OPTIONS. README: Artifacts.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "artifacts": env_storage(
        "SOMATIZE_ARTIFACT_STORAGE",
        default_backend="django.core.files.storage.FileSystemStorage",
        default_options={
            "location": str(DATA_DIR / "artifacts"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    ),
}
# The largest artifact accepted, in bytes (executors and uploads alike).
SOMATIZE_ARTIFACT_MAX_BYTES = env_int("SOMATIZE_ARTIFACT_MAX_BYTES", 100 * 1024 * 1024, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line": {"()": "somatize_site.logs.OneLineFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "one_line": {"class": "logging.StreamHandler", "formatter": "one_line"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # A bad Host header is a client's mistake (or a scanner), not ours: one line each.
        "django.security.DisallowedHost": {"handlers": ["one_line"], "level": "ERROR", "propagate": False},
    },
}
