"""Finance exports read back with the csv module and openpyxl: headers, Chinese text, totals, formats."""
from __future__ import annotations

import csv
import io
import itertools
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from services.inventory.costing.exports import COST_DETAIL_COLUMNS, wall_clock_shift
from shared.auth import Principal
from shared.tabular import csv_chunks, write_xlsx
from tests.conftest import bearer

D = Decimal
COST_DETAIL_HEADER = [column.title for column in COST_DETAIL_COLUMNS]
YUAN = '"¥"#,##0.00'


@pytest.fixture
def finance_token(school_id):
    return bearer(Principal("5001", frozenset({"finance"}), school_id=school_id))


@pytest.fixture
def statement_id(inventory, finance_token, october):
    return inventory.post("/api/costing/statements", json={"month": "2026-10-01"}, headers=finance_token).json["id"]


def read_csv(response):
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response.status_code == 200, response.data[:500]
    return load_workbook(io.BytesIO(response.data)).active


def test_the_statement_as_csv_has_chinese_lines_and_the_hand_computed_figures(inventory, finance_token,
                                                                              statement_id):
    rows = read_csv(inventory.get(f"/api/costing/statements/{statement_id}/export.csv", headers=finance_token))
    assert rows[0] == ["项目", "第一食堂", "第二食堂", "第三食堂", "全校合计"]
    lines = {row[0]: row[1:] for row in rows[1:]}
    assert lines["就餐人次合计"] == ["205", "50", "0", "255"]
    assert lines["食材支出合计"] == ["369.95", "143.00", "0.00", "512.95"]
    assert lines["燃料（煤）"] == ["220.00", "0.00", "0.00", "220.00"]
    assert lines["支出合计"] == ["840.20", "203.00", "0.00", "1043.20"]
    assert lines["本期结余"] == ["-302.40", "-33.00", "0.00", "-335.40"]
    assert lines["食材支出占伙食费比例（%）"] == ["86.94", "84.12", "", "86.14"]
    assert lines["人均餐成本（元/人次）"] == ["4.10", "4.06", "", "4.09"]
    # the school column is the sum of the halls on every money line
    for label in ("学生伙食费", "收入合计", "蔬菜类", "米面油", "肉蛋类", "支出合计", "毛利"):
        assert sum(D(value) for value in lines[label][:3]) == D(lines[label][3])
    assert [row[0] for row in rows[-5:]] == ["签字：成本核算员", "签字：膳食委员会主任", "签字：总务主任",
                                             "签字：分管副校长", "签字：校长"]


def test_the_statement_as_xlsx_has_number_formats(inventory, finance_token, statement_id):
    sheet = read_xlsx(inventory.get(f"/api/costing/statements/{statement_id}/export.xlsx", headers=finance_token))
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == ["项目", "第一食堂", "第二食堂", "第三食堂", "全校合计"]
    by_label = {row[0].value: row for row in rows[1:]}
    spending = by_label["支出合计"]
    assert [D(str(cell.value)) for cell in spending[1:]] == [D("840.20"), D("203.00"), D("0"), D("1043.20")]
    assert all(cell.number_format == YUAN for cell in spending[1:])
    assert by_label["就餐人次合计"][4].value == 255 and by_label["就餐人次合计"][4].number_format == "#,##0"
    assert by_label["食材支出占伙食费比例（%）"][2].number_format == "0.00"


def test_the_cost_detail_lists_every_issue_with_item_lot_supplier_and_document(inventory, finance_token, october):
    rows = read_csv(inventory.get("/api/costing/cost-detail.csv?start=2026-10-01&end=2026-10-31",
                                  headers=finance_token))
    assert rows[0] == COST_DETAIL_HEADER
    body, total = rows[1:-1], rows[-1]
    # DH1: rice, cabbage, milk (2 Oct), pork, salt (15 Oct), coal (31 Oct 23:30); DH2: rice, cabbage (20 Oct)
    assert [(row[0], row[2], row[5]) for row in body] == [
        ("2026-10-02", "第一食堂", "大米"), ("2026-10-02", "第一食堂", "白菜"), ("2026-10-02", "第一食堂", "纯牛奶"),
        ("2026-10-15", "第一食堂", "猪肉"), ("2026-10-15", "第一食堂", "食盐"), ("2026-10-20", "第二食堂", "大米"),
        ("2026-10-20", "第二食堂", "白菜"), ("2026-10-31", "第一食堂", "煤")]
    salt = body[4]
    assert salt[3:12] == ["调味品", "SALT", "食盐", "kg", "SALT-DH1", "31", "DN-DH1", "领用出库", salt[11]]
    assert salt[11].startswith("ISSUE-") and (salt[12], salt[13]) == ("2026-10-15", "午餐")
    assert (salt[14], salt[16]) == ("1.700", "4.00")  # 23.50 × 1.7/10 = 3.995 → 4.00
    assert body[-1][1] == "23:30" and body[-1][3] == "燃料（煤）"
    # 369.95 (DH1 ingredients) + 220.00 (DH1 coal) + 143.00 (DH2) = 732.95
    assert total[0] == "合计" and total[-1] == "732.95"
    assert sum(D(row[16]) for row in body) == D("732.95")


def test_the_cost_detail_as_xlsx_of_one_hall(inventory, finance_token, october):
    sheet = read_xlsx(inventory.get(f"/api/costing/cost-detail.xlsx?start=2026-10-01&end=2026-10-31&location_id="
                                    f"{october['DH2'].id}", headers=finance_token))
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == COST_DETAIL_HEADER
    assert [row[5].value for row in rows[1:-1]] == ["大米", "白菜"]
    assert [D(str(row[16].value)) for row in rows[1:]] == [D("86"), D("57"), D("143")]  # 86.00 + 57.00
    assert rows[1][16].number_format == YUAN and rows[1][14].number_format == "#,##0.000"
    assert rows[1][0].is_date and rows[1][0].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("query, status", [
    ("start=2026-10-31&end=2026-10-01", 422), ("start=2026-10-01", 422), ("start=x&end=2026-10-01", 422),
    ("start=2026-10-01&end=2026-10-31&location_id=999999", 422), ("start=2025-01-01&end=2026-10-31", 422),
])
def test_bad_export_queries_are_refused_before_any_byte_is_sent(inventory, finance_token, october, query, status):
    assert inventory.get(f"/api/costing/cost-detail.csv?{query}", headers=finance_token).status_code == status


def test_exports_need_a_finance_or_supervising_role(inventory, school_id, statement_id):
    manager = bearer(Principal("5002", frozenset({"canteen_manager"}), school_id=school_id))
    supervisor = bearer(Principal("5003", frozenset({"supervisor"}), school_id=school_id))
    path = f"/api/costing/statements/{statement_id}/export.csv"
    assert inventory.get(path, headers=manager).status_code == 403
    assert inventory.get(path, headers=supervisor).status_code == 200
    assert inventory.get(path).status_code == 401
    assert inventory.get(f"/api/costing/statements/{statement_id}/export.pdf", headers=supervisor).status_code == 404


def synthetic_rows(count):
    row = [date(2026, 10, 2), "10:00", "第一食堂", "米面油", "RICE", "大米", "kg", "R-1", 31, "DN-1", "领用出库",
           "ISSUE-1", date(2026, 10, 2), "午餐", D("12.500"), D("4.200000"), D("52.50")]
    return itertools.repeat(row, count)


def peak_memory(write) -> int:
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writing_four_times_the_rows_takes_no_more_memory(tmp_path):
    # rows are never held: the peak does not grow with their number
    def csv_of(count):
        return lambda: sum(len(chunk) for chunk in csv_chunks(COST_DETAIL_COLUMNS, synthetic_rows(count)))

    def xlsx_of(count):
        def write():
            with (tmp_path / f"{count}.xlsx").open("wb") as handle:
                write_xlsx(handle, "detail", COST_DETAIL_COLUMNS, synthetic_rows(count))
        return write

    small, large = peak_memory(csv_of(5_000)), peak_memory(csv_of(20_000))
    assert large < small * 1.2 + 256 * 1024 and large < 4 * 1024 * 1024, (small, large)
    small, large = peak_memory(xlsx_of(250)), peak_memory(xlsx_of(1_000))
    assert large < small * 1.2 + 256 * 1024 and large < 8 * 1024 * 1024, (small, large)
    sheet = load_workbook(tmp_path / "1000.xlsx", read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    assert next(rows) == tuple(COST_DETAIL_HEADER)
    assert sum(1 for _ in rows) == 1_000


def test_spend_by_supplier_and_category_is_what_came_into_stock(inventory, finance_token, october):
    rows = read_csv(inventory.get("/api/costing/spend.csv?start=2026-10-01&end=2026-10-31", headers=finance_token))
    assert rows[0] == ["供应商编号", "物资类别", "收货金额", "退货金额", "净采购额"]
    # supplier 31 delivered everything on 1 Oct: rice 420.00 (DH1) + 215.00 (DH2) = 635.00;
    # cabbage 90.00 + 57.00 = 147.00; pork 530.00; salt 23.50; milk 60.00 (dairy); coal 550.00
    assert sorted((row[1], row[2], row[4]) for row in rows[1:-1]) == sorted([
        ("大米", "635.00", "635.00"), ("蔬菜", "147.00", "147.00"), ("肉蛋", "530.00", "530.00"),
        ("调味品", "23.50", "23.50"), ("dairy", "60.00", "60.00"), ("煤", "550.00", "550.00")])
    assert all(row[0] == "31" and row[3] == "0.00" for row in rows[1:-1])
    assert rows[-1] == ["合计", "", "1945.50", "0.00", "1945.50"]  # 1673.50 (DH1) + 272.00 (DH2)
    sheet = read_xlsx(inventory.get("/api/costing/spend.xlsx?start=2026-10-01&end=2026-10-31",
                                    headers=finance_token))
    last = list(sheet.iter_rows())[-1]
    assert D(str(last[4].value)) == D("1945.50") and last[4].number_format == YUAN
    november = read_csv(inventory.get("/api/costing/spend.csv?start=2026-11-01&end=2026-11-30",
                                      headers=finance_token))
    assert november[1:] == [["合计", "", "0.00", "0.00", "0.00"]]


@pytest.mark.parametrize("zone_name", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
@pytest.mark.parametrize("reading", ["naive", "utc", "shanghai"])
def test_the_cached_wall_clock_shift_agrees_with_astimezone_across_offset_changes(zone_name, reading):
    """The cost detail shifts rows by an offset kept for an hour; every minute around each zone's 2026
    changes of offset (Lord Howe's is half an hour, at half past) must read as astimezone reads it."""
    zone = ZoneInfo(zone_name)
    as_read = {"naive": lambda moment: moment.replace(tzinfo=None), "utc": lambda moment: moment,
               "shanghai": lambda moment: moment.astimezone(ZoneInfo("Asia/Shanghai"))}[reading]
    changes = [datetime(2026, 4, 4, 15, 0, tzinfo=timezone.utc), datetime(2026, 10, 3, 15, 30, tzinfo=timezone.utc),
               datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc), datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)]
    start = end = shift = None
    for change in changes:
        for seconds in range(-7200, 7200, 37):
            utc_moment = change + timedelta(seconds=seconds)
            moment = as_read(utc_moment)
            if start is None or not start <= moment < end:
                start, end, shift = wall_clock_shift(moment, zone)
            expected = utc_moment.astimezone(zone)
            assert ((moment + shift).date(), (moment + shift).time()) == (expected.date(), expected.time())
