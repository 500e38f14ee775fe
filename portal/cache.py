"""Cache plumbing: a Redis cache backend that reuses its client, and the agency-tree
generation that caches of routing facts are keyed on."""

from __future__ import annotations

import threading
import time
import uuid

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection, transaction


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` (and its table of ~170 response callbacks)
    on every cache call; a client is thread-safe and bound to its pool, so keep one per pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    """django.core.cache.backends.redis.RedisCache with ReusedClientRedisCacheClient."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


def agency_tree_key() -> str:
    """Per database, so portals (or parallel test databases) sharing one Redis never mix."""
    return f"portal:agency-tree-generation:{connection.settings_dict['NAME']}"


def new_tree_generation() -> str:
    memo.clear()
    generation = uuid.uuid4().hex
    cache.set(agency_tree_key(), generation, timeout=None)
    return generation


def bump_agency_tree_generation() -> None:
    """Forget every cached fact about the agency tree: now (for this transaction) and again
    at commit (so a reader that cached the old tree meanwhile is not believed afterwards)."""
    new_tree_generation()
    transaction.on_commit(new_tree_generation)


class LocalMemo:
    """A few seconds of memory in this process in front of the shared cache, for the facts a
    busy desk reads on every receipt (calendar days, message templates, route facts): each
    is read from Redis at most once per `seconds` per process. A change is seen everywhere
    within that time; `clear()` forgets at once (tests, and the process that made the
    change)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load):
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._values) > 1024:
                self._values.clear()
            self._values[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


# Short on purpose: the shared cache below it is invalidated on every change.
memo = LocalMemo(seconds=2.0)


def kick_once(name: str, task, *, seconds: int = 30) -> None:
    """Queue `task` unless one queued by an earlier kick is still on its way: a burst of
    commits shares one task (a cache flag set only when absent). The task must call
    `kicked(name)` before it reads its work, so that work committed after that read kicks
    a new task; a lost task stops blocking new kicks after `seconds`."""
    if cache.add(_kick_key(name), "1", timeout=seconds):
        task.delay()


def kicked(name: str) -> None:
    cache.delete(_kick_key(name))


def _kick_key(name: str) -> str:
    return f"portal:kick:{name}:{connection.settings_dict['NAME']}"


def per_generation(key: str, compute, *, timeout: int = 3600):
    """The cached value of `key`, valid while the access generation (agencies, grants,
    groups) stays the same; computed and stored on a miss. One cache round trip."""
    tree_key = agency_tree_key()
    got = cache.get_many([key, tree_key])
    generation = got.get(tree_key) or new_tree_generation()
    hit = got.get(key)
    if hit is not None and hit[0] == generation:
        return hit[1]
    value = compute()
    cache.set(key, (generation, value), timeout=timeout)
    return value
