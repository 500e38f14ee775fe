"""Cache keys per xdist worker: the worker id is only known once the worker runs, after the
settings were imported, so it is read when a key is made."""

import os


def make_key(key: str, key_prefix: str, version: int) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{key_prefix}:{worker}:{version}:{key}"
