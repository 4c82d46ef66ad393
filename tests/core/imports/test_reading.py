import datetime as dt
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from core.imports.reading import Column, FileProblem, SourceRow, read_table

COLUMNS = (
    Column("name", gettext_lazy("name"), ("姓名", "名字", "name", "full name"), required=True),
    Column("organization", gettext_lazy("organization"), ("机构", "单位", "organization", "organisation")),
    Column("phone", gettext_lazy("phone"), ("电话", "手机", "phone", "mobile")),
    Column("amount", gettext_lazy("amount"), ("金额", "投资额", "amount")),
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def xlsx(*rows, merge=(), sheet_first=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if sheet_first is not None:
        sheet.title = "empty"
        sheet = workbook.create_sheet("data")
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes, filename: str = "sheet.xlsx", columns=COLUMNS):
    return read_table(data, filename=filename, columns=columns)


def problem(data: bytes, filename: str = "sheet.xlsx", columns=COLUMNS) -> str:
    with pytest.raises(FileProblem) as error:
        read(data, filename, columns)
    return error.value.message


def test_a_title_row_above_the_header_is_passed_over():
    table = read(
        xlsx(["2025年3月10日 港科大交流会签到表"], ["姓名", "机构", "电话"], ["张三", "港科大", "91234567"])
    )
    assert table.header_row == 2
    assert table.headers == {"name": "姓名", "organization": "机构", "phone": "电话"}
    assert table.rows == [
        SourceRow(3, {"name": "张三", "organization": "港科大", "phone": "91234567", "amount": None})
    ]


def test_a_merged_title_and_merged_cells_are_filled_from_their_top_left_cell():
    table = read(
        xlsx(
            ["交流会签到表", None, None],
            ["姓名", "机构", "电话"],
            ["张三", "港科大", "91234567"],
            ["李四", None, "92345678"],
            ["王五", "港大", None],
            merge=["A1:C1", "B3:B4", "B5:C5"],
        )
    )
    assert [(row.number, row.values["organization"], row.values["phone"]) for row in table.rows] == [
        (3, "港科大", "91234567"),
        (4, "港科大", "92345678"),
        (5, "港大", "港大"),
    ]


def test_a_header_spread_over_merged_columns_counts_once():
    table = read(xlsx(["姓名", None, "机构"], ["张三", "Cheung", "港科大"], merge=["A1:B1"]))
    assert table.headers == {"name": "姓名", "organization": "机构"}
    assert table.rows[0].values["name"] == "张三"


def test_a_formula_cell_is_read_as_its_text_and_never_computed():
    table = read(xlsx(["姓名", "金额"], ["张三", "=1+1"]))
    assert table.rows[0].values["amount"] == "=1+1"


@pytest.mark.parametrize("filename", ["sheet.xlsx", "sheet.csv"])
def test_the_apostrophe_an_export_puts_before_formula_text_is_taken_off_again(filename):
    """An exported ledger or a corrected rejected-rows file holds "'+852…" and "'=…" (core.imports.values.
    safe_cell): read back, the text is what was typed. An apostrophe before anything else is kept."""
    rows = [["姓名", "机构", "电话"], ['\'=HYPERLINK("x")', "'O'Brien & Co", "'+85291234567"]]
    data = xlsx(*rows) if filename.endswith(".xlsx") else "\n".join(",".join(row) for row in rows).encode()
    values = read(data, filename).rows[0].values
    assert (values["name"], values["organization"], values["phone"]) == (
        '=HYPERLINK("x")',
        "'O'Brien & Co",
        "+85291234567",
    )


def test_blank_and_summary_rows_are_left_out_and_row_numbers_stay_the_sheets():
    table = read(
        xlsx(
            ["序号", "姓名", "金额"],
            [1, "张三", "500万"],
            [None, None, None],
            [2, "李四", 300],
            ["合计", None, "800万"],
            ["總計：", None, "800万"],
            ["Total", None, 2],
            ["说明：金额以万元计", None, None],
        )
    )
    assert [(row.number, row.values["name"]) for row in table.rows] == [(2, "张三"), (4, "李四")]
    assert table.ignored_headers == ["序号"]


def test_a_note_line_among_the_data_is_kept_as_data():
    table = read(xlsx(["姓名", "机构"], ["说明：迟到", None], ["张三", "港大"]))
    assert [row.values["name"] for row in table.rows] == ["说明：迟到", "张三"]


def test_a_header_repeated_for_printing_is_left_out():
    table = read(xlsx(["姓名", "机构"], ["张三", "港大"], ["姓名", "机构"], ["李四", "港大"]))
    assert [row.number for row in table.rows] == [2, 4]


def test_dates_and_numbers_come_as_their_cell_types():
    table = read(xlsx(["姓名", "金额", "日期"], ["张三", 1200000, dt.datetime(2025, 3, 10)]))
    assert table.rows[0].values["amount"] == 1200000
    assert table.ignored_headers == ["日期"]


@pytest.mark.parametrize(
    "header",
    [
        ["姓名", "機構", "電話"],
        ["Full Name", "Organisation", "Mobile"],
        ["NAME", "organization", "PHONE"],
        ["姓名（必填）", "机构（选填）", "*电话"],
        ["姓 名", "机构 (optional)", "電話【選填】"],
        ["ｎａｍｅ", "ｏｒｇａｎｉｚａｔｉｏｎ", "ｐｈｏｎｅ"],
    ],
)
def test_headers_in_either_script_english_or_with_notes_are_recognised(header):
    table = read(xlsx(header, ["张三", "港科大", "91234567"]))
    assert table.headers == dict(zip(["name", "organization", "phone"], header, strict=True))


def test_the_first_sheet_with_data_is_read():
    table = read(xlsx(["姓名", "机构"], ["张三", "港大"], sheet_first=True))
    assert table.rows[0].number == 2


def test_a_missing_required_column_is_named():
    assert problem(xlsx(["机构", "电话"], ["港科大", "91234567"])) == (
        "Required columns are missing: “name”. Add them to the header row (row 1)."
    )


def test_two_headers_for_one_column_are_both_named():
    assert problem(xlsx(["姓名", "名字", "机构"], ["张三", "张三", "港大"])) == (
        "The columns “姓名” and “名字” both mean “name”: keep only one of them."
    )


def test_a_sheet_without_a_header_is_refused():
    message = problem(xlsx(["张三", "港大"], ["李四", "港大"]))
    assert message.startswith("No header row was found in the first 20 rows")


def test_an_empty_sheet_is_refused():
    assert problem(xlsx()) == "The file is empty."


def test_utf8_csv():
    table = read("姓名,机构\n张三,港科大\n".encode(), "people.csv")
    assert table.rows == [
        SourceRow(2, {"name": "张三", "organization": "港科大", "phone": None, "amount": None})
    ]


def test_utf8_csv_with_a_byte_order_mark():
    table = read("\ufeff姓名,机构\n张三,港科大\n".encode(), "people.csv")
    assert table.headers == {"name": "姓名", "organization": "机构"}


def test_gbk_csv():
    table = read("姓名,机构\n张三,港科大\n".encode("gbk"), "people.csv")
    assert table.rows[0].values["name"] == "张三"
    assert table.rows[0].values["organization"] == "港科大"


def test_semicolon_csv_with_a_title_line_and_quoted_fields():
    data = '签到表\n姓名;机构;金额\n张三;"港科大; 工学院";"3,000,000"\n'.encode()
    table = read(data, "people.csv")
    assert table.header_row == 2
    assert table.rows[0].values == {
        "name": "张三",
        "organization": "港科大; 工学院",
        "phone": None,
        "amount": "3,000,000",
    }


def test_tab_separated_text():
    table = read("姓名\t机构\n张三\t港大\n".encode(), "people.txt")
    assert table.rows[0].values["organization"] == "港大"


def test_an_old_excel_file_is_refused_with_what_to_do():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    assert "save it as .xlsx or .csv" in problem(data, "people.xls")


def test_another_file_type_is_refused():
    assert problem(b"%PDF-1.4", "people.pdf") == (
        "Files of type “people.pdf” cannot be imported: save the sheet as .xlsx or .csv."
    )


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"garbage", xlsx(["姓名"])[:200]])
def test_a_damaged_workbook_is_refused(data):
    assert problem(data, "people.xlsx").startswith("The file could not be read as an Excel workbook")


def test_too_many_rows_are_refused(settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [["张三", "港大"]] * 4
    assert problem(xlsx(["姓名", "机构"], *rows)) == (
        "The file has more than 3 rows of data: split it into files of at most 3 rows."
    )
    assert len(read(xlsx(["姓名", "机构"], *rows[:3], ["合计", None])).rows) == 3


def test_a_very_long_file_is_refused_before_it_is_all_read(settings):
    settings.IMPORT_MAX_ROWS = 3
    data = ("姓名,机构\n" + "张三,港大\n" * 500).encode()
    assert problem(data, "people.csv").startswith("The file has more than 3 rows of data")
