from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCALES = ["zh_Hans", "zh_Hant", "en"]
# English message ids are the English text, so only the Chinese catalogs must translate every entry.
MUST_TRANSLATE = {"zh_Hans", "zh_Hant"}
SKIP = shutil.ignore_patterns(".git", ".venv", "var", "locale", "__pycache__", "*.pyc", "node_modules")


def _key(entry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _translations(entries) -> dict[tuple[str, str, str], object]:
    return {
        _key(e): (tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr)
        for e in entries
        if e.msgid
    }


class Command(BaseCommand):
    help = (
        "Fail when the committed catalogs are stale: message ids differ from a fresh makemessages, a Chinese "
        "entry is empty or fuzzy, or a compiled .mo does not match its .po."
    )

    def handle(self, *args, **options) -> None:
        root = Path(settings.BASE_DIR)
        committed = root / "locale"
        domains = sorted({p.stem for p in committed.glob("*/LC_MESSAGES/*.po")}) or ["django"]
        problems: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "src"
            shutil.copytree(root, copy, ignore=SKIP)
            (copy / "locale").mkdir()
            for domain in domains:
                command = [sys.executable, "manage.py", "makemessages", "-d", domain, "--no-location"]
                command += [arg for locale in LOCALES for arg in ("-l", locale)]
                result = subprocess.run(command, cwd=copy, capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    raise CommandError(f"makemessages failed:\n{result.stderr}")
                for locale in LOCALES:
                    problems += self._compare(
                        locale,
                        domain,
                        fresh=copy / "locale" / locale / "LC_MESSAGES" / f"{domain}.po",
                        ours=committed / locale / "LC_MESSAGES" / f"{domain}.po",
                    )
        if problems:
            raise CommandError("Translation catalogs need work:\n  " + "\n  ".join(problems))
        self.stdout.write(f"Catalogs are complete and compiled ({', '.join(LOCALES)}; {', '.join(domains)}).")

    def _compare(self, locale: str, domain: str, *, fresh: Path, ours: Path) -> list[str]:
        name = f"{locale}/{domain}"
        if not ours.exists():
            return [f"{name}.po is missing (run `make messages`)"]
        po = polib.pofile(str(ours))
        problems = []
        wanted = {_key(e) for e in polib.pofile(str(fresh)) if e.msgid} if fresh.exists() else set()
        have = {_key(e) for e in po if e.msgid and not e.obsolete}
        for msgid in sorted(wanted - have)[:20]:
            problems.append(f"{name}: not in the catalog: {msgid[1]!r} (run `make messages`)")
        for msgid in sorted(have - wanted)[:20]:
            problems.append(f"{name}: no longer in the code: {msgid[1]!r} (run `make messages`)")
        if locale in MUST_TRANSLATE:
            for entry in po:
                if entry.obsolete or not entry.msgid:
                    continue
                if "fuzzy" in entry.flags:
                    problems.append(f"{name}: fuzzy: {entry.msgid!r}")
                elif not entry.translated():
                    problems.append(f"{name}: untranslated: {entry.msgid!r}")
        mo = ours.with_suffix(".mo")
        if not mo.exists():
            problems.append(f"{name}.mo is missing (run `make messages`)")
        else:
            translated = [e for e in po if e.translated() and not e.obsolete and "fuzzy" not in e.flags]
            if _translations(translated) != _translations(polib.mofile(str(mo))):
                problems.append(f"{name}.mo does not match {name}.po (run `make messages`)")
        return problems
