"""Redis state, shared by several machines (``redis://host:6379/0``, ``rediss://``).

Key layout (``prefix`` defaults to ``signal:``)::

    signal:kv:<key>            string "<expires_at>|<value>" ("-" = no expiry),
                               plus a server-side PX TTL as garbage collection
    signal:dl:rec:<dl key>     hash: key, event_id, integration, vendor, reason,
                               attempts, http_status ("" = none), first_failed,
                               last_failed (repr of the float), event (JSON)
    signal:dl:all              sorted set: dl key scored by last_failed
    signal:dl:by:<integration> sorted set: the same, per integration

Reads check expiry against the injected ``now`` clock, so the server TTL only
reclaims memory. Upsert and removal are Lua scripts, hence atomic; the sorted
sets order equal scores by key bytes, which is the ``(last_failed, key)`` order
of the other backends. The scripts build index key names themselves, so this
targets a single Redis server (not Redis Cluster).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any, Callable

from ..errors import ConfigError
from .base import check_limit, expiry, is_expired, mask_url
from .records import DeadLetter, dump_event, load_event

__all__ = ["RedisStore"]

_CHUNK = 500

# KEYS: record hash, global index. ARGV: per-integration index prefix, then
# key, event_id, integration, vendor, reason, attempts, http_status,
# first_failed, last_failed, event.
_UPSERT = """
local rec, all = KEYS[1], KEYS[2]
if redis.call('EXISTS', rec) == 1 then
  redis.call('HINCRBY', rec, 'attempts', ARGV[7])
  redis.call('HSET', rec, 'vendor', ARGV[5], 'reason', ARGV[6],
             'http_status', ARGV[8], 'last_failed', ARGV[10])
else
  redis.call('HSET', rec, 'key', ARGV[2], 'event_id', ARGV[3], 'integration', ARGV[4],
             'vendor', ARGV[5], 'reason', ARGV[6], 'attempts', ARGV[7],
             'http_status', ARGV[8], 'first_failed', ARGV[9], 'last_failed', ARGV[10],
             'event', ARGV[11])
end
local integration = redis.call('HGET', rec, 'integration')
redis.call('ZADD', all, ARGV[10], ARGV[2])
redis.call('ZADD', ARGV[1] .. integration, ARGV[10], ARGV[2])
return redis.call('HGETALL', rec)
"""

# KEYS: global index. ARGV: record prefix, per-integration index prefix, keys...
_REMOVE = """
local removed = 0
for i = 3, #ARGV do
  local key = ARGV[i]
  local rec = ARGV[1] .. key
  local integration = redis.call('HGET', rec, 'integration')
  if integration then
    redis.call('DEL', rec)
    redis.call('ZREM', ARGV[2] .. integration, key)
    removed = removed + 1
  end
  redis.call('ZREM', KEYS[1], key)
end
return removed
"""


def _score(value: float) -> str:
    return repr(float(value))


def _record(fields: dict[str, str]) -> DeadLetter:
    status = fields["http_status"]
    return DeadLetter(
        key=fields["key"],
        event_id=fields["event_id"],
        integration=fields["integration"],
        vendor=fields["vendor"],
        reason=fields["reason"],
        attempts=int(fields["attempts"]),
        http_status=int(status) if status else None,
        first_failed=float(fields["first_failed"]),
        last_failed=float(fields["last_failed"]),
        event=load_event(fields["event"]),
    )


class RedisStore:
    """State in a Redis server; needs ``pip install signal-core[redis]``."""

    def __init__(
        self,
        url: str,
        *,
        now: Callable[[], float] = time.time,
        prefix: str = "signal:",
    ) -> None:
        self._url = mask_url(url)
        self._now = now
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "the Redis backend needs the redis package: install signal-core[redis]",
                field="state",
            ) from None
        try:
            client: Any = redis.Redis.from_url(url, decode_responses=True)
        except ValueError:
            # The driver's message may quote the URL, password included.
            raise ConfigError(f"invalid Redis URL {self._url!r}", field="state") from None
        self._client = client
        self._kv = f"{prefix}kv:"
        self._rec = f"{prefix}dl:rec:"
        self._all = f"{prefix}dl:all"
        self._by = f"{prefix}dl:by:"
        self._upsert: Any = client.register_script(_UPSERT)
        self._remove: Any = client.register_script(_REMOVE)

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"RedisStore({self._url!r})"

    # -- keys ---------------------------------------------------------------

    def get(self, key: str) -> str | None:
        raw = self._client.get(self._kv + key)
        if raw is None:
            return None
        stamp, sep, value = str(raw).partition("|")
        if not sep:  # not written by this store: a plain value
            return str(raw)
        if stamp != "-" and is_expired(float(stamp), self._now()):
            return None
        return value

    def put(self, key: str, value: str, ttl: float | None = None) -> None:
        now = self._now()
        expires_at = expiry(now, ttl)
        name = self._kv + key
        if expires_at is None:
            self._client.set(name, f"-|{value}")
        elif is_expired(expires_at, now):
            self._client.delete(name)
        else:
            millis = max(1, math.ceil((expires_at - now) * 1000))
            self._client.set(name, f"{_score(expires_at)}|{value}", px=millis)

    def delete(self, key: str) -> None:
        self._client.delete(self._kv + key)

    # -- dead letters -------------------------------------------------------

    def add_dead_letter(self, record: DeadLetter) -> DeadLetter:
        status = "" if record.http_status is None else str(record.http_status)
        flat = self._upsert(
            keys=[self._rec + record.key, self._all],
            args=[
                self._by,
                record.key,
                record.event_id,
                record.integration,
                record.vendor,
                record.reason,
                str(record.attempts),
                status,
                _score(record.first_failed),
                _score(record.last_failed),
                dump_event(record.event),
            ],
        )
        items = list(flat)
        return _record(dict(zip(items[::2], items[1::2])))

    def dead_letters(
        self,
        *,
        integration: str | None = None,
        failed_before: float | None = None,
        failed_after: float | None = None,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        check_limit(limit)
        if limit == 0:
            return []
        index = self._all if integration is None else self._by + integration
        low = "-inf" if failed_after is None else _score(failed_after)
        high = "+inf" if failed_before is None else f"({_score(failed_before)}"
        if limit is None:
            keys = self._client.zrangebyscore(index, low, high)
        else:
            keys = self._client.zrangebyscore(index, low, high, start=0, num=limit)
        found: list[DeadLetter] = []
        for start in range(0, len(keys), _CHUNK):
            pipe = self._client.pipeline(transaction=False)
            for key in keys[start : start + _CHUNK]:
                pipe.hgetall(self._rec + key)
            for fields in pipe.execute():
                if fields:  # removed since the index was read
                    found.append(_record(fields))
        return found

    def remove_dead_letters(self, keys: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(keys))
        removed = 0
        for start in range(0, len(wanted), _CHUNK):
            removed += int(
                self._remove(
                    keys=[self._all],
                    args=[self._rec, self._by, *wanted[start : start + _CHUNK]],
                )
            )
        return removed

    def count_dead_letters(self, *, integration: str | None = None) -> int:
        index = self._all if integration is None else self._by + integration
        return int(self._client.zcard(index))

    def close(self) -> None:
        self._client.close()
