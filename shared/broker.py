"""The embedded broker: kombu's filesystem transport, made safe against a killed worker.

kombu's filesystem transport deletes a message file as soon as a worker takes it, so a
worker killed with SIGKILL loses every message it held, `acks_late` notwithstanding.
Here a taken message is moved to an `unacked` folder under the taking process's id and
deleted only on ack; messages held by a process that no longer exists go back to the
queue (the role Redis's visibility timeout plays). Writes are atomic renames, so a
reader never sees half a file.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

RECOVERY_INTERVAL_SECONDS = 2.0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class QoS(virtual.QoS):
    def ack(self, delivery_tag):
        self.channel.forget(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        super().reject(delivery_tag, requeue=requeue)
        self.channel.forget(delivery_tag)

    def restore_unacked(self):
        tags = list(self._delivered)
        errors = super().restore_unacked()
        for tag in tags:
            self.channel.forget(tag)
        return errors


class Channel(filesystem.Channel):
    QoS = QoS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held: dict[str, Path] = {}
        self._next_recovery = 0.0
        self.unacked_folder.mkdir(parents=True, exist_ok=True)
        Path(self.data_folder_in).mkdir(parents=True, exist_ok=True)
        self.recover_orphans()

    @property
    def unacked_folder(self) -> Path:
        return Path(self.transport_options["unacked_folder"])

    def _put(self, queue, payload, **kwargs):
        name = f"{int(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        final = Path(self.data_folder_out) / name
        partial = final.with_suffix(".partial")
        partial.write_bytes(str_to_bytes(dumps(payload)))
        os.replace(partial, final)

    def _get(self, queue):
        now = monotonic()
        if now >= self._next_recovery:
            self._next_recovery = now + RECOVERY_INTERVAL_SECONDS
            self.recover_orphans()
        suffix = f".{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if not name.endswith(suffix) or name.partition(".")[2] != suffix[1:]:
                continue
            held = self.unacked_folder / f"{os.getpid()}~{name}"
            try:
                os.rename(os.path.join(self.data_folder_in, name), held)
            except FileNotFoundError:  # another consumer took it
                continue
            payload = loads(bytes_to_str(held.read_bytes()))
            self._held[payload["properties"]["delivery_tag"]] = held
            return payload
        raise Empty()

    def forget(self, delivery_tag):
        held = self._held.pop(delivery_tag, None)
        if held is not None:
            held.unlink(missing_ok=True)

    def recover_orphans(self) -> int:
        """Return to their queue the messages held by processes that died without acking."""
        recovered = 0
        for held in self.unacked_folder.iterdir():
            pid, sep, name = held.name.partition("~")
            if not sep or not pid.isdigit() or _process_alive(int(pid)):
                continue
            try:
                os.rename(held, Path(self.data_folder_in) / name)
                recovered += 1
            except FileNotFoundError:
                continue
        return recovered


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = driver_name = "fsqueue"
    # The folder is this broker's connection: when it cannot be read or written (gone, replaced,
    # a volume unmounted) the worker must treat it as a lost connection and retry, as with
    # RabbitMQ, rather than stop with an "unrecoverable error".
    connection_errors = filesystem.Transport.connection_errors + (OSError,)


TRANSPORT_ALIASES["fsqueue"] = "shared.broker:Transport"


def transport_options(folder: Path) -> dict:
    folder = Path(folder)
    for sub in ("queue", "processed", "control", "unacked"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "unacked_folder": str(folder / "unacked"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
