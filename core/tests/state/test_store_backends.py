"""One behaviour suite for every state backend (memory, SQLite, Redis).

The ``store`` fixture is parametrized over the backends (see conftest.py).
Expiry runs on a fake clock, so nothing here sleeps.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import runpy
import sqlite3
import stat
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest
from signal_core.errors import ConfigError
from signal_core.state import DeadLetter, Store, dead_letter_key, open_store
from signal_core.state.sqlite import SQLiteStore

T0 = 1_700_000_000.25
WORKER = "__signal_state_worker__"


def letter(
    event_id: str = "evt-1",
    integration: str = "kargo-main",
    *,
    at: float = T0,
    attempts: int = 1,
    reason: str = "http 500",
    http_status: int | None = 500,
    vendor: str = "kargo",
    event: dict[str, Any] | None = None,
) -> DeadLetter:
    return DeadLetter.create(
        event_id=event_id,
        integration=integration,
        vendor=vendor,
        reason=reason,
        failed_at=at,
        event={"event_id": event_id, "type": "track"} if event is None else event,
        attempts=attempts,
        http_status=http_status,
    )


# -- keys with expiry ---------------------------------------------------------


def test_get_put_delete(store: Store) -> None:
    assert store.get("missing") is None
    store.put("a", "1")
    assert store.get("a") == "1"
    store.delete("a")
    assert store.get("a") is None
    store.delete("a")  # deleting an absent key is fine
    store.put("empty", "")
    assert store.get("empty") == ""


def test_overwrite_replaces_value_and_expiry(store: Store, clock: Any) -> None:
    store.put("k", "first", ttl=5)
    store.put("k", "second")
    clock.advance(10)
    assert store.get("k") == "second"  # the new put dropped the old expiry
    store.put("k", "third", ttl=5)
    assert store.get("k") == "third"
    clock.advance(5)
    assert store.get("k") is None


def test_ttl_expiry_follows_the_injected_clock(store: Store, clock: Any) -> None:
    store.put("short", "v", ttl=10)
    store.put("forever", "v")
    store.put("infinite", "v", ttl=float("inf"))
    clock.advance(9.5)
    assert store.get("short") == "v"
    clock.advance(0.5)
    assert store.get("short") is None  # expired at exactly put time + ttl
    clock.advance(10 * 365 * 86400)
    assert store.get("forever") == "v"
    assert store.get("infinite") == "v"


@pytest.mark.parametrize("ttl", [0, -1.0])
def test_non_positive_ttl_is_already_expired(store: Store, ttl: float) -> None:
    store.put("k", "old")
    store.put("k", "new", ttl=ttl)
    assert store.get("k") is None


def test_nan_ttl_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError):
        store.put("k", "v", ttl=float("nan"))


def test_expired_key_can_be_set_again(store: Store, clock: Any) -> None:
    store.put("k", "v1", ttl=1)
    clock.advance(2)
    assert store.get("k") is None
    store.put("k", "v2", ttl=1)
    assert store.get("k") == "v2"


def test_unicode_and_large_values(store: Store) -> None:
    samples = {
        "clé:ünïcødé:日本": "välue → 🚀 ∑",
        "pipes|and:colons": "-|1.5|not an expiry",
        "lines": "a\nb\r\n\tc\x00d",
        "quote'\"": "'; DROP TABLE kv; --",
    }
    for key, value in samples.items():
        store.put(key, value, ttl=60)
    for key, value in samples.items():
        assert store.get(key) == value
    big = "x" * (3 * 1024 * 1024) + "é"
    store.put("big", big)
    assert store.get("big") == big


# -- dead letters ---------------------------------------------------------------


def test_add_dead_letter_returns_the_stored_record(store: Store) -> None:
    record = letter(event={"event_id": "evt-1", "props": {"n": (1, 2)}})
    stored = store.add_dead_letter(record)
    assert stored.key == dead_letter_key("kargo-main", "evt-1")
    assert stored.attempts == 1
    assert stored.event == {"event_id": "evt-1", "props": {"n": [1, 2]}}  # as JSON keeps it
    assert store.dead_letters() == [stored]
    assert store.count_dead_letters() == 1


def test_upsert_sums_attempts_keeps_first_failure_and_event(store: Store) -> None:
    original = {"event_id": "evt-1", "version": "original"}
    replayed = {"event_id": "evt-1", "version": "replayed"}
    first = letter(at=T0, attempts=3, reason="http 503", http_status=503, event=original)
    again = letter(
        at=T0 + 60,
        attempts=2,
        reason="read timeout",
        http_status=None,
        vendor="kargo-v2",
        event=replayed,
    )
    store.add_dead_letter(first)
    stored = store.add_dead_letter(again)
    expected = DeadLetter(
        key=first.key,
        event_id="evt-1",
        integration="kargo-main",
        vendor="kargo-v2",
        reason="read timeout",
        attempts=5,
        http_status=None,
        first_failed=T0,
        last_failed=T0 + 60,
        event={"event_id": "evt-1", "version": "original"},
    )
    assert stored == expected
    assert store.dead_letters() == [expected]
    assert store.count_dead_letters() == 1
    assert store.count_dead_letters(integration="kargo-main") == 1


def test_dead_letter_filters_and_order(store: Store) -> None:
    records = [
        letter("e3", "a", at=T0 + 30),
        letter("e1", "a", at=T0 + 10),
        letter("e2", "b", at=T0 + 20),
        letter("e5", "b", at=T0 + 20),  # same time as e2: ordered by key
        letter("e4", "", at=T0 + 40, reason="invalid: missing type", http_status=None),
    ]
    for record in records:
        store.add_dead_letter(record)

    def ids(found: list[DeadLetter]) -> list[str]:
        return [r.event_id for r in found]

    assert ids(store.dead_letters()) == ["e1", "e2", "e5", "e3", "e4"]
    assert ids(store.dead_letters(integration="a")) == ["e1", "e3"]
    assert ids(store.dead_letters(integration="b")) == ["e2", "e5"]
    assert ids(store.dead_letters(integration="")) == ["e4"]
    assert ids(store.dead_letters(integration="nope")) == []
    # failed_after <= last_failed < failed_before
    assert ids(store.dead_letters(failed_before=T0 + 20)) == ["e1"]
    assert ids(store.dead_letters(failed_after=T0 + 20)) == ["e2", "e5", "e3", "e4"]
    assert ids(store.dead_letters(failed_after=T0 + 20, failed_before=T0 + 40)) == [
        "e2",
        "e5",
        "e3",
    ]
    assert ids(store.dead_letters(failed_after=T0 + 15.5, failed_before=T0 + 20.0001)) == [
        "e2",
        "e5",
    ]
    assert ids(store.dead_letters(limit=2)) == ["e1", "e2"]
    assert ids(store.dead_letters(limit=0)) == []
    assert ids(store.dead_letters(limit=100)) == ["e1", "e2", "e5", "e3", "e4"]
    assert ids(store.dead_letters(integration="b", failed_after=T0, limit=1)) == ["e2"]
    assert store.dead_letters(failed_before=T0) == []


def test_upsert_moves_a_record_in_the_order(store: Store) -> None:
    store.add_dead_letter(letter("e1", at=T0))
    store.add_dead_letter(letter("e2", at=T0 + 1))
    store.add_dead_letter(letter("e1", at=T0 + 2))
    assert [r.event_id for r in store.dead_letters()] == ["e2", "e1"]
    assert [r.event_id for r in store.dead_letters(failed_before=T0 + 1.5)] == ["e2"]


def test_negative_limit_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError):
        store.dead_letters(limit=-1)


def test_remove_dead_letters(store: Store) -> None:
    for n in range(5):
        store.add_dead_letter(letter(f"e{n}", "a" if n % 2 else "b", at=T0 + n))
    keys = [dead_letter_key("b", "e0"), dead_letter_key("a", "e1")]
    removed = store.remove_dead_letters(k for k in [*keys, keys[0], "no-such-key"])
    assert removed == 2
    assert store.remove_dead_letters(keys) == 0
    assert store.remove_dead_letters([]) == 0
    assert [r.event_id for r in store.dead_letters()] == ["e2", "e3", "e4"]
    assert store.count_dead_letters() == 3
    assert store.count_dead_letters(integration="a") == 1
    assert store.count_dead_letters(integration="b") == 2
    assert [r.event_id for r in store.dead_letters(integration="a")] == ["e3"]
    # a removed record comes back fresh, not merged with the old one
    again = store.add_dead_letter(letter("e0", "b", at=T0 + 100, attempts=1))
    assert (again.attempts, again.first_failed) == (1, T0 + 100)


def test_remove_many_dead_letters(store: Store) -> None:
    for n in range(1200):
        store.add_dead_letter(letter(f"e{n:04d}", at=T0 + n))
    assert store.remove_dead_letters(r.key for r in store.dead_letters(limit=1100)) == 1100
    assert [r.event_id for r in store.dead_letters()] == [f"e{n:04d}" for n in range(1100, 1200)]


def test_count_dead_letters(store: Store) -> None:
    assert store.count_dead_letters() == 0
    store.add_dead_letter(letter("e1", "a"))
    store.add_dead_letter(letter("e2", "a"))
    store.add_dead_letter(letter("e2", "a"))  # an upsert, not a new record
    store.add_dead_letter(letter("bad", "", http_status=None))
    assert store.count_dead_letters() == 3
    assert store.count_dead_letters(integration="a") == 2
    assert store.count_dead_letters(integration="") == 1
    assert store.count_dead_letters(integration="b") == 0


def test_unicode_and_large_dead_letters(store: Store) -> None:
    event = {
        "event_id": "évt-✓",
        "properties": {"name": "Zoë 日本 🚀", "blob": "y" * (2 * 1024 * 1024), "n": 1.5},
        "list": [None, True, 3],
    }
    stored = store.add_dead_letter(
        letter("évt-✓", "intégration:1", reason="réponse 500 → ✗", event=event)
    )
    assert stored.event == event
    assert stored.key == dead_letter_key("intégration:1", "évt-✓")
    [listed] = store.dead_letters(integration="intégration:1")
    assert listed == stored
    assert store.remove_dead_letters([stored.key]) == 1


def test_returned_records_are_copies(store: Store) -> None:
    stored = store.add_dead_letter(letter(event={"event_id": "evt-1", "tags": ["a"]}))
    stored.event["tags"].append("mutated")
    assert store.dead_letters()[0].event == {"event_id": "evt-1", "tags": ["a"]}


# -- concurrency ----------------------------------------------------------------


def test_concurrent_writers_from_8_threads(store: Store) -> None:
    threads_n, per_thread = 8, 40
    barrier = threading.Barrier(threads_n)
    errors: list[str] = []

    def work(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                store.put(f"t{n}:k{i}", f"{n}-{i}", ttl=3600 if i % 2 else None)
                store.add_dead_letter(letter(f"t{n}-e{i}", f"int{n % 3}", at=T0 + i))
                store.add_dead_letter(letter("shared", "hot", at=T0 + i, attempts=1))
                assert store.get(f"t{n}:k{i}") == f"{n}-{i}"
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert not any(thread.is_alive() for thread in threads)

    for n in range(threads_n):
        for i in range(per_thread):
            assert store.get(f"t{n}:k{i}") == f"{n}-{i}"
    assert store.count_dead_letters() == threads_n * per_thread + 1
    [shared] = store.dead_letters(integration="hot")
    assert shared.attempts == threads_n * per_thread  # no upsert was lost
    assert shared.first_failed == T0


def test_two_instances_share_state(backend: str, make_store: Callable[[], Store]) -> None:
    if backend == "memory":
        pytest.skip("each memory:// store is private to its instance")
    one, two = make_store(), make_store()
    one.put("k", "v")
    one.add_dead_letter(letter(attempts=2))
    two.add_dead_letter(letter(attempts=3))
    assert two.get("k") == "v"
    assert one.dead_letters()[0].attempts == 5


# -- URLs, errors, records ------------------------------------------------------------


def test_url_is_printable(store: Store, backend: str) -> None:
    assert store.url.startswith({"memory": "memory://", "sqlite": "sqlite:///",
                                 "redis": "redis://"}[backend])  # fmt: skip
    assert store.url in repr(store)


def test_redis_url_masks_the_password(redis_url: str) -> None:
    port = redis_url.rsplit(":", 1)[1]
    for url in (
        f"redis://:s3cr3t-pw@127.0.0.1:{port}",
        f"redis://user:s3cr3t-pw@127.0.0.1:{port}/0",
        f"rediss://user:s3cr3t-pw@127.0.0.1:{port}/2",
        f"redis://127.0.0.1:{port}/0?password=s3cr3t-pw",
    ):
        store = open_store(url)
        try:
            assert "s3cr3t-pw" not in store.url
            assert "s3cr3t-pw" not in repr(store)
            assert "***" in store.url
        finally:
            store.close()


def test_redis_bad_url_error_hides_the_password(redis_url: str) -> None:
    for url in (
        "redis://user:s3cr3t-pw@127.0.0.1:not-a-port/0",
        "redis://user:s3cr3t-pw@127.0.0.1:6379/0?socket_timeout=soon",
    ):
        with pytest.raises(ConfigError) as info:
            open_store(url)
        assert info.value.field == "state"
        assert "s3cr3t-pw" not in str(info.value)
        assert "***" in str(info.value)


def test_missing_redis_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes "import redis" fail
    with pytest.raises(ConfigError) as info:
        open_store("redis://:s3cr3t-pw@localhost:6379/0")
    assert info.value.field == "state"
    assert "signal-core[redis]" in str(info.value)
    assert "state" in str(info.value)
    assert "s3cr3t-pw" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgres://admin:s3cr3t-pw@db.example/signal",
        "ftp://example.com/state",
        "state.db",
        "memory://somewhere",
        "sqlite://",
        "sqlite:///",
        "sqlite://host/state.db",
        "sqlite:///state.db?mode=ro",
        "sqlite:///:memory:",
    ],
)
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(url)
    assert info.value.field == "state"
    assert "s3cr3t-pw" not in str(info.value)


def test_dead_letter_key_is_unambiguous() -> None:
    assert dead_letter_key("a:b", "c") != dead_letter_key("a", "b:c")
    assert dead_letter_key("a%3Ab", "c") != dead_letter_key("a:b", "c")
    assert dead_letter_key("", "evt") == ":evt"
    assert DeadLetter.make_key("kargo", "e1") == dead_letter_key("kargo", "e1")


def test_dead_letter_dict_round_trip() -> None:
    record = letter("é1", "", http_status=None, event={"event_id": "é1", "x": [1, {"y": None}]})
    data = record.to_dict()
    assert DeadLetter.from_dict(json.loads(json.dumps(data))) == record
    assert data["integration"] == ""
    assert data["http_status"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("attempts", "3"), ("attempts", True), ("http_status", 5.5), ("last_failed", "now"),
     ("first_failed", float("nan")), ("event", []), ("key", None)],
)  # fmt: skip
def test_dead_letter_from_dict_rejects_bad_fields(field: str, value: Any) -> None:
    data = letter().to_dict()
    data[field] = value
    with pytest.raises(ValueError, match=field):
        DeadLetter.from_dict(data)


def test_dead_letter_from_dict_names_missing_fields() -> None:
    data = letter().to_dict()
    del data["reason"]
    with pytest.raises(ValueError, match="reason"):
        DeadLetter.from_dict(data)


# -- SQLite ---------------------------------------------------------------------------


def test_sqlite_relative_and_absolute_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///rel/dir/state.db")
    relative.put("k", "rel")
    relative.close()
    assert (tmp_path / "rel" / "dir" / "state.db").is_file()

    absolute_path = tmp_path / "abs" / "deeper" / "state.db"
    absolute = open_store(f"sqlite:///{absolute_path}")  # "sqlite:////tmp/..."
    assert isinstance(absolute, SQLiteStore)
    assert absolute.path == absolute_path
    assert absolute.url == f"sqlite:///{absolute_path}"
    absolute.close()
    assert absolute_path.is_file()
    with pytest.raises(RuntimeError):
        absolute.get("k")


def test_sqlite_unopenable_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(f"sqlite:///{tmp_path}")  # a directory
    assert info.value.field == "state"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "state.db"
    store = open_store(f"sqlite:///{path}")
    store.put("k", "v")
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sqlite_persists_and_uses_wal(tmp_path: Path, clock: Any) -> None:
    path = tmp_path / "state.db"
    store = open_store(f"sqlite:///{path}", now=clock)
    store.put("k", "v", ttl=100)
    store.add_dead_letter(letter())
    store.close()
    again = open_store(f"sqlite:///{path}", now=clock)
    assert again.get("k") == "v"
    assert again.count_dead_letters() == 1
    again.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    raw.close()


def test_sqlite_purges_expired_rows_lazily(tmp_path: Path, clock: Any) -> None:
    path = tmp_path / "state.db"

    def rows() -> int:
        raw = sqlite3.connect(path)
        try:
            return int(raw.execute("SELECT COUNT(*) FROM kv").fetchone()[0])
        finally:
            raw.close()

    store = open_store(f"sqlite:///{path}", now=clock)
    store.put("old", "v", ttl=1)
    store.put("keep", "v")
    clock.advance(5)
    assert store.get("old") is None
    assert rows() == 2  # reads never write
    store.close()
    fresh = open_store(f"sqlite:///{path}", now=clock)
    fresh.put("new", "v")  # a store's first put sweeps expired rows
    assert rows() == 2
    assert fresh.get("keep") == "v"
    assert isinstance(fresh, SQLiteStore)
    fresh.put("gone", "v", ttl=1)
    clock.advance(2)
    assert fresh.purge_expired() == 1
    fresh.close()


def _process_worker(url: str, name: str, barrier: Any, results: Any) -> None:
    """Runs in a spawned process: open the store with the other one, then write."""
    try:
        barrier.wait(timeout=60)
        store = open_store(url)
        try:
            for i in range(200):
                store.add_dead_letter(letter(f"{name}-e{i}", name, at=T0 + i))
                store.put(f"{name}:k{i}", str(i), ttl=3600)
                if i % 4 == 0:
                    store.add_dead_letter(letter("shared", "both", at=T0 + i))
        finally:
            store.close()
        results.put((name, "ok"))
    except BaseException:
        results.put((name, traceback.format_exc()))


def test_sqlite_two_processes_write_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared' / 'state.db'}"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    # Test modules are not importable by name under --import-mode=importlib, so
    # each child runs this file with runpy, under a name that calls the worker.
    procs = [
        ctx.Process(
            target=runpy.run_path,
            kwargs={
                "path_name": __file__,
                "run_name": WORKER,
                "init_globals": {"WORKER_ARGS": (url, name, barrier, results)},
            },
        )
        for name in ("p1", "p2")
    ]
    for proc in procs:
        proc.start()
    try:
        outcomes = dict(results.get(timeout=180) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    assert outcomes == {"p1": "ok", "p2": "ok"}, "\n".join(outcomes.values())
    assert [proc.exitcode for proc in procs] == [0, 0]

    store = open_store(url)
    try:
        for name in ("p1", "p2"):
            assert store.count_dead_letters(integration=name) == 200
            assert [r.event_id for r in store.dead_letters(integration=name)] == [
                f"{name}-e{i}" for i in range(200)
            ]
            assert all(store.get(f"{name}:k{i}") == str(i) for i in range(200))
        [shared] = store.dead_letters(integration="both")
        assert shared.attempts == 100  # 50 upserts from each process, none lost
        assert store.count_dead_letters() == 401
    finally:
        store.close()


# -- Redis ----------------------------------------------------------------------------


def test_redis_key_layout_and_server_ttl(redis_url: str, redis_client: Any, clock: Any) -> None:
    store = open_store(redis_url, now=clock)
    try:
        store.put("ttl", "v", ttl=10)
        store.put("plain", "v")
        store.add_dead_letter(letter("e1", "kargo-main"))
        assert sorted(redis_client.keys("*")) == [
            "signal:dl:all",
            "signal:dl:by:kargo-main",
            f"signal:dl:rec:{dead_letter_key('kargo-main', 'e1')}",
            "signal:kv:plain",
            "signal:kv:ttl",
        ]
        assert 0 < redis_client.pttl("signal:kv:ttl") <= 10_000
        assert redis_client.pttl("signal:kv:plain") == -1
        # the value carries its own expiry: the fake clock decides, not the server
        clock.advance(11)
        assert redis_client.exists("signal:kv:ttl") == 1
        assert store.get("ttl") is None
        store.remove_dead_letters([dead_letter_key("kargo-main", "e1")])
        assert sorted(redis_client.keys("signal:dl:*")) == []
    finally:
        store.close()


if __name__ == WORKER:
    _process_worker(*globals()["WORKER_ARGS"])
