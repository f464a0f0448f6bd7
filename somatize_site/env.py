"""Strict parsing of settings from environment variables.

Each helper names the variable and the accepted forms when a value is wrong, so a bad
deployment fails at start-up with ImproperlyConfigured instead of running half-set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:
        raise ImproperlyConfigured(f"{name}={raw} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict[str, Any]:
    import dj_database_url

    raw = os.environ.get(name) or default
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a database URL ({exc}); use sqlite:///path or postgres://host/db"
        ) from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        # IMMEDIATE transactions take the write lock up front, so two workers never
        # deadlock upgrading read locks; WAL lets pages read while a worker writes.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Tests use a file too, not Django's shared-cache in-memory database: that one
        # locks whole tables between connections, so a websocket consumer reading events
        # would make a concurrent worker's insert fail, which never happens in WAL mode.
        path = Path(config["NAME"])
        config["TEST"] = {"NAME": str(path.with_name(f"test_{path.name}"))}
        if str(path) != ":memory:" and path.parent.is_dir():
            # SQLite would create it with the umask's mode; its -wal and -shm files copy this one's.
            create_private_file(path)
    elif "postgresql" not in engine:
        raise ImproperlyConfigured(f"{name}: only SQLite and PostgreSQL are supported (got {engine})")
    return config


def create_private_file(path: Path, content: str = "") -> bool:
    """Create ``path`` readable by its owner only, from the first byte; False if it exists.

    O_EXCL|O_CREAT with mode 0600 in one call: never a moment when the file exists with
    the umask's (often world-readable) mode, and two processes starting together do
    not both write it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(content)
    return True


def env_redis_url(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a Redis URL; use redis://host:6379/0")
    return raw


def env_origins(name: str) -> list[str]:
    """Comma-separated origins, each ``scheme://host[:port]`` with scheme http or https."""
    origins = env_list(name, [])
    for origin in origins:
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin; write it as https://host or https://host:port"
            )
    return origins


def env_header(name: str, default: str) -> str | None:
    """An HTTP header name (``X-Forwarded-Proto``) as Django's META key, or None when set empty."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return None
    if not all(c.isalnum() or c == "-" for c in raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a header name; use letters, digits and '-'")
    return "HTTP_" + raw.upper().replace("-", "_")


def env_storage(name: str, *, default_backend: str, default_options: dict[str, Any]) -> dict[str, Any]:
    """A ``STORAGES`` entry: ``name`` holds a backend's dotted path, ``name``_OPTIONS its
    OPTIONS as a JSON object. Unset: the default backend with the default options."""
    import json

    backend = (os.environ.get(name) or "").strip()
    raw_options = os.environ.get(f"{name}_OPTIONS")
    if not backend:
        if raw_options:
            raise ImproperlyConfigured(f"{name}_OPTIONS is set but {name} (the backend's dotted path) is not")
        return {"BACKEND": default_backend, "OPTIONS": default_options}
    if not all(part.isidentifier() for part in backend.split(".")) or "." not in backend:
        raise ImproperlyConfigured(f"{name}={backend!r} is not a dotted path such as storages.backends.s3.S3Storage")
    try:
        options = json.loads(raw_options) if raw_options else {}
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}_OPTIONS is not valid JSON: {exc}") from None
    if not isinstance(options, dict):
        raise ImproperlyConfigured(f'{name}_OPTIONS must be a JSON object such as {{"bucket_name": "trials"}}')
    return {"BACKEND": backend, "OPTIONS": options}
