"""Somatize Studies' remote client: ask for trial configurations, report and tell results over HTTP.

    from somatize_client import Client, TrialPruned
    study = Client().create_study(spec, exist_ok=True)      # SOMATIZE_URL, SOMATIZE_TOKEN
    study.optimize(objective, n_trials=20)

Standard library only; see ``Client``, ``Study`` and ``Trial``.
"""

__version__ = "0.1.0"

from .client import Client, Study  # after __version__: the transport reads it
from .errors import (
    AuthenticationError,
    ConfigurationError,
    Conflict,
    NotFound,
    NoTrialAvailable,
    PermissionDenied,
    ServerError,
    ServerUnreachable,
    SomatizeError,
    ValidationError,
)
from .trial import Trial, TrialPruned

__all__ = [
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "Conflict",
    "NoTrialAvailable",
    "NotFound",
    "PermissionDenied",
    "ServerError",
    "ServerUnreachable",
    "SomatizeError",
    "Study",
    "Trial",
    "TrialPruned",
    "ValidationError",
    "__version__",
]
