"""shared.tabular: one table, read back as CSV with the csv module and as XLSX with openpyxl."""
import csv
import io
import os
import tempfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shared.tabular import Cell, Column, columns, csv_chunks, write_xlsx

TABLE = columns("食堂", ("用餐日期", "date"), ("数量", "quantity"), ("金额", "money"), ("是否超限", "flag"),
                ("人次", "count"))
ROWS = [["第一食堂", date(2026, 10, 2), Decimal("12.500"), Decimal("52.50"), True, 205],
        ["第二食堂", date(2026, 10, 3), Decimal("0.250"), Decimal("1.05"), False, 50],
        ["合计", None, None, Decimal("53.55"), None, 255]]


def test_csv_has_a_bom_chinese_headers_plain_numbers_and_flags_in_words():
    body = b"".join(csv_chunks(TABLE, iter(ROWS), rows_per_chunk=1))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["食堂", "用餐日期", "数量", "金额", "是否超限", "人次"],
                    ["第一食堂", "2026-10-02", "12.500", "52.50", "是", "205"],
                    ["第二食堂", "2026-10-03", "0.250", "1.05", "否", "50"],
                    ["合计", "", "", "53.55", "", "255"]]


def test_xlsx_cells_are_numbers_and_dates_with_a_format_per_kind():
    target = io.BytesIO()
    write_xlsx(target, "a sheet name longer than the thirty-one characters Excel allows", TABLE, iter(ROWS))
    sheet = load_workbook(target).active
    assert sheet.title == "a sheet name longer than the th"
    header, first, _, total = list(sheet.iter_rows())
    assert [cell.value for cell in header] == ["食堂", "用餐日期", "数量", "金额", "是否超限", "人次"]
    assert header[0].font.bold
    assert first[1].is_date and first[1].number_format == "yyyy-mm-dd"
    assert (Decimal(str(first[2].value)), first[2].number_format) == (Decimal("12.5"), "#,##0.000")
    assert (Decimal(str(first[3].value)), first[3].number_format) == (Decimal("52.5"), '"¥"#,##0.00')
    assert (first[4].value, first[5].value, first[5].number_format) == ("是", 205, "#,##0")
    assert (total[0].value, total[1].value, Decimal(str(total[3].value))) == ("合计", None, Decimal("53.55"))


def test_a_mixed_column_takes_each_cells_own_kind():
    table = [Column("项目"), Column("全校合计", "mixed")]
    rows = [["就餐人次", Cell(255, "count")], ["支出合计", Cell(Decimal("1043.20"), "money")]]
    target = io.BytesIO()
    write_xlsx(target, "statement", table, iter(rows))
    cells = [row[1] for row in list(load_workbook(target).active.iter_rows())[1:]]
    assert [(cell.value, cell.number_format) for cell in cells] == [(255, "#,##0"), (1043.2, '"¥"#,##0.00')]
    text = b"".join(csv_chunks(table, iter(rows))).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["就餐人次,255", "支出合计,1043.20"]


def test_rows_that_fail_half_way_leave_no_temporary_file_behind(tmp_path, monkeypatch):
    def rows():
        yield ROWS[0]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where openpyxl's write-only sheet writes
    with pytest.raises(RuntimeError):
        write_xlsx(io.BytesIO(), "x", TABLE, rows())
    assert os.listdir(tmp_path) == []


def test_an_unknown_column_kind_is_refused():
    with pytest.raises(ValueError):
        Column("金额", "yuan")
