"""The lead ledger (台账) import: the spreadsheet staff keep of their leads becomes leads at their recorded stage.

How a ledger row becomes a lead:
- The lead is registered through `lead_create` on the first-contact date (else the stage date; with neither,
  today), its first stage change flagged as imported like the rest of the ledger's history.
- A row at a later stage adds one imported, back-dated move straight to that stage on its stage date
  (`lead_import_history`). Forward moves may skip stages, and the ledger records only where the lead got to and
  when, so the stages in between are not invented. No milestones are made for the imported stage; the first live
  move afterwards makes only those anchored beyond it.
- The owner is the user named in the row (username or full name), else the importing officer, as when an
  officer registers a lead. The owning unit is the one chosen for the file, else the owner's one unit.
- Talent-track rows (人才) are refused: a talent lead is about a person, who must first exist as a contact.

Re-importing: a row whose lead exists (same credit code, HK company number, or organization and name) creates
nothing. It shows as UNCHANGED when the lead is at or beyond the ledger's stage, and as MATCH, with a note and
still writing nothing, when the ledger is ahead: the lead's live record wins and an officer moves it forward with
the evidence. A lead of another unit the importer cannot see is an ERROR, as when registering it by hand.

- `columns`: the ledger's columns, their names, and the words staff write for types, stages and channels;
- `options`: the options form (owning unit);
- `lookups`: what a chunk of rows is resolved against, read once;
- `checks`: one row read and resolved;
- `importer`: `LedgerImporter`, which checks rows against the existing leads and commits the new ones.
"""

from projects.imports.columns import COLUMNS
from projects.imports.importer import LedgerImporter
from projects.imports.options import LedgerOptionsForm

__all__ = ["COLUMNS", "LedgerImporter", "LedgerOptionsForm"]
