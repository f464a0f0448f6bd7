"""Trial artifacts: which names are allowed, what type a file is, and how it may be shown.

Pure rules, shared by the executor side (``TrialContext.save_artifact``, which checks
before anything is sent to the worker) and the service that stores the file.
"""

from __future__ import annotations

import mimetypes
import unicodedata

NAME_MAX = 200  # characters: a file name, not a path

# Shown inline on the trial page (``<img>``) and served ``inline``: raster images only.
# SVG and HTML can carry script, so they (and everything else) are served as attachments.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DEFAULT_TYPE = "application/octet-stream"
COMPRESSED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


class ArtifactError(ValueError):
    """An artifact that cannot be stored; ``field`` names what is wrong (``name``, ``file``)."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class ArtifactTooLarge(ArtifactError):
    """Larger than SOMATIZE_ARTIFACT_MAX_BYTES (the API answers 413)."""


def check_name(name: object) -> str:
    """``name`` when it is a plain file name; ArtifactError saying what is wrong otherwise."""
    if name is None:
        raise ArtifactError("is required: the artifact's file name, such as 'model.pt'")
    if not isinstance(name, str):
        raise ArtifactError(f"must be text, got {type(name).__name__}")
    if not name.strip():
        raise ArtifactError("must not be empty")
    if len(name) > NAME_MAX:
        raise ArtifactError(f"is {len(name)} characters long; at most {NAME_MAX} are allowed")
    if "/" in name or "\\" in name:
        raise ArtifactError(f"{name!r} contains a path separator; give a file name such as 'model.pt'")
    if name in (".", ".."):
        raise ArtifactError(f"{name!r} is not a file name")
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        # NUL, newlines and other control characters: unsafe in headers and file systems.
        raise ArtifactError(f"{name!r} contains a control character; use letters, digits and punctuation")
    return name


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise ArtifactTooLarge(
            f"is {size} bytes; artifacts may be at most {limit} bytes (SOMATIZE_ARTIFACT_MAX_BYTES)", "file"
        )


def content_type_for(name: str) -> str:
    """The type ``mimetypes`` guesses from the name's extension; octet-stream when unknown."""
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:  # "x.csv.gz" is a gzip file, not a CSV
        return COMPRESSED_TYPES.get(encoding, DEFAULT_TYPE)
    return guessed or DEFAULT_TYPE


def shown_inline(content_type: str) -> bool:
    return content_type in INLINE_IMAGE_TYPES


def storage_suffix(name: str) -> str:
    """The name's extension when it is plain ASCII letters and digits (kept in the storage key)."""
    _, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 10 and extension.isascii() and extension.isalnum():
        return "." + extension.lower()
    return ""
