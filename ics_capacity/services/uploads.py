"""Files users upload, held briefly on the server between preview and import.

Nothing is written before the caller is known: `open_upload` checks the session and the right to
import that kind of file into that scenario first, then the page streams the file into a writer
chunk by chunk, which stops at `max_upload_bytes()` and deletes what it wrote. Each upload has
a folder of its own inside the user's folder (mode 0700) under `upload_root()`; it is deleted on
import, on a failed check, when the user clears or changes the form, at sign-out, and by
`sweep_uploads` after `UPLOAD_TTL`. A path kept by a page is accepted back only if it lies in the
caller's own folder.
At most one preview or import runs at a time per user (`user_slot`), so one person cannot tie up
the server's threads with many files.

Settings: `ICS_UPLOAD_DIR` (default: the system temporary folder's `ics-capacity-uploads`) and
`ICS_MAX_UPLOAD_MB` (default 200: NHS England's national RTT extract zip is under 60 MB).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ics_capacity.domain.errors import InvalidInputError, ServiceError
from ics_capacity.services.auth import current_principal
from ics_capacity.services.data_exchange import IMPORT_KINDS, permission_for
from ics_capacity.services.scenarios import scenario_transaction

UPLOAD_TTL = dt.timedelta(hours=1)
MAX_NAME_CHARS = 120
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def upload_root() -> Path:
    """The folder under which each user's uploads are kept."""
    configured = os.environ.get("ICS_UPLOAD_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ics-capacity-uploads"


def max_upload_bytes() -> int:
    """The largest file a user may upload, in bytes."""
    return int(float(os.environ.get("ICS_MAX_UPLOAD_MB", "200")) * 1024 * 1024)


def _user_folder(user_id: int) -> Path:
    folder = upload_root() / f"user-{int(user_id)}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def safe_file_name(name: str) -> str:
    """The file's own name (no folders), with only plain characters, at most 120 of them."""
    base = Path(str(name or "").replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).strip(" .") or "upload"
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = (stem[: MAX_NAME_CHARS - len(suffix) - 1] + dot + suffix) if dot else cleaned
        cleaned = cleaned[:MAX_NAME_CHARS]
    return cleaned


@dataclass(frozen=True)
class StagedUpload:
    """A complete uploaded file, waiting for its preview and import."""

    path: Path
    name: str
    size_bytes: int


class UploadWriter:
    """Writes one upload to the user's folder, refusing it once it passes the size limit."""

    def __init__(self, path: Path, name: str, limit: int) -> None:
        self.path, self.name, self.limit, self.size = path, name, limit, 0
        self._file = path.open("xb")

    def write(self, data: bytes) -> None:
        """Appends a chunk.

        Raises:
            InvalidInputError: the file passed the size limit (what was written is deleted).
        """
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise InvalidInputError(
                f"{self.name}: the file is larger than {self.limit // (1024 * 1024)} MB, the "
                "most this server accepts; nothing was kept."
            )
        self._file.write(data)

    def close(self) -> StagedUpload:
        """Finishes the file.

        Raises:
            InvalidInputError: the file is empty (it is deleted).
        """
        self._file.close()
        if self.size == 0:
            shutil.rmtree(self.path.parent, ignore_errors=True)
            raise InvalidInputError(f"{self.name}: the file is empty (0 bytes).")
        return StagedUpload(self.path, self.name, self.size)

    def discard(self) -> None:
        """Deletes what was written."""
        self._file.close()
        shutil.rmtree(self.path.parent, ignore_errors=True)


def open_upload(token: str, scenario_id: int, kind: str, file_name: str) -> UploadWriter:
    """A writer for a file the caller may import into the scenario; checked before any byte.

    Raises:
        NotSignedInError, NotFoundError, PermissionDeniedError: the usual refusals.
        InvalidInputError: unknown kind of file.
    """
    if kind not in IMPORT_KINDS:
        raise InvalidInputError(f"'{kind}' is not a kind of import.")
    with scenario_transaction(token, scenario_id, permission_for(kind)) as use:
        user_id = use.principal.user_id
    name = safe_file_name(file_name)
    folder = _user_folder(user_id) / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    return UploadWriter(folder / name, name, max_upload_bytes())


def open_onboarding_upload(token: str, file_name: str) -> UploadWriter:
    """A writer for a file an administrator uploads to onboard a system; checked before any byte.

    Raises:
        NotSignedInError, PermissionDeniedError: the caller is not an administrator.
    """
    from ics_capacity.services.onboarding import require_administrator

    principal = current_principal(token)
    require_administrator(principal)
    name = safe_file_name(file_name)
    folder = _user_folder(principal.user_id) / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    return UploadWriter(folder / name, name, max_upload_bytes())


def staged_path(token: str, kept: str) -> Path:
    """A path a page kept, accepted only if it is a file in the caller's own upload folder.

    Raises:
        NotFoundError-like InvalidInputError: the path is elsewhere or the file has gone.
    """
    principal = current_principal(token)
    folder = _user_folder(principal.user_id).resolve()
    path = Path(kept).resolve()
    if path.parent.parent != folder or not path.is_file():
        raise InvalidInputError("The uploaded file has gone; upload it again.")
    return path


def discard_upload(token: str, kept: str) -> None:
    """Deletes one of the caller's uploads (nothing happens for a path that is not theirs)."""
    if not kept:
        return
    try:
        path = staged_path(token, kept)
    except ServiceError:
        return
    shutil.rmtree(path.parent, ignore_errors=True)


def discard_all_uploads(token: str) -> None:
    """Deletes every upload of the caller (at sign-out)."""
    try:
        principal = current_principal(token)
    except ServiceError:
        return
    shutil.rmtree(upload_root() / f"user-{principal.user_id}", ignore_errors=True)


def sweep_uploads(older_than: dt.timedelta = UPLOAD_TTL, *, dry_run: bool = False) -> int:
    """Deletes uploads older than `older_than`; returns how many files went (or would go)."""
    root = upload_root()
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for folder in root.glob("user-*/*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                removed += sum(1 for p in folder.iterdir() if p.is_file())
                if not dry_run:
                    shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            continue
    return removed


_busy: set[int] = set()
_busy_lock = threading.Lock()


@contextmanager
def user_slot(token: str) -> Iterator[None]:
    """Holds the caller's one slot for checking or importing a file.

    Raises:
        InvalidInputError: the caller already has a file being checked or imported.
    """
    user_id = current_principal(token).user_id
    with _busy_lock:
        if user_id in _busy:
            raise InvalidInputError(
                "Another of your files is still being checked or imported; wait for it to finish."
            )
        _busy.add(user_id)
    try:
        yield
    finally:
        with _busy_lock:
            _busy.discard(user_id)
