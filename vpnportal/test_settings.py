"""Settings for the test suite: PostgreSQL at 127.0.0.1:5432 (database `test`) unless DATABASE_URL says otherwise."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ.setdefault("DJANGO_INSECURE_HTTP", "1")
os.environ.setdefault("VPNPORTAL_PLAIN_STATIC", "1")
# Test-only secrets (never a deployment's): the suite and the workers it starts run without DEBUG, as in
# production, so they need both; tests of the refusal start processes with vpnportal.settings instead.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-vpnportal-secret-key-9f3b7c1e5a2d8046b1c3e5f7a9d0b2c4")
os.environ.setdefault("VPNPORTAL_FERNET_KEYS", "dGVzdC1vbmx5LXZwbnBvcnRhbC1mZXJuZXQta2V5LTA=")

from vpnportal.settings import *  # noqa: F403
from vpnportal.settings import CACHES, DATABASES, VAR_DIR

# Parallel runs (several engineers, CI) each get their own test database name.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("VPNPORTAL_TEST_DB", "test_vpnportal")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
VPNPORTAL_KNOWN_HOSTS = VAR_DIR / "test_known_hosts"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
# The page cache in the test Redis, under a prefix of this run and pytest-xdist worker: entries of an earlier
# run (whose row ids the new test database reuses) are never read, and the Celery workers a test starts
# inherit both variables, so their polls invalidate what the test reads.
os.environ.setdefault("VPNPORTAL_TEST_CACHE_RUN", uuid.uuid4().hex[:12])
CACHES["default"]["LOCATION"] = os.environ.get("VPNPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
CACHES["default"]["KEY_PREFIX"] = f"test-{os.environ['VPNPORTAL_TEST_CACHE_RUN']}-{_XDIST_WORKER}"
