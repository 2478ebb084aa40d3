"""The embedded broker: kombu's ``filesystem://`` transport, made safe for several processes.

kombu's own channel creates a message file and then writes it, while a consumer may move and read the
same file in between: the consumer then sees an empty payload and the worker dies with a JSON error, and
the message is lost. Here a message is written under a hidden staging name in the same folder and renamed
into place, so a consumer only ever sees whole files; a file that still cannot be decoded is set aside in
the ``processed`` folder with a warning instead of stopping the worker.

``register()`` points kombu's ``filesystem`` alias at this transport, so every connection made with a
``filesystem://`` URL (web, worker, beat, readiness check, tests' producers) uses it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

# Hidden names never match kombu's "<stamp>_<uuid>.<queue>.msg" pattern, so no consumer picks them up.
STAGING_PREFIX = ".staging-"
CLAIMED_PREFIX = ".claimed-"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        staging = os.path.join(self.data_folder_out, STAGING_PREFIX + name)
        try:
            with open(staging, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(staging, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.data_folder_in, CLAIMED_PREFIX + name)
            try:
                # A rename within one folder is atomic: exactly one consumer claims the message.
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except OSError:
                continue  # another consumer took it
            try:
                with open(claimed, "rb") as handle:
                    payload = handle.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            try:
                message = loads(bytes_to_str(payload))
            except ValueError:
                logger.warning("broker: left undecodable message file %s (%d bytes) aside", claimed, len(payload))
                continue
            if self.store_processed:
                os.replace(claimed, os.path.join(self.processed_folder, name))
            else:
                os.remove(claimed)
            return message
        raise Empty()

    # Exchange tables (which queues an exchange routes to) live in one small file per exchange. kombu
    # creates that file with a truncating open, so a reader could find it empty and drop a message as
    # unroutable. Here writers serialise on a lock file and replace the table atomically; readers need no lock.

    def get_table(self, exchange):
        try:
            content = self._exchange_file(exchange).read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open the table of exchange {exchange!r}") from exc
        return [filesystem.exchange_queue_t(*row) for row in loads(bytes_to_str(content))]

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._update_table(exchange, lambda rows: rows if row in rows else [row, *rows])

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        row = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._update_table(exchange, lambda rows: [r for r in rows if r != row])

    def _update_table(self, exchange, change):
        path = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(path.with_name(f".{path.name}.lock"), "a") as lock_file:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
                rows = self.get_table(exchange)
                updated = change(rows)
                if updated != rows:
                    staging = path.with_name(f"{STAGING_PREFIX}{uuid.uuid4()}")
                    staging.write_bytes(str_to_bytes(dumps(updated)))
                    os.replace(staging, path)
        except OSError as exc:
            raise ChannelError(f"Cannot update the table of exchange {exchange!r}") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
