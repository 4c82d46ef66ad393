"""Backups of the database and the documents store, and their restore, both checked against a manifest.

A backup is one directory: the database (`database.dump` from pg_dump's custom format, or `database.sqlite3`
from SQLite's backup API), the documents under `media/`, and `manifest.json`, written last under a temporary
name then renamed, so a directory without a manifest is an unfinished backup and restore refuses it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import django
import environ
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage, storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass
class RestoreReport:
    documents: int = 0
    tables: int = 0
    # (table, rows in the manifest, rows after the restore or None when the table is missing)
    mismatches: list[tuple[str, int, int | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- Databases ------------------------------------------------------------------------------------------------


def database_from_url(url: str) -> BaseDatabaseWrapper:
    """A connection to a database that is not in settings (a restore target), from a DATABASE_URL-style URL."""
    config = environ.Env.db_url_config(url)
    # configure_settings fills Django's defaults (AUTOCOMMIT, OPTIONS, TIME_ZONE...) and insists on "default".
    config = connections.configure_settings({DEFAULT_DB_ALIAS: config})[DEFAULT_DB_ALIAS]
    return load_backend(config["ENGINE"]).DatabaseWrapper(config, "restore_target")


def _vendor(wrapper: BaseDatabaseWrapper) -> str:
    if wrapper.vendor not in DUMP_FILES:
        raise BackupError(
            _("Backups support PostgreSQL and SQLite; this database is “%(vendor)s”.")
            % {"vendor": wrapper.vendor}
        )
    return wrapper.vendor


def _tables(wrapper: BaseDatabaseWrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        return sorted(t.name for t in wrapper.introspection.get_table_list(cursor) if t.type == "t")


def _row_counts(wrapper: BaseDatabaseWrapper) -> dict[str, int]:
    """Rows of every table in the database: the tables of every installed model, and Django's own."""
    counts = {}
    with wrapper.cursor() as cursor:
        for table in _tables(wrapper):
            cursor.execute(f"SELECT COUNT(*) FROM {wrapper.ops.quote_name(table)}")  # noqa: S608 - a table name
            counts[table] = cursor.fetchone()[0]
    return counts


def _migration_state(wrapper: BaseDatabaseWrapper) -> dict[str, str]:
    """The last applied migration of each app (names start with their number, so the largest is the last)."""
    if "django_migrations" not in _tables(wrapper):
        return {}
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app ORDER BY app")
        return dict(cursor.fetchall())


def _has_data(wrapper: BaseDatabaseWrapper) -> bool:
    # `migrate` loads reference data (groups, programmes, reminder rules) but never creates a user: every
    # database people have worked in has at least its first administrator.
    table = get_user_model()._meta.db_table
    if table not in _tables(wrapper):
        return False
    with wrapper.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {wrapper.ops.quote_name(table)} LIMIT 1")  # noqa: S608 - a table name
        return cursor.fetchone() is not None


def _pg_env(wrapper: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's environment for pg_dump / pg_restore: the password never appears on a command line."""
    env = dict(os.environ)
    values = {
        "PGHOST": wrapper.settings_dict.get("HOST"),
        "PGPORT": wrapper.settings_dict.get("PORT"),
        "PGUSER": wrapper.settings_dict.get("USER"),
        "PGPASSWORD": wrapper.settings_dict.get("PASSWORD"),
        "PGDATABASE": wrapper.settings_dict.get("NAME"),
    }
    options = wrapper.settings_dict.get("OPTIONS") or {}
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "passfile", "service"):
        values[f"PG{option.upper()}"] = options.get(option)
    env.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    return env


def client_version(tool: str) -> int:
    """The major version of a PostgreSQL client program found on PATH."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            _("%(tool)s is not installed. Install the PostgreSQL client (Debian: postgresql-client).")
            % {"tool": tool}
        )
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    if not found:
        raise BackupError(
            _("Cannot read the version of %(tool)s from “%(output)s”.") % {"tool": path, "output": output}
        )
    return int(found[1])


def check_client_version(tool: str, *, server: int) -> int:
    """Refuse a client older than the server: an old pg_dump cannot read a newer server's catalogs."""
    client = client_version(tool)
    if client < server:
        raise BackupError(
            _(
                "%(tool)s is version %(client)s but the server is PostgreSQL %(server)s. Install "
                "postgresql-client-%(server)s (or newer) and put it first on PATH."
            )
            % {"tool": tool, "client": client, "server": server}
        )
    return client


def _server_version(wrapper: BaseDatabaseWrapper) -> str:
    with wrapper.cursor() as cursor:
        if wrapper.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return cursor.fetchone()[0]


def _run(command: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed (exit %(code)s): %(error)s")
            % {"tool": Path(command[0]).name, "code": result.returncode, "error": result.stderr.strip()}
        )


# --- Files ----------------------------------------------------------------------------------------------------


def _media_root() -> Path:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            _("The documents store is not on the file system (%(backend)s); back it up with its own tools.")
            % {"backend": type(storage).__name__}
        )
    return Path(storage.location).resolve()


def _fingerprint(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _copy(source: Path, target: Path) -> dict[str, Any]:
    """Copy a file, durably, and return the fingerprint of the bytes written."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def _documents(root: Path) -> Iterator[Path]:
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            raise BackupError(
                _(
                    "%(path)s in the documents store is not a regular file; move it away and run the backup again."
                )
                % {"path": path}
            )
        if path.is_file():
            yield path


def _inside(base: Path, relative: str) -> Path:
    """The file a manifest names, refusing names that would leave the directory (a tampered manifest)."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BackupError(_("The manifest names a file outside the backup: %(name)s") % {"name": relative})
    return base.joinpath(*pure.parts)


# --- Backup ---------------------------------------------------------------------------------------------------


def backup_default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups" / timezone.now().strftime("%Y%m%dT%H%M%SZ")


@contextmanager
def _pg_snapshot(wrapper: BaseDatabaseWrapper) -> Iterator[tuple[BaseDatabaseWrapper, str]]:
    """A read-only transaction whose snapshot pg_dump shares, so the manifest counts exactly the dumped rows."""
    session = wrapper.copy()
    try:
        session.set_autocommit(False)
        with session.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        yield session, snapshot
    finally:
        if session.connection is not None:
            session.rollback()
        session.close()


def _backup_postgresql(wrapper: BaseDatabaseWrapper, dump: Path) -> dict[str, Any]:
    server = wrapper.pg_version // 10000  # type: ignore[attr-defined]
    client = check_client_version("pg_dump", server=server)
    with _pg_snapshot(wrapper) as (session, snapshot):
        command = [shutil.which("pg_dump") or "pg_dump", "--format=custom", "--no-password"]
        _run([*command, f"--snapshot={snapshot}", f"--file={dump}"], env=_pg_env(wrapper))
        return {
            "server_version": _server_version(session),
            "client_version": client,
            "migrations": _migration_state(session),
            "tables": _row_counts(session),
        }


def _backup_sqlite(wrapper: BaseDatabaseWrapper, dump: Path) -> dict[str, Any]:
    if wrapper.in_atomic_block:
        # The backup API would wait forever for this connection's own write lock (shared-cache databases).
        raise BackupError(_("A SQLite backup cannot run inside a transaction."))
    wrapper.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        # One step (pages=-1) under one read transaction: a consistent copy while web and worker keep writing.
        wrapper.connection.backup(target)
    finally:
        target.close()
    # The copy is what gets restored, so the copy is what gets counted.
    copy = database_from_url(f"sqlite:///{dump}")
    try:
        return {
            "server_version": _server_version(copy),
            "migrations": _migration_state(copy),
            "tables": _row_counts(copy),
        }
    finally:
        copy.close()


def backup_create(
    *, output: Path | None = None, using: str = DEFAULT_DB_ALIAS
) -> tuple[Path, dict[str, Any]]:
    """Write a backup directory (database, documents, manifest last); remove what was written on failure."""
    wrapper = connections[using]
    vendor = _vendor(wrapper)
    media_root = _media_root()
    directory = (output or backup_default_directory()).resolve()
    if directory == media_root or media_root in directory.parents:
        raise BackupError(
            _("The backup cannot go inside the documents store (%(path)s).") % {"path": media_root}
        )
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(_("%(path)s is not empty; choose a new directory.") % {"path": directory})
    created = not directory.exists()
    # The backup holds personal data: only its owner may read it.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        manifest = _write_backup(directory, wrapper=wrapper, vendor=vendor, media_root=media_root)
    except BaseException:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for entry in directory.iterdir():
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        raise
    return directory, manifest


def _write_backup(directory: Path, *, wrapper: BaseDatabaseWrapper, vendor: str, media_root: Path) -> dict:
    dump = directory / DUMP_FILES[vendor]
    database = _backup_postgresql(wrapper, dump) if vendor == "postgresql" else _backup_sqlite(wrapper, dump)
    files = {dump.name: _fingerprint(dump)}
    # After the database: a document uploaded meanwhile is an extra file, never a row without its file.
    for source in _documents(media_root):
        relative = source.relative_to(media_root).as_posix()
        files[f"{MEDIA}/{relative}"] = _copy(source, directory / MEDIA / relative)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "django": django.get_version(),
        "database": {
            "vendor": vendor,
            "file": dump.name,
            "server_version": database["server_version"],
            **({"client_version": database["client_version"]} if "client_version" in database else {}),
        },
        "migrations": database["migrations"],
        "tables": database["tables"],
        "files": files,
    }
    temporary = directory / f"{MANIFEST}.tmp"
    with temporary.open("w", encoding="utf-8") as stream:
        json.dump(manifest, stream, ensure_ascii=False, indent=2, sort_keys=True)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.rename(directory / MANIFEST)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the rename itself survives a crash
    finally:
        os.close(descriptor)
    return manifest


# --- Restore --------------------------------------------------------------------------------------------------


def backup_verify(directory: Path) -> dict[str, Any]:
    """Read the manifest and check every file it lists; refuse on the first problem, naming the file."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(
            _("%(path)s has no manifest.json: it is not a backup, or the backup did not finish.")
            % {"path": directory}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files, vendor, dump = manifest["files"], manifest["database"]["vendor"], manifest["database"]["file"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(_("The manifest in %(path)s cannot be read.") % {"path": directory}) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("This backup has format %(found)s; this version restores format %(format)s.")
            % {"found": manifest.get("format"), "format": FORMAT}
        )
    if DUMP_FILES.get(vendor) != dump or dump not in files:
        raise BackupError(_("The manifest does not list the database file."))
    for name, expected in sorted(files.items()):
        if name != dump and not name.startswith(f"{MEDIA}/"):
            raise BackupError(_("The manifest names a file outside the backup: %(name)s") % {"name": name})
        file = _inside(directory, name)
        if not file.is_file():
            raise BackupError(
                _("%(name)s is missing from the backup; nothing was restored.") % {"name": name}
            )
        if _fingerprint(file) != {"sha256": expected["sha256"], "size": expected["size"]}:
            raise BackupError(
                _("%(name)s does not match its checksum in the manifest; nothing was restored.")
                % {"name": name}
            )
    return manifest


def backup_restore(
    *, directory: Path, target: BaseDatabaseWrapper, replace: bool = False
) -> tuple[dict[str, Any], RestoreReport]:
    """Restore a verified backup into `target` and the documents store, then compare row counts."""
    manifest = backup_verify(directory)
    vendor = manifest["database"]["vendor"]
    if _vendor(target) != vendor:
        raise BackupError(
            _("This backup is of a %(backup)s database; the target database is %(target)s.")
            % {"backup": vendor, "target": target.vendor}
        )
    media_root = _media_root()
    if not replace and _has_data(target):
        raise BackupError(
            _("The target database already has data. Run the restore again with --yes to replace it.")
        )
    dump = directory / manifest["database"]["file"]
    if vendor == "postgresql":
        _restore_postgresql(dump, target=target, made_by=manifest["database"].get("client_version", 0))
    else:
        _restore_sqlite(dump, target=target)
    report = RestoreReport(warnings=_unknown_migrations(manifest["migrations"]))
    for name, expected in sorted(manifest["files"].items()):
        if name.startswith(f"{MEDIA}/"):
            _restore_document(directory, name, expected, media_root=media_root)
            report.documents += 1
    counts = _row_counts(target)
    report.tables = len(manifest["tables"])
    report.mismatches = [
        (table, rows, counts.get(table))
        for table, rows in sorted(manifest["tables"].items())
        if counts.get(table) != rows
    ]
    return manifest, report


def _restore_postgresql(dump: Path, *, target: BaseDatabaseWrapper, made_by: int) -> None:
    target.ensure_connection()
    client = check_client_version("pg_restore", server=target.pg_version // 10000)  # type: ignore[attr-defined]
    if client < made_by:
        # pg_restore reads archives of its own major version and older ones, never newer ones.
        raise BackupError(
            _(
                "The backup was made by pg_dump %(dump)s; pg_restore %(client)s cannot read it. Install a newer client."
            )
            % {"dump": made_by, "client": client}
        )
    # Our own idle session would hold no locks, but closing it leaves pg_restore alone with the database.
    target.close()
    command = [
        shutil.which("pg_restore") or "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-password",
    ]
    # One transaction: a restore that fails half-way leaves the database as it was.
    command += [
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={target.settings_dict['NAME']}",
        str(dump),
    ]
    _run(command, env=_pg_env(target))


def _restore_sqlite(dump: Path, *, target: BaseDatabaseWrapper) -> None:
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        target.ensure_connection()
        # The backup API replaces every page of the target under its write lock: readers never see a mix.
        source.backup(target.connection)
    finally:
        source.close()


def _restore_document(directory: Path, name: str, expected: dict[str, Any], *, media_root: Path) -> None:
    relative = PurePosixPath(name).relative_to(MEDIA).as_posix()
    target = _inside(media_root, relative)
    partial = target.with_name(f"{target.name}.restoring")
    written = _copy(_inside(directory, name), partial)
    if written != {"sha256": expected["sha256"], "size": expected["size"]}:
        partial.unlink()
        raise BackupError(_("%(name)s changed while it was being restored.") % {"name": name})
    partial.replace(target)


def _unknown_migrations(state: dict[str, str]) -> list[str]:
    """Migrations the backup has applied that this code does not know: the backup comes from newer code."""
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    return [
        _("The backup has migration %(app)s.%(name)s, which this version of the code does not have.")
        % {"app": app, "name": name}
        for app, name in sorted(state.items())
        if (app, name) not in known
    ]
