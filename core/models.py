"""Core's models live beside the code that uses them; Django looks for them here."""

from core.imports.models import ImportJob, ImportRow

__all__ = ["ImportJob", "ImportRow"]
