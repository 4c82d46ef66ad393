"""Spreadsheet imports: reading files, parsing cells, and the validate → preview → commit engine."""
