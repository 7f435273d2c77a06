"""Uploaded files: their content checked by what the bytes are, and a store that keeps them.

Keys are made here from the owner's id and a fresh uuid; a client's file name never
becomes part of a path, and every path is checked to stay inside the store's folder.
"""
from __future__ import annotations

import os
import unicodedata
import uuid
from pathlib import Path

from .errors import DomainError, InvalidInput

# What the bytes must begin with, whatever the file is called.
SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg"}
KIND_NAMES = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG"}


class PayloadTooLarge(DomainError):
    status, title = 413, "Payload too large"


def detect_type(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) from the file's first bytes, or None for anything else."""
    for magic, extension, content_type in SIGNATURES:
        if data.startswith(magic):
            return extension, content_type
    return None


def safe_display_name(filename: str) -> str:
    """The client's file name, refused when it tries to be a path; it is only ever displayed."""
    if not filename or len(filename) > 200:
        raise InvalidInput("file", "needs a file name of 1 to 200 characters")
    if ("/" in filename or "\\" in filename or filename.startswith(".") or ".." in filename
            or any(unicodedata.category(char).startswith("C") for char in filename)):
        raise InvalidInput("file", "the file name may not contain a path, control characters or start with a dot")
    return filename


def check_upload(filename: str, data: bytes, max_bytes: int, kinds: tuple[str, ...] = ("pdf", "png", "jpg"),
                 what: str = "document") -> tuple[str, str]:
    """(extension, content type) of an acceptable upload; the name's extension must agree with the bytes."""
    safe_display_name(filename)
    if len(data) > max_bytes:
        raise PayloadTooLarge("A {what} may be at most {max_bytes} MiB",
                              what=what, max_bytes=max_bytes // (1024 * 1024))
    if not data:
        raise InvalidInput("file", "is empty")
    detected = detect_type(data)
    if detected is None or detected[0] not in kinds:
        names = [KIND_NAMES[kind] for kind in kinds]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise InvalidInput("file", "must be a {listed} {what}", listed=listed, what=what)
    claimed = EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    if claimed != detected[0]:
        raise InvalidInput("file", "the name says .{claimed} but the content is {detected}",
                           claimed=claimed or "?", detected=detected[0].upper())
    return detected


class FileStore:
    """What a service needs of a file store; subclass for object storage."""

    def put(self, owner_id: int, extension: str, data: bytes) -> str:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    folder = "files"

    def new_key(self, owner_id: int, extension: str) -> str:
        if not isinstance(owner_id, int) or not extension.isalnum():
            raise ValueError("a key is made of an integer owner id and an alphanumeric extension")
        return f"{self.folder}/{owner_id}/{uuid.uuid4().hex}.{extension}"


class LocalFileStore(FileStore):
    """Files under `root` (VAR_DIR by default): <folder>/<owner_id>/<uuid>.<ext>."""

    def __init__(self, root: Path, folder: str = "documents"):
        if not folder.replace("_", "").isalnum():
            raise ValueError("a store's folder is one plain name")
        self.root, self.folder = Path(root).resolve(), folder

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root / self.folder):
            raise ValueError("a file key points outside the store")
        return path

    def put(self, owner_id: int, extension: str, data: bytes) -> str:
        key = self.new_key(owner_id, extension)
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary sibling and rename, so that a reader never sees half a file;
        # O_EXCL refuses to follow or overwrite anything already there.
        temporary = path.with_suffix(path.suffix + ".part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return self.path_for(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
