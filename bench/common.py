"""What the benchmark scripts share."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

# Databases other people use: never benchmark (or reseed) them.
SHARED_DATABASES = frozenset({"suzhou_hk", "test_suzhou_hk"})


def own_database(*, example: str, also_refused: frozenset[str] = frozenset()) -> str:
    """The name of the PostgreSQL database DATABASE_URL points at; exits when it is not PostgreSQL or belongs to
    someone else (the project's own, or another benchmark's)."""
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if not url.scheme.startswith("postgres") or not name:
        sys.exit(f"Set DATABASE_URL to a PostgreSQL database of your own, e.g. postgres://…/{example}")
    if name in SHARED_DATABASES | also_refused:
        sys.exit(f"Refusing to use {name}: it belongs to someone else. Use a database of your own.")
    return name
