"""Reading an uploaded XLSX or CSV file into rows keyed by column, the way officers' sheets really look: a title
above the header, merged cells, Chinese (simplified or traditional) or English headers, a totals row at the end."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import opencc
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.imports.values import unsafe_cell

logger = logging.getLogger(__name__)

StrOrPromise = str | Promise

HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class Column:
    key: str  # "name", "organization", "phone", ...
    label: StrOrPromise  # shown to people: in messages, the preview and the rejected-rows file
    aliases: tuple[str, ...]  # header texts; script, case, width, spacing, "(optional)" notes do not matter
    required: bool = False


@dataclass(frozen=True)
class SourceRow:
    number: int  # as a spreadsheet program shows it (1-based, title and header rows counted)
    # Every column's key -> str | int | float | Decimal | date | datetime | None (None also for a column the
    # file lacks). Merged cells carry their top-left cell's value; a formula is its text "=...".
    values: dict[str, Any]


@dataclass
class Table:
    header_row: int
    headers: dict[str, str]  # column key -> the header as written in the file
    ignored_headers: list[str]  # header cells that matched no column
    rows: list[SourceRow]  # without blank, summary (合计, Total, ...) and repeated header rows


class FileProblem(ApplicationError):  # noqa: N818 (the name the importers share)
    """The file as a whole cannot be imported; the message tells the user why and what to do."""


# A row of the sheet: its number as a spreadsheet shows it, its cells from column A, and which cells were filled
# from a merged range's top-left cell in another column (a header spread over several columns is one header).
@dataclass
class _Row:
    number: int
    cells: list[Any]
    spread: frozenset[int] = frozenset()


def read_table(data: bytes, *, filename: str, columns: Sequence[Column]) -> Table:
    """The data rows of the file under their columns; a `FileProblem` when the file as a whole cannot be used."""
    limit = getattr(settings, "IMPORT_MAX_ROWS", 20000)
    grid = _read_grid(data, filename, limit)
    if not grid:
        raise FileProblem(_("The file is empty."))
    header_at, positions = _find_header(grid[:HEADER_SEARCH_ROWS], columns)
    header = grid[header_at]
    first_column = min(positions.values())
    rows: list[SourceRow] = []
    trailing_notes = 0
    for row in grid[header_at + 1 :]:
        values = {column.key: None for column in columns}
        values.update({key: _cell_at(row.cells, index) for key, index in positions.items()})
        if (
            all(_blank(value) for value in values.values())
            or _is_summary(row)
            or _repeats_header(row, header, positions)
        ):
            continue
        trailing_notes = trailing_notes + 1 if _is_note(row, first_column) else 0
        rows.append(SourceRow(number=row.number, values=values))
    # A note is only told from a person's row by where it stands: under the last row of data.
    if trailing_notes:
        del rows[-trailing_notes:]
    if len(rows) > limit:
        raise _too_many_rows(limit)
    return Table(
        header_row=header.number,
        headers={key: _text(header.cells[index]) for key, index in positions.items()},
        ignored_headers=[
            _text(value)
            for index, value in enumerate(header.cells)
            if not _blank(value) and index not in positions.values() and index not in header.spread
        ],
        rows=rows,
    )


# Reading the file -------------------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files


def first_bytes_problem(head: bytes, extension: str) -> str:
    """Why a file whose first bytes are `head`, named with `extension` (".xlsx", ".csv"), cannot be one this reader
    will read — a program renamed .xlsx, an old .xls renamed, binary data named .csv — or "". The upload asks
    this before it stores anything; the messages are the reader's own."""
    if head.startswith(_OLE_MAGIC):
        return _("Files in the old Excel format (.xls) cannot be read. Open the file and save it as .xlsx.")
    if extension == ".xlsx" and not head.startswith(_ZIP_MAGIC):
        return _(
            "The file could not be read as an Excel workbook: open it, save it again as .xlsx and upload that."
        )
    # A workbook renamed .csv is read as a workbook (_read_grid); UTF-16 text starts with its BOM.
    readable = head.startswith((_ZIP_MAGIC, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head
    if extension == ".csv" and not readable:
        return _("The text encoding of the CSV file is not recognised: save it as “CSV UTF-8” or as .xlsx.")
    return ""


def _read_grid(data: bytes, filename: str, limit: int) -> list[_Row]:
    """The non-blank rows of the file's first sheet with data."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    # The content decides before the name does: a workbook renamed to .csv is still a workbook.
    if data.startswith(_OLE_MAGIC) or extension in ("xls", "et"):
        raise FileProblem(
            _(
                "This is an old-format Excel file (.xls): open it and save it as .xlsx or .csv, then upload that."
            )
        )
    if data.startswith(_ZIP_MAGIC) or extension in ("xlsx", "xlsm"):
        return _read_xlsx(data, limit)
    if extension in ("csv", "txt", "tsv"):
        return _read_csv(data, limit)
    raise FileProblem(
        _("Files of type “%(name)s” cannot be imported: save the sheet as .xlsx or .csv.")
        % {"name": filename}
    )


def _read_xlsx(data: bytes, limit: int) -> list[_Row]:
    from openpyxl import load_workbook

    try:
        # Not read-only: merged ranges are only known to a fully loaded sheet. data_only=False keeps formulas as
        # their text, so nothing in the file is ever computed from cached or injected results.
        workbook = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:
        # A damaged upload fails anywhere in the zip, XML or style parsers, each with its own exception type.
        logger.info("import_unreadable_xlsx", extra={"error": type(exc).__name__})
        raise FileProblem(
            _(
                "The file could not be read as an Excel workbook: open it, save it again as .xlsx and upload that."
            )
        ) from exc
    sheets = sorted(workbook.worksheets, key=lambda sheet: sheet.sheet_state != "visible")
    for sheet in sheets:
        grid = _sheet_grid(sheet, limit)
        if grid:
            return grid
    return []


def _sheet_grid(sheet, limit: int) -> list[_Row]:
    from openpyxl.worksheet.formula import ArrayFormula

    filled: dict[tuple[int, int], Any] = {}
    spread: dict[int, set[int]] = {}
    for merged in sheet.merged_cells.ranges:
        value = sheet.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                filled[row, column] = value
                if column != merged.min_col:
                    spread.setdefault(row, set()).add(column - 1)
    grid = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [filled.get((number, column), value) for column, value in enumerate(values, start=1)]
        cells = [
            value.text if isinstance(value, ArrayFormula) else None if value == "" else unsafe_cell(value)
            for value in cells
        ]
        if any(not _blank(value) for value in cells):
            grid.append(_Row(number, cells, frozenset(spread.get(number, ()))))
            _check_size(grid, limit)
    return grid


def _read_csv(data: bytes, limit: int) -> list[_Row]:
    text = _decode(data)
    delimiter = _delimiter(text[:65536])
    grid = []
    try:
        for number, values in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            cells = [_clean(unsafe_cell(value)) for value in values]
            if any(not _blank(value) for value in cells):
                grid.append(_Row(number, cells))
                _check_size(grid, limit)
    except csv.Error as exc:
        raise FileProblem(
            _("The CSV file could not be read (%(error)s): save it again from Excel as .csv or .xlsx.")
            % {"error": exc}
        ) from exc
    return grid


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Excel on Chinese Windows saves CSV in the system code page; GB18030 reads all of GBK and GB2312.
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("The text encoding of the CSV file is not recognised: save it as “CSV UTF-8” or as .xlsx.")
        ) from exc


def _delimiter(sample: str) -> str:
    """The separator with the most fields in the sample; a comma when the rows have one column."""
    lines = sample.splitlines()[:-1] or sample.splitlines()  # the sample may end inside a row

    def fields(delimiter: str) -> int:
        try:
            return sum(len(row) - 1 for row in csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            return -1

    return max((",", ";", "\t"), key=fields)


def _check_size(grid: list[_Row], limit: int) -> None:
    # Stop reading early; the title and header rows and a few notes fit in the margin.
    if len(grid) > limit + HEADER_SEARCH_ROWS + 100:
        raise _too_many_rows(limit)


def _too_many_rows(limit: int) -> FileProblem:
    return FileProblem(
        _("The file has more than %(limit)s rows of data: split it into files of at most %(limit)s rows.")
        % {"limit": limit}
    )


# Finding the header -----------------------------------------------------------------------------------------------


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# A trailing note in brackets: "（选填）", "(optional)", "【必填】", "<yyyy-mm-dd>".
_NOTE = re.compile(r"[(\[【<《〈][^()\[\]【】<>《》〈〉]*[)\]】>》〉]$")
_MARKS = " *※"


def _squash(text: str) -> str:
    """Letters and digits only: spaces, underscores, punctuation and symbols say nothing about the column."""
    return "".join(char for char in text if unicodedata.category(char)[0] in "LNM")


def _folded(value: Any) -> str:
    """Full-width to half-width, lower case, traditional to simplified: "（選填）" and "(选填)" are the same text."""
    return _t2s().convert(unicodedata.normalize("NFKC", str(value)).lower()).strip()


def _header_keys(value: Any) -> tuple[str, str]:
    """A header cell as compared with aliases: the whole text, then the text without its trailing notes."""
    folded = _folded(value)
    short = folded
    while True:
        shorter = _NOTE.sub("", short.strip(_MARKS)).strip(_MARKS)
        if shorter == short:
            break
        short = shorter
    return _squash(folded), _squash(short)


def _alias_map(columns: Sequence[Column]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for column in columns:
        for alias in column.aliases:
            aliases.setdefault(_header_keys(alias)[0], column.key)
    for column in columns:
        for name in (column.key, str(column.label)):
            aliases.setdefault(_header_keys(name)[0], column.key)
    aliases.pop("", None)
    return aliases


def _matches(value: Any, aliases: dict[str, str]) -> str | None:
    if _blank(value):
        return None
    full, short = _header_keys(value)
    return aliases.get(full) or aliases.get(short)


def _find_header(candidates: list[_Row], columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """The index of the header among the candidate rows and the sheet column of each matched column."""
    aliases = _alias_map(columns)
    required = {column.key for column in columns if column.required}
    enough = min(2, len(columns))
    best: tuple[int, dict[str, list[int]]] | None = None
    for at, row in enumerate(candidates):
        found: dict[str, list[int]] = {}
        for index, value in enumerate(row.cells):
            key = None if index in row.spread else _matches(value, aliases)
            if key:
                found.setdefault(key, []).append(index)
        if len(found) >= enough or (required and required <= found.keys()):
            best = (at, found)
            break
        if found and (best is None or len(found) > len(best[1])):
            best = (at, found)
    if best is None or (len(best[1]) < enough and not required):
        examples = ", ".join(f"“{column.label}”" for column in columns if column.required) or ", ".join(
            f"“{column.label}”" for column in columns[:3]
        )
        raise FileProblem(
            _(
                "No header row was found in the first %(count)s rows: the sheet needs a row of column names "
                "such as %(examples)s."
            )
            % {"count": HEADER_SEARCH_ROWS, "examples": examples}
        )
    at, found = best
    cells = candidates[at].cells
    labels = {column.key: column.label for column in columns}
    for key, indexes in found.items():
        if len(indexes) > 1:
            raise FileProblem(
                _("The columns “%(first)s” and “%(second)s” both mean “%(label)s”: keep only one of them.")
                % {
                    "first": _text(cells[indexes[0]]),
                    "second": _text(cells[indexes[1]]),
                    "label": labels[key],
                }
            )
    missing = [column for column in columns if column.required and column.key not in found]
    if missing:
        raise FileProblem(
            _("Required columns are missing: %(columns)s. Add them to the header row (row %(row)s).")
            % {"columns": ", ".join(f"“{column.label}”" for column in missing), "row": candidates[at].number}
        )
    return at, {key: indexes[0] for key, indexes in found.items()}


# Rows that are not data -------------------------------------------------------------------------------------------

_SUMMARY_WORDS = frozenset(
    {
        "合计",
        "总计",
        "小计",
        "共计",
        "累计",
        "总数",
        "汇总",
        "总合计",
        "total",
        "totals",
        "subtotal",
        "grandtotal",
        "sum",
        "以下空白",
        "以下无数据",
        "以下无内容",
        "此页以下空白",
    }
)
_SUMMARY_PREFIX = re.compile(r"(合计|总计|小计|共计|累计|total|subtotal)\s*[:=]")
_NOTE_PREFIX = re.compile(r"(说明|备注|注意|注|notes?|remarks?)\s*[:：]|(说明|备注)")


def _first_filled(row: _Row) -> tuple[int, Any] | None:
    return next(((index, value) for index, value in enumerate(row.cells) if not _blank(value)), None)


def _is_summary(row: _Row) -> bool:
    first = _first_filled(row)
    if first is None:
        return False
    value = first[1]
    if not isinstance(value, str):
        return False
    return bool(set(_header_keys(value)) & _SUMMARY_WORDS) or bool(_SUMMARY_PREFIX.match(_folded(value)))


def _is_note(row: _Row, first_column: int) -> bool:
    filled = [(index, value) for index, value in enumerate(row.cells) if not _blank(value)]
    return (
        len(filled) == 1
        and filled[0][0] == first_column
        and isinstance(filled[0][1], str)
        and bool(_NOTE_PREFIX.match(_folded(filled[0][1])))
    )


def _repeats_header(row: _Row, header: _Row, positions: dict[str, int]) -> bool:
    """The header printed again further down (sheets laid out for printing repeat it on every page)."""
    same = 0
    for index in positions.values():
        value = _cell_at(row.cells, index)
        if _blank(value):
            continue
        if _header_keys(value) != _header_keys(header.cells[index]):
            return False
        same += 1
    return same >= min(2, len(positions))


# Cells ------------------------------------------------------------------------------------------------------------


def _cell_at(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _clean(value: Any) -> Any:
    return None if _blank(value) else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""
