"""SQLite state: the embedded default, safe for several threads and processes.

One connection per thread (``threading.local``), WAL journal, a busy timeout,
and every write in a ``BEGIN IMMEDIATE`` transaction, so writers queue on the
database lock instead of failing with "database is locked" (in WAL mode a
deferred transaction that reads and then writes can fail without waiting).

Schema (``PRAGMA user_version = 1``)::

    kv(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL)
        -- expires_at: epoch seconds by the injected clock, NULL = no expiry
    dead_letters(key TEXT PRIMARY KEY, event_id, integration, vendor, reason,
                 attempts INTEGER, http_status INTEGER NULL,
                 first_failed REAL, last_failed REAL, event TEXT -- JSON)
        indexes: (last_failed, key) and (integration, last_failed, key)

Expired keys read as ``None`` at once and are deleted lazily, in the write
transaction of every 256th ``put`` (and the first) of a store instance.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError
from .base import check_limit, expiry, is_expired, merge_dead_letter
from .records import DeadLetter, dump_event, load_event

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 1
_PURGE_EVERY = 256
_CHUNK = 500  # keys per "IN (...)": below SQLite's historic 999-parameter limit

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS dead_letters (
        key TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        integration TEXT NOT NULL,
        vendor TEXT NOT NULL,
        reason TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        http_status INTEGER,
        first_failed REAL NOT NULL,
        last_failed REAL NOT NULL,
        event TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS dead_letters_last_failed ON dead_letters (last_failed, key)",
    """CREATE INDEX IF NOT EXISTS dead_letters_integration
        ON dead_letters (integration, last_failed, key)""",
)

_COLUMNS = (
    "key, event_id, integration, vendor, reason, attempts, http_status,"
    " first_failed, last_failed, event"
)

# Connections inherited over fork() are never closed in the child (SQLite
# forbids using them there); they are parked here instead.
_INHERITED: list[object] = []


class _Connection(sqlite3.Connection):
    """A plain connection that can be weakly referenced."""


def _record(row: tuple[Any, ...]) -> DeadLetter:
    return DeadLetter(
        key=row[0],
        event_id=row[1],
        integration=row[2],
        vendor=row[3],
        reason=row[4],
        attempts=int(row[5]),
        http_status=None if row[6] is None else int(row[6]),
        first_failed=float(row[7]),
        last_failed=float(row[8]),
        event=load_event(row[9]),
    )


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteStore:
    """State in one SQLite file (``sqlite:///path.db``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        now: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        """Open (creating it and its parent directories) the database at ``path``.

        ``timeout`` is how long, in seconds, a write waits for another writer.
        A new database file gets mode 0600 (its events are personal data).
        """
        self._path = Path(path).expanduser().absolute()
        self._now = now
        self._timeout = timeout
        self._local = threading.local()
        self._conns: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._closed = False
        self._puts = 0
        try:
            self._create_file()
            self._init_schema()
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise ConfigError(
                f"cannot open SQLite database {str(self._path)!r}: {exc}", field="state"
            ) from None

    @property
    def url(self) -> str:
        return f"sqlite:///{self._path}"

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteStore({self.url!r})"

    # -- connections and transactions --------------------------------------

    def _create_file(self) -> None:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self._path.exists():
            fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)

    def _init_schema(self) -> None:
        conn = self._conn()
        # Switching to WAL needs a moment alone with the file; another process
        # opening the same new database at once can make it fail at once.
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode").fetchall()[0][0]
                if str(mode).lower() != "wal":
                    conn.execute("PRAGMA journal_mode=WAL").fetchall()
                break
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        with self._write() as tx:
            version = int(tx.execute("PRAGMA user_version").fetchall()[0][0])
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"schema version {version} is newer than this signal-core supports"
                )
            for statement in _SCHEMA:
                tx.execute(statement)
            if version < SCHEMA_VERSION:
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the state store is closed")
        pid = os.getpid()
        if pid != self._pid:
            with self._lock:
                if pid != self._pid:
                    _INHERITED.extend(self._conns)
                    self._local = threading.local()
                    self._conns = weakref.WeakSet()
                    self._pid = pid
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                str(self._path),
                timeout=self._timeout,
                isolation_level=None,  # no implicit transactions: we BEGIN ourselves
                check_same_thread=False,  # close() may run on another thread
                factory=_Connection,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._conns.add(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- keys ---------------------------------------------------------------

    def get(self, key: str) -> str | None:
        rows = (
            self._conn()
            .execute("SELECT value, expires_at FROM kv WHERE key = ?", (key,))
            .fetchall()
        )
        if not rows:
            return None
        value, expires_at = rows[0]
        if is_expired(expires_at, self._now()):
            return None
        return str(value)

    def put(self, key: str, value: str, ttl: float | None = None) -> None:
        now = self._now()
        expires_at = expiry(now, ttl)
        with self._lock:
            purge = self._puts % _PURGE_EVERY == 0
            self._puts += 1
        with self._write() as tx:
            if is_expired(expires_at, now):
                tx.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                tx.execute(
                    "INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)",
                    (key, value, expires_at),
                )
            if purge:
                tx.execute(
                    "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
                )

    def delete(self, key: str) -> None:
        with self._write() as tx:
            tx.execute("DELETE FROM kv WHERE key = ?", (key,))

    def purge_expired(self) -> int:
        """Delete expired keys now (reads already ignore them); the number deleted."""
        with self._write() as tx:
            cursor = tx.execute(
                "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (self._now(),)
            )
            return cursor.rowcount

    # -- dead letters -------------------------------------------------------

    def add_dead_letter(self, record: DeadLetter) -> DeadLetter:
        with self._write() as tx:
            rows = tx.execute(
                f"SELECT {_COLUMNS} FROM dead_letters WHERE key = ?",  # noqa: S608 - constant
                (record.key,),
            ).fetchall()
            if rows:
                stored = merge_dead_letter(_record(rows[0]), record)
                tx.execute(
                    "UPDATE dead_letters SET vendor = ?, reason = ?, attempts = ?,"
                    " http_status = ?, last_failed = ? WHERE key = ?",
                    (
                        stored.vendor,
                        stored.reason,
                        stored.attempts,
                        stored.http_status,
                        float(stored.last_failed),
                        stored.key,
                    ),
                )
                return stored
            event = dump_event(record.event)
            tx.execute(
                f"INSERT INTO dead_letters ({_COLUMNS})"  # noqa: S608 - constant
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.event_id,
                    record.integration,
                    record.vendor,
                    record.reason,
                    record.attempts,
                    record.http_status,
                    float(record.first_failed),
                    float(record.last_failed),
                    event,
                ),
            )
        return DeadLetter(
            key=record.key,
            event_id=record.event_id,
            integration=record.integration,
            vendor=record.vendor,
            reason=record.reason,
            attempts=record.attempts,
            http_status=record.http_status,
            first_failed=float(record.first_failed),
            last_failed=float(record.last_failed),
            event=load_event(event),
        )

    def dead_letters(
        self,
        *,
        integration: str | None = None,
        failed_before: float | None = None,
        failed_after: float | None = None,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        check_limit(limit)
        clauses: list[str] = []
        params: list[Any] = []
        if integration is not None:
            clauses.append("integration = ?")
            params.append(integration)
        if failed_before is not None:
            clauses.append("last_failed < ?")
            params.append(float(failed_before))
        if failed_after is not None:
            clauses.append("last_failed >= ?")
            params.append(float(failed_after))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(-1 if limit is None else limit)
        sql = (
            f"SELECT {_COLUMNS} FROM dead_letters{where}"  # noqa: S608 - constant fragments
            " ORDER BY last_failed, key LIMIT ?"
        )
        rows = self._conn().execute(sql, params).fetchall()
        return [_record(row) for row in rows]

    def remove_dead_letters(self, keys: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return 0
        removed = 0
        with self._write() as tx:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                cursor = tx.execute(
                    f"DELETE FROM dead_letters WHERE key IN ({marks})",  # noqa: S608 - only ?s
                    chunk,
                )
                removed += cursor.rowcount
        return removed

    def count_dead_letters(self, *, integration: str | None = None) -> int:
        conn = self._conn()
        if integration is None:
            rows = conn.execute("SELECT COUNT(*) FROM dead_letters").fetchall()
        else:
            rows = conn.execute(
                "SELECT COUNT(*) FROM dead_letters WHERE integration = ?", (integration,)
            ).fetchall()
        return int(rows[0][0])

    def close(self) -> None:
        """Close every connection of this store; later calls raise ``RuntimeError``."""
        with self._lock:
            self._closed = True
            conns = list(self._conns) if self._pid == os.getpid() else []
            self._conns = weakref.WeakSet()
        for conn in conns:
            conn.close()
