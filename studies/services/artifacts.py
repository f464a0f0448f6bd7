"""Trial artifacts: files stored through Django's storage API, described by ``TrialArtifact`` rows.

Where the bytes go is ``settings.STORAGES["artifacts"]`` (a directory under the data dir
by default; any backend, e.g. S3 through django-storages: README, Artifacts). Saving
writes the file first and then, in one transaction, its row and an ``artifact_saved``
event, so an artifact is listed only once its bytes are stored; a crash in between
leaves an unlisted file behind, never a listed one without bytes. Saving a name the
trial has already replaces it: the new row takes its place and the old file is deleted.

Files leave storage when their rows go, whatever deletes them (a study deleted in the
admin, a trial's cascade, a replace): ``delete_file_on_commit`` is connected to
``post_delete`` and deletes the file after the commit, so a rolled-back delete keeps it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction

from .. import events
from ..core.artifacts import ArtifactError, check_name, check_size, content_type_for, shown_inline, storage_suffix
from ..models import Trial, TrialArtifact
from ..payloads import ArtifactSaved

logger = logging.getLogger(__name__)

# What an executor or the API may hand over: the bytes, a path to a file, or an open binary file.
ArtifactSource = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]


def storage() -> Storage:
    return storages["artifacts"]


def max_bytes() -> int:
    return int(settings.SOMATIZE_ARTIFACT_MAX_BYTES)


@contextlib.contextmanager
def opened(source: ArtifactSource) -> Iterator[tuple[IO[bytes], int]]:
    """The source as an open binary file at its start, and its size; ArtifactError when unreadable."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source), memoryview(source).nbytes
        return
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            file: IO[bytes] = path.open("rb")
        except FileNotFoundError:
            raise ArtifactError(f"{str(path)!r}: no such file", "file") from None
        except OSError as exc:
            raise ArtifactError(f"{str(path)!r} cannot be read: {exc.strerror or exc}", "file") from None
        with file:
            if not path.is_file():
                raise ArtifactError(f"{str(path)!r} is not a regular file", "file")
            yield file, os.fstat(file.fileno()).st_size
        return
    if not hasattr(source, "read") or not hasattr(source, "seek"):
        raise ArtifactError(f"must be bytes, a path or a seekable binary file, not {type(source).__name__}", "file")
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    yield source, size


def save_artifact(trial: Trial, name: Any, source: ArtifactSource) -> TrialArtifact:
    """Store ``source`` as the trial's artifact ``name`` (replacing one of that name)."""
    clean = check_name(name)
    with opened(source) as (file, size):
        check_size(size, max_bytes())
        key = storage().save(_new_key(trial, clean), File(file))
    try:
        return _record(trial, clean, size, key)
    except BaseException:
        _delete_quietly(key)  # not listed, so not kept
        raise


def _new_key(trial: Trial, name: str) -> str:
    """A fresh key per save (never the user's name: any backend accepts it, none collide)."""
    return f"study-{trial.study_id}/trial-{trial.number}/{uuid.uuid4().hex}{storage_suffix(name)}"


def _record(trial: Trial, name: str, size: int, key: str) -> TrialArtifact:
    from ..selectors.artifacts import artifact_url

    content_type = content_type_for(name)
    with events.writing(trial.study_id):
        # Under the study's writer lock: two saves of one name take turns.
        replaced, _ = TrialArtifact.objects.filter(trial=trial, name=name).delete()
        artifact = TrialArtifact.objects.create(trial=trial, name=name, size=size, content_type=content_type, key=key)
        saved = ArtifactSaved(
            number=trial.number,
            id=artifact.pk,
            name=name,
            size=size,
            content_type=content_type,
            url=artifact_url(trial.study_id, trial.number, name),
            inline=shown_inline(content_type),
            replaced=replaced > 0,
        )
        events.emit(trial.study_id, [saved])
    return artifact


def open_artifact(artifact: TrialArtifact) -> IO[bytes]:
    """The stored bytes, to stream to a download; ArtifactError when the storage lost them."""
    try:
        return storage().open(artifact.key, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise ArtifactError(f"the stored file of {artifact.name!r} cannot be read ({exc})", "file") from None


def delete_file_on_commit(sender: type, instance: TrialArtifact, using: str, **kwargs: Any) -> None:
    """``post_delete`` of ``TrialArtifact``: its file goes once the delete is committed."""
    key = instance.key
    transaction.on_commit(lambda: _delete_quietly(key), using=using)


def _delete_quietly(key: str) -> None:
    """Delete a stored file; a failure is logged (a leftover file is garbage, not lost data)."""
    store = storage()
    try:
        store.delete(key)
    except Exception:
        logger.exception("could not delete the artifact file %r from storage", key)
        return
    if isinstance(store, FileSystemStorage):
        _remove_empty_directories(store, key)


def _remove_empty_directories(store: FileSystemStorage, key: str) -> None:
    """The trial's and the study's directories, once their last file is gone."""
    root = Path(store.location).resolve()
    directory = Path(store.path(key)).parent
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:  # not empty (or already gone): stop climbing
            return
        directory = directory.parent
