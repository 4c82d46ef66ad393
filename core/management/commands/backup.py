from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump or SQLite's backup API) and the documents store into one directory "
        "with a manifest of checksums and row counts (default var/backups/<UTC timestamp>/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="A new or empty directory for the backup.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database alias to back up.")

    def handle(self, *args, output: Path | None, database: str, **options) -> None:
        try:
            directory, manifest = backup_create(output=output, using=database)
        except BackupError as exc:
            raise CommandError(_("Backup failed: %(error)s") % {"error": exc}) from exc
        documents = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            _("Backed up %(tables)s tables (%(rows)s rows) and %(documents)s documents to %(path)s")
            % {
                "tables": len(manifest["tables"]),
                "rows": sum(manifest["tables"].values()),
                "documents": documents,
                "path": directory,
            }
        )
