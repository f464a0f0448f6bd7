"""The web fixtures (Chromium, Daphne) serve the workbench's tests too."""

from tests.web.conftest import chromium  # noqa: F401
