from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_restore, database_from_url


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: checks every checksum first, refuses a database that "
        "already has data unless --yes, then compares the restored row counts with the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory", type=Path, help="The backup directory (the one holding manifest.json)."
        )
        parser.add_argument("--yes", action="store_true", help="Replace a database that already has data.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database alias to restore into."
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead (postgres://... or sqlite:////path), e.g. to try a backup.",
        )

    def handle(self, *args, directory: Path, yes: bool, database: str, database_url: str | None, **options):
        target = database_from_url(database_url) if database_url else connections[database]
        try:
            manifest, report = backup_restore(directory=directory, target=target, replace=yes)
        except BackupError as exc:
            raise CommandError(_("Restore refused: %(error)s") % {"error": exc}) from exc
        finally:
            if database_url:
                target.close()
        for warning in report.warnings:
            self.stderr.write(warning)
        for table, expected, found in report.mismatches:
            self.stderr.write(
                _("%(table)s: %(expected)s rows in the backup, %(found)s after the restore")
                % {"table": table, "expected": expected, "found": "—" if found is None else found}
            )
        if report.mismatches:
            raise CommandError(
                _("Restored, but %(count)s of %(tables)s tables do not have the backup's row counts.")
                % {"count": len(report.mismatches), "tables": report.tables}
            )
        self.stdout.write(
            _(
                "Restored the backup of %(created)s: %(tables)s tables match the manifest, %(documents)s documents."
            )
            % {"created": manifest["created_at"], "tables": report.tables, "documents": report.documents}
        )
