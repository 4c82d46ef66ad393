"""Sign-in sheet import (签到表): the people who signed in at one event become contacts and attendances.

Each row is one person. A person already known by a phone, e-mail or WeChat ID under an agreeing name (identity
level *certain*) is linked, not created again; a person who only may be someone known is created and the pair goes
to the review queue, as every other way of registering a person does. A person already recorded at the event is
left alone, so importing the same sheet again creates nothing.

- `columns`: the sheet's columns, their names, and the words cells may hold;
- `options`: the options form (event, consent printed on the sheet) and the consent statement in force;
- `checks`: one row parsed, and the chunk's organizations and contacts looked up;
- `importer`: `SignInSheetImporter`, which checks rows against the event and commits them.
"""

from talent.imports.checks import person_key
from talent.imports.columns import COLUMNS, COUNT_KEYS
from talent.imports.importer import SignInSheetImporter
from talent.imports.options import SignInOptionsForm

__all__ = ["COLUMNS", "COUNT_KEYS", "SignInOptionsForm", "SignInSheetImporter", "person_key"]
