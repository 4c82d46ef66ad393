"""`manage.py backup` and `restore`: a seeded database and its documents go out with a manifest of checksums and
row counts, come back into an empty database of the same vendor, and a damaged backup is refused by name.

The data must be committed (`transactional_db`): pg_dump reads from a session of its own."""

from __future__ import annotations

import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import translation

from core.backup import BackupError, backup_verify, check_client_version, client_version, database_from_url
from projects import services
from projects.stages import Stage
from talent.services.contacts import ChannelInput, contact_create
from tests.factories import join, make_lead, make_unit, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DUMP = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}[connection.vendor]


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English, the msgid language, whatever the catalogs say.
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded(transactional_db, media):
    unit = make_unit("香港合作处")
    officer = join(make_user(username="officer"), unit)
    leads = [make_lead(owner=officer, unit=unit, name=f"线索{n}") for n in range(3)]
    for lead in leads[:2]:
        services.lead_advance(
            lead=lead,
            to_stage=Stage.QUALIFIED,
            actor=officer,
            evidence={"assessment": "技术领先，建议跟进", "decision": "follow"},
        )
    contact_create(actor=officer, name="陳大文", channels=[ChannelInput("email", "chan@hku.hk")])
    document = services.document_upload(
        actor=officer, lead=leads[0], file=SimpleUploadedFile("协议.pdf", PDF), title="协议"
    )
    return {"document": document}


@pytest.fixture
def backup(seeded, tmp_path) -> Path:
    call_command("backup", output=tmp_path / "backup", stdout=StringIO())
    return tmp_path / "backup"


@pytest.fixture
def scratch(tmp_path):
    """The URL of an empty database of the test database's vendor."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    params = connection.settings_dict
    name = f"{params['NAME']}_restore"
    server = psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    server.execute(drop)
    server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    credentials = quote(params["USER"]) + (f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else "")
    try:
        yield f"postgres://{credentials}@{params['HOST']}:{params['PORT'] or 5432}/{name}"
    finally:
        server.execute(drop)
        server.close()


def restore(directory: Path, *, url: str | None = None, **options) -> str:
    out = StringIO()
    call_command("restore", str(directory), database_url=url, stdout=out, stderr=out, **options)
    return out.getvalue()


def rows(wrapper, query: str) -> list[tuple]:
    with wrapper.cursor() as cursor:
        cursor.execute(query)
        return [tuple(row) for row in cursor.fetchall()]


SAMPLES = [
    "SELECT code, name, stage, status FROM projects_lead ORDER BY id",
    "SELECT lead_id, from_stage, to_stage, occurred_at FROM projects_stagechange ORDER BY id",
    "SELECT name, name_simplified FROM talent_contact ORDER BY id",
    "SELECT kind, value FROM talent_contactchannel ORDER BY id",
    "SELECT token, file, size, original_name FROM projects_document ORDER BY id",
    "SELECT username, password FROM accounts_user ORDER BY id",
]


def test_the_manifest_counts_every_model_table_as_the_orm_does_and_records_migrations_and_server(backup):
    manifest = json.loads((backup / "manifest.json").read_text())
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    assert len(models) > 50
    assert {m._meta.db_table: m._base_manager.count() for m in models} == {
        m._meta.db_table: manifest["tables"][m._meta.db_table] for m in models
    }
    assert manifest["tables"]["projects_lead"] == 3
    assert manifest["tables"]["projects_stagechange"] == 3 + 2  # each lead's registration, then two moves
    applied = MigrationRecorder(connection).applied_migrations()
    assert manifest["migrations"] == {app: max(name for a, name in applied if a == app) for app, _ in applied}
    assert manifest["migrations"]["projects"].startswith("00")
    version = "SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()"
    assert manifest["database"]["server_version"] == rows(connection, version)[0][0]
    assert manifest["database"]["vendor"] == connection.vendor


def test_every_file_in_the_backup_has_its_checksum_and_size_in_the_manifest(backup, seeded):
    manifest = backup_verify(backup)
    document = f"media/{seeded['document'].file.name}"
    assert set(manifest["files"]) == {DUMP, document}
    assert manifest["files"][document] == {"sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF)}
    dump = (backup / DUMP).read_bytes()
    assert manifest["files"][DUMP] == {"sha256": hashlib.sha256(dump).hexdigest(), "size": len(dump)}
    assert {p.name for p in backup.iterdir()} == {DUMP, "media", "manifest.json"}


def test_a_round_trip_into_an_empty_database_gives_back_the_rows_and_the_documents(
    backup, seeded, scratch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    output = restore(backup, url=scratch)
    manifest = json.loads((backup / "manifest.json").read_text())
    assert f"{len(manifest['tables'])} tables match the manifest, 1 documents" in output
    target = database_from_url(scratch)
    try:
        for query in SAMPLES:
            assert rows(target, query) == rows(connection, query), query
        assert rows(target, "SELECT COUNT(*) FROM projects_lead") == [(3,)]
    finally:
        target.close()
    assert (tmp_path / "restored-media" / seeded["document"].file.name).read_bytes() == PDF


def test_a_tampered_document_is_refused_by_name_before_anything_is_restored(
    backup, seeded, scratch, settings, tmp_path
):
    name = f"media/{seeded['document'].file.name}"
    (backup / name).write_bytes(PDF.replace(b"1.4", b"1.7"))  # same size, other bytes
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with pytest.raises(CommandError, match=f"{name} does not match its checksum"):
        restore(backup, url=scratch)
    target = database_from_url(scratch)
    try:
        assert target.introspection.table_names() == []
    finally:
        target.close()
    assert not (tmp_path / "restored-media").exists()


def test_a_missing_file_a_missing_manifest_or_a_path_outside_the_backup_is_refused_by_name(backup, scratch):
    missing_dump, unfinished, escaping = (
        shutil.copytree(backup, backup.with_name(n)) for n in ("a", "b", "c")
    )
    (missing_dump / DUMP).unlink()
    (unfinished / "manifest.json").rename(unfinished / "manifest.json.tmp")
    manifest = json.loads((escaping / "manifest.json").read_text())
    manifest["files"]["media/../../outside"] = {"sha256": "0" * 64, "size": 0}
    (escaping / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match=f"{DUMP} is missing from the backup"):
        restore(missing_dump, url=scratch)
    with pytest.raises(CommandError, match="has no manifest.json"):
        restore(unfinished, url=scratch)
    with pytest.raises(CommandError, match=r"outside the backup: media/\.\./\.\./outside"):
        restore(escaping, url=scratch)
    assert "tables match the manifest" in restore(backup, url=scratch)  # the undamaged original restores


def test_a_backup_of_the_other_vendor_is_refused(backup, scratch):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["database"].update(
        vendor=other, file=f"database.{'dump' if other == 'postgresql' else 'sqlite3'}"
    )
    manifest["files"][manifest["database"]["file"]] = manifest["files"].pop(DUMP)
    (backup / manifest["database"]["file"]).write_bytes((backup / DUMP).read_bytes())
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        CommandError, match=f"is of a {other} database; the target database is {connection.vendor}"
    ):
        restore(backup, url=scratch)


def test_restoring_over_a_database_with_data_needs_yes(backup, scratch, settings, tmp_path):
    with pytest.raises(CommandError, match="already has data"):
        restore(backup)  # the test database itself
    assert rows(connection, "SELECT COUNT(*) FROM projects_lead") == [(3,)]
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    restore(backup, url=scratch)
    with pytest.raises(CommandError, match="already has data"):
        restore(backup, url=scratch)
    assert "tables match the manifest" in restore(backup, url=scratch, yes=True)


def test_a_row_count_that_differs_after_the_restore_fails_the_command(backup, scratch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["tables"]["projects_lead"] = 4
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="1 of .* tables do not have the backup's row counts"):
        restore(backup, url=scratch)


def test_a_failed_backup_leaves_no_directory_behind(transactional_db, media, tmp_path):
    (media / "documents").mkdir(parents=True)
    (media / "documents" / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(CommandError, match="dangling in the documents store is not a regular file"):
        call_command("backup", output=tmp_path / "backup")
    assert not (tmp_path / "backup").exists()


def test_a_backup_refuses_a_directory_that_is_not_empty(media, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", output=tmp_path / "backup")
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["notes.txt"]


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="the PostgreSQL client is not installed")
def test_a_pg_dump_older_than_the_server_is_refused_with_the_versions():
    client = client_version("pg_dump")
    assert check_client_version("pg_dump", server=client) == client
    with pytest.raises(
        BackupError, match=f"pg_dump is version {client} but the server is PostgreSQL {client + 1}"
    ):
        check_client_version("pg_dump", server=client + 1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="pg_dump reads from a session of its own")
def test_a_sqlite_backup_inside_a_transaction_is_refused_instead_of_waiting_forever(db, media, tmp_path):
    with pytest.raises(CommandError, match="cannot run inside a transaction"):
        call_command("backup", output=tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
