"""Finance reports: spend, price compliance, open and overdue orders, as JSON and as CSV for Excel."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from services.procurement.models import PurchaseOrder, PurchaseOrderLine

from .conftest import CABBAGE, RICE

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the school's day, as the reports count it
D = Decimal


@pytest.fixture
def items(make_item, demand_points):
    # rice: reference ¥4.00/kg, grain rule at most 9 % above → limit ¥4.36; cabbage: no reference price
    return {"rice": make_item(RICE, reference="4.00"), "cabbage": make_item(CABBAGE)}


@pytest.fixture
def make_order(databases, demand_points, items):
    """make_order(number, state, lines=[(item, base_qty, price, point, delivery, received)], created_at=None)."""
    def make(number, state, lines, created_at=None, supplier=(501, "山东鲁粮粮油有限公司"), override=None):
        school_id = items["rice"].school_id
        with databases["procurement"].unit_of_work() as uow:
            order = PurchaseOrder(school_id=school_id, number=number, supplier_id=supplier[0],
                                  supplier_name=supplier[1], state=state, total=D("0"), created_by="1",
                                  price_override_reason=override,
                                  created_at=created_at or datetime.now(timezone.utc))
            order.lines = [PurchaseOrderLine(
                school_id=school_id, line_no=index, item_id=item.id, quantity=D(qty), unit=item.base_unit,
                base_quantity=D(qty), unit_price=D(price), amount=(D(qty) * D(price)).quantize(D("0.01")),
                demand_point_id=demand_points[point].id, delivery_date=delivery,
                received_quantity=D(received), rejected_quantity=D("0"))
                for index, (item, qty, price, point, delivery, received) in enumerate(lines, start=1)]
            order.total = sum((line.amount for line in order.lines), D("0.00"))
            uow.session.add(order)
            uow.commit()
        return order

    return make


@pytest.fixture
def book(make_order, items):
    rice, cabbage = items["rice"], items["cabbage"]
    soon, past = TODAY + timedelta(days=5), TODAY - timedelta(days=3)
    make_order("PO-2026-000001", "sent", [(rice, "250", "4.20", "DH1", past, "100"),
                                          (cabbage, "100", "1.00", "DH2", soon, "0")])
    make_order("PO-2026-000002", "received", [(rice, "500", "4.50", "DH2", past, "500")], override="旱灾涨价")
    make_order("PO-2026-000003", "draft", [(rice, "999", "4.00", "DH1", soon, "0")])
    make_order("PO-2026-000004", "cancelled", [(cabbage, "999", "1.00", "DH1", soon, "0")])
    make_order("PO-2025-000009", "closed", [(cabbage, "50", "2.00", "DH3", date(2025, 1, 20), "50")],
               created_at=datetime(2025, 1, 15, 2, 0, tzinfo=timezone.utc), supplier=(502, "城郊蔬菜合作社"))


@pytest.fixture
def finance(staff):
    return staff("finance")[1]


def read_csv(response):
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_spend_by_category_counts_committed_orders_only(procurement, book, finance):
    response = procurement.get("/api/reports/spend?group_by=category", headers=finance)
    assert response.status_code == 200, response.json
    by_key = {row["key"]: (row["name"], row["amount"], row["lines"]) for row in response.json}
    # rice 250 × 4.20 + 500 × 4.50 = 3300.00; cabbage 100 × 1.00 + 50 × 2.00 = 200.00; draft and cancelled left out
    assert by_key == {"rice": ("大米", "3300.00", 2), "vegetables": ("蔬菜", "200.00", 2)}


def test_spend_by_item_gives_quantities_in_the_base_unit(procurement, book, finance, items):
    rows = procurement.get("/api/reports/spend?group_by=item", headers=finance).json
    assert [(row["key"], row["amount"], row["quantity"], row["unit"]) for row in rows] == [
        (items["rice"].code, "3300.00", "750.000", "kg"), (items["cabbage"].code, "200.00", "150.000", "kg")]


def test_spend_by_supplier_demand_point_and_month(procurement, book, finance):
    suppliers = procurement.get("/api/reports/spend?group_by=supplier", headers=finance).json
    assert [(row["key"], row["amount"]) for row in suppliers] == [("501", "3400.00"), ("502", "100.00")]
    points = procurement.get("/api/reports/spend?group_by=demand_point", headers=finance).json
    assert [(row["key"], row["amount"]) for row in points] == [("DH2", "2350.00"), ("DH1", "1050.00"),
                                                                ("DH3", "100.00")]
    months = procurement.get("/api/reports/spend?group_by=month", headers=finance).json
    assert [(row["key"], row["amount"]) for row in months] == [("2025-01", "100.00"),
                                                                (TODAY.strftime("%Y-%m"), "3400.00")]


def test_spend_is_filtered_by_period(procurement, book, finance):
    january = procurement.get("/api/reports/spend?group_by=category&date_from=2025-01-01&date_to=2025-01-31",
                              headers=finance).json
    assert [(row["key"], row["amount"]) for row in january] == [("vegetables", "100.00")]
    since = procurement.get(f"/api/reports/spend?group_by=category&date_from={TODAY.isoformat()}", headers=finance)
    assert {row["key"]: row["amount"] for row in since.json} == {"rice": "3300.00", "vegetables": "100.00"}


def test_spend_as_csv_has_chinese_headers_and_reads_back(procurement, book, finance):
    rows = read_csv(procurement.get("/api/reports/spend?group_by=demand_point&format=csv", headers=finance))
    assert rows[0] == ["编码", "名称", "金额(元)", "订单行数"]
    assert rows[1][0] == "DH2" and rows[1][2] == "2350.00"
    assert len(rows) == 4


def test_price_compliance_compares_paid_with_reference_and_rule(procurement, book, finance, items):
    rows = procurement.get("/api/reports/price-compliance", headers=finance).json
    rice = {row["order_number"]: row for row in rows if row["item_code"] == items["rice"].code}
    fair, dear = rice["PO-2026-000001"], rice["PO-2026-000002"]
    assert (fair["unit_price"], fair["reference_price"], fair["rule"], fair["limit"], fair["above_limit"]) == (
        "4.20", "4.00", "max_markup", "4.36", False)
    assert (dear["above_limit"], dear["over_reference"], dear["override_reason"]) == (True, "0.50", "旱灾涨价")
    cabbage = [row for row in rows if row["item_code"] == items["cabbage"].code]
    assert all(row["reference_price"] is None and row["above_limit"] is False for row in cabbage)
    above = procurement.get("/api/reports/price-compliance?only_above=true", headers=finance).json
    assert [row["order_number"] for row in above] == ["PO-2026-000002"]


def test_price_compliance_as_csv(procurement, book, finance):
    rows = read_csv(procurement.get("/api/reports/price-compliance?format=csv&only_above=true", headers=finance))
    header, [row] = rows[0], rows[1:]
    record = dict(zip(header, row, strict=True))
    assert (record["订单号"], record["成交单价(元)"], record["限价(元)"], record["是否超限"]) == (
        "PO-2026-000002", "4.50", "4.36", "是")


def test_open_orders_list_what_is_still_to_come_and_overdue_deliveries(procurement, book, finance, items):
    rows = procurement.get("/api/reports/open-orders", headers=finance).json
    assert [(row["order_number"], row["item_code"], row["outstanding"], row["days_overdue"]) for row in rows] == [
        ("PO-2026-000001", items["rice"].code, "150.000", 3), ("PO-2026-000001", items["cabbage"].code, "100.000", 0)]
    assert rows[0]["amount_outstanding"] == "630.00" and rows[0]["overdue"] is True
    overdue = read_csv(procurement.get("/api/reports/open-orders?overdue=true&format=csv", headers=finance))
    assert overdue[0][:3] == ["订单号", "状态", "供应商"]
    assert [(row[0], row[-2], row[-1]) for row in overdue[1:]] == [("PO-2026-000001", "3", "是")]


@pytest.mark.parametrize("query", ["group_by=week", "", "group_by=item&format=pdf",
                                   "group_by=item&date_from=2026-03-01&date_to=2026-02-01",
                                   "group_by=item&date_from=yesterday"])
def test_invalid_report_queries_are_refused(procurement, finance, query):
    assert procurement.get(f"/api/reports/spend?{query}", headers=finance).status_code == 422


@pytest.mark.parametrize("role, status", [("finance", 200), ("admin", 200), ("approver", 200),
                                          ("canteen_manager", 403), ("storekeeper", 403),
                                          ("procurement_officer", 403)])
@pytest.mark.parametrize("path", ["/api/reports/spend?group_by=month", "/api/reports/price-compliance",
                                  "/api/reports/open-orders?format=csv"])
def test_reports_are_for_finance_admin_and_approvers(procurement, staff, role, status, path):
    assert procurement.get(path, headers=staff(role)[1]).status_code == status


def test_another_schools_orders_are_not_in_its_reports(procurement, staff, book, databases):
    from services.procurement.models import School
    with databases["procurement"].unit_of_work() as uow:
        other = School(name="另一所学校")
        uow.session.add(other)
        uow.commit()
    _, headers = staff("finance", school_id=other.id)
    assert procurement.get("/api/reports/spend?group_by=item", headers=headers).json == []
    assert read_csv(procurement.get("/api/reports/open-orders?format=csv", headers=headers))[1:] == []


def test_every_grouping_of_spend_adds_up_to_the_same_total(procurement, book, finance):
    totals = {}
    for group_by in ("item", "category", "supplier", "demand_point", "month"):
        rows = procurement.get(f"/api/reports/spend?group_by={group_by}", headers=finance).json
        totals[group_by] = (sum(Decimal(row["amount"]) for row in rows), sum(row["lines"] for row in rows))
    assert set(totals.values()) == {(D("3500.00"), 4)}


def read_xlsx(response):
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    return [list(row) for row in load_workbook(io.BytesIO(response.get_data())).active.iter_rows()]


def test_spend_by_supplier_as_xlsx_has_chinese_headers_names_and_the_total(procurement, book, finance):
    rows = read_xlsx(procurement.get("/api/reports/spend?group_by=supplier&format=xlsx", headers=finance))
    assert [cell.value for cell in rows[0]] == ["编码", "名称", "金额(元)", "订单行数"]
    assert [(row[1].value, D(str(row[2].value)), row[3].value) for row in rows[1:]] == [
        ("山东鲁粮粮油有限公司", D("3400.00"), 3), ("城郊蔬菜合作社", D("100.00"), 1)]
    assert sum(D(str(row[2].value)) for row in rows[1:]) == D("3500.00")
    assert rows[1][2].number_format == '"¥"#,##0.00' and rows[1][3].number_format == "#,##0"


def test_spend_by_item_as_csv_adds_up_to_the_total_with_quantities(procurement, book, finance):
    rows = read_csv(procurement.get("/api/reports/spend?group_by=item&format=csv", headers=finance))
    assert rows[0] == ["编码", "名称", "金额(元)", "订单行数", "数量", "单位"]
    assert [(row[1], row[4], row[5]) for row in rows[1:]] == [("东北大米 一级粳米", "750.000", "kg"),
                                                               ("白菜", "150.000", "kg")]
    assert sum(D(row[2]) for row in rows[1:]) == D("3500.00")


def test_price_compliance_as_xlsx_gives_each_line_its_verdict(procurement, book, finance, items):
    response = procurement.get("/api/reports/price-compliance?format=xlsx&date_from=2025-01-01", headers=finance)
    rows = read_xlsx(response)
    assert 'filename="price-compliance-2025-01-01.xlsx"' in response.headers["Content-Disposition"]
    header = [cell.value for cell in rows[0]]
    assert header[:3] == ["订单号", "下单日期", "供应商"] and header[-1] == "结论"
    verdicts = {(row[0].value, row[3].value): row[-1].value for row in rows[1:]}
    assert verdicts == {("PO-2026-000001", items["rice"].code): "合规",
                        ("PO-2026-000001", items["cabbage"].code): "无参考价",
                        ("PO-2026-000002", items["rice"].code): "超限（已审批）",
                        ("PO-2025-000009", items["cabbage"].code): "无参考价"}
    dear = next(row for row in rows[1:] if row[0].value == "PO-2026-000002")
    record = dict(zip(header, dear, strict=True))
    assert (D(str(record["限价(元)"].value)), record["是否超限"].value, record["超限审批理由"].value) == (
        D("4.36"), "是", "旱灾涨价")
    assert record["下单日期"].is_date and record["下单日期"].number_format == "yyyy-mm-dd"
    json_rows = procurement.get("/api/reports/price-compliance", headers=finance).json
    assert {row["verdict"] for row in json_rows} == {"within_limit", "no_reference", "above_limit_overridden"}


def test_open_orders_as_xlsx(procurement, book, finance):
    rows = read_xlsx(procurement.get("/api/reports/open-orders?format=xlsx", headers=finance))
    assert [cell.value for cell in rows[0]][-2:] == ["逾期天数", "是否逾期"]
    assert [(row[0].value, row[-2].value, row[-1].value) for row in rows[1:]] == [
        ("PO-2026-000001", 3, "是"), ("PO-2026-000001", 0, "否")]
    assert sum(D(str(row[11].value)) for row in rows[1:]) == D("730.00")  # 150 × 4.20 + 100 × 1.00
    assert rows[1][8].number_format == "#,##0.000"


def test_a_download_with_its_period_the_wrong_way_round_is_refused_before_any_byte(procurement, finance):
    response = procurement.get("/api/reports/open-orders?format=xlsx&date_from=2026-03-01&date_to=2026-02-01",
                               headers=finance)
    assert response.status_code == 422 and "date_to" in response.json["errors"]
