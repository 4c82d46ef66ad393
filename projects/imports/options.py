"""What the officer tells the ledger import besides the file: the unit the new leads belong to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from accounts.models import Unit
from accounts.visibility import visible_units
from core.imports.base import ImportOptionsForm


class LedgerOptionsForm(ImportOptionsForm):
    owning_unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label=gettext_lazy("Owning unit"),
        help_text=gettext_lazy("The unit the new leads belong to. Leave it empty to use each owner's unit."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = self.fields["owning_unit"]
        assert isinstance(units, forms.ModelChoiceField)
        units.queryset = visible_units(self.user).filter(is_active=True)
