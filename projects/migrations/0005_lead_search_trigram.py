"""Trigram indexes for the lead list's free-text search, on PostgreSQL only.

The admin's search is ``UPPER(column::text) LIKE UPPER('%term%')`` over six columns; each index below has that
exact expression, so PostgreSQL combines them (and the organization foreign key) in one bitmap instead of
scanning every lead. SQLite, the embedded default, has no trigram indexes and keeps its scan.
"""

from django.db import migrations

COLUMNS = ["code", "name", "name_zh_hant", "name_en", "uscc", "hk_company_number"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS lead_{column}_trgm ON projects_lead '
            f'USING gin (upper("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_seed_passes")]

    operations = [migrations.RunPython(create, drop)]
