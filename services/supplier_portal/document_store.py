"""Where the files of qualification documents live: a small interface and a local-disk store.

Keys are made here from the supplier id and a fresh uuid; a client's file name never
becomes part of a path, and every path is checked to stay inside the store's root.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path


class DocumentStore:
    """What the portal needs of a document store; subclass for object storage."""

    def put(self, supplier_id: int, extension: str, data: bytes) -> str:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    @staticmethod
    def new_key(supplier_id: int, extension: str) -> str:
        if not isinstance(supplier_id, int) or not extension.isalnum():
            raise ValueError("a key is made of an integer supplier id and an alphanumeric extension")
        return f"documents/{supplier_id}/{uuid.uuid4().hex}.{extension}"


class LocalDocumentStore(DocumentStore):
    """Files under `root` (VAR_DIR by default): documents/<supplier_id>/<uuid>.<ext>."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root / "documents"):
            raise ValueError("a document key points outside the store")
        return path

    def put(self, supplier_id: int, extension: str, data: bytes) -> str:
        key = self.new_key(supplier_id, extension)
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
