"""Serve Plotly's bundled ``plotly.min.js`` from the installed package.

The file comes with the pinned ``plotly`` requirement; nothing third-party is
committed. It is served as ``static/vendor/plotly.min.js``.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_PATH = "vendor/plotly.min.js"


def _plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.storage = FileSystemStorage(location=str(_plotly_dir()))
        self.storage.prefix = "vendor"  # type: ignore[attr-defined]  # read by collectstatic

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != PLOTLY_PATH:
            return [] if find_all else None
        match = str(_plotly_dir() / "plotly.min.js")
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage
