"""Test settings: portal.settings with PostgreSQL/Redis from the environment (make test sets them),
eager Celery, a fast hasher, locmem e-mail and a cache prefix per xdist worker."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("PORTAL_DEMO", "1")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="cmc-test-"))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("CACHE_KEY_PREFIX", "cmc-test")
if not os.environ.get("TEST_SQLITE"):
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cong_mot_cua")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")

from portal.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
CACHES["default"]["KEY_FUNCTION"] = "tests.cache.make_key"  # noqa: F405 — one space per worker
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
