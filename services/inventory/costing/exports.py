"""Finance exports: the monthly statement and the cost detail, as CSV (UTF-8 with BOM) and XLSX.

Rows are generated, never collected: the cost detail reads the ledger with `yield_per`, the
CSV is written a row at a time and the XLSX through openpyxl's write-only workbook (rows go
to a temporary file as they come), so memory stays bounded whatever the period.

A row is a list of (value, kind) cells; the kind picks the XLSX number format. CSV amounts
are plain decimals ("1043.20", no thousands separator) so that spreadsheets and finance
software read them as numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from shared.db import Money

from ..models import Issue, Item, Location, Lot, StockMovement
from .meal_cost import ingredient_category
from .models import MEALS, SIGNATURE_SLOTS
from .periods import utc_bounds
from .statements import SLOT_TITLES

NUMBER_FORMATS = {"money": "#,##0.00", "count": "#,##0", "percent": "0.00", "quantity": "#,##0.000",
                  "rate": "#,##0.000000", "date": "yyyy-mm-dd", "text": "@"}
CATEGORY_NAMES = {"vegetables": "蔬菜类", "grain_oil": "米面油", "meat_eggs": "肉蛋类", "seasonings": "调味品",
                  "other": "其他食材", None: "燃料（煤）"}
MEAL_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}

Cell = tuple[object, str]

# (label, path into a statement's figures, kind)
STATEMENT_LINES: list[tuple[str, tuple[str, ...], str]] = [
    *[(f"就餐人次·{MEAL_NAMES[meal]}", ("diners", meal), "count") for meal in MEALS],
    ("就餐人次合计", ("diner_meals",), "count"),
    ("学生伙食费", ("income", "student_fees"), "money"),
    ("教职工餐费", ("income", "staff_fees"), "money"),
    ("财政补助", ("income", "subsidies"), "money"),
    ("其他收入", ("income", "other"), "money"),
    ("收入合计", ("income_total",), "money"),
    ("其中：伙食费收入", ("meal_fee_income",), "money"),
    *[(CATEGORY_NAMES[category], ("ingredients", category), "money")
      for category in ("vegetables", "grain_oil", "meat_eggs", "seasonings", "other")],
    ("食材支出合计", ("ingredient_total",), "money"),
    ("燃料（煤）", ("coal",), "money"),
    ("水电气", ("utilities",), "money"),
    ("燃料动力合计", ("fuel_total",), "money"),
    ("人员工资", ("wages",), "money"),
    ("管理费用", ("overheads",), "money"),
    ("支出合计", ("spending_total",), "money"),
    ("本期结余", ("balance",), "money"),
    ("毛利", ("gross_margin",), "money"),
    ("毛利率（%）", ("gross_margin_rate",), "percent"),
    ("人均餐成本（元/人次）", ("cost_per_diner_meal",), "money"),
    ("人均食材成本（元/人次）", ("ingredient_cost_per_diner_meal",), "money"),
    ("食材支出占伙食费比例（%）", ("food_share",), "percent"),
    ("食材占比下限（%）", ("food_share_floor",), "percent"),
    ("上期结转结余", ("opening_surplus",), "money"),
    ("累计结余", ("closing_surplus",), "money"),
]


def _number(value, kind: str):
    if value is None or kind in ("text", "date"):
        return value
    return int(value) if kind == "count" else Decimal(value)


def _pick(figures: dict, path: tuple[str, ...]):
    for key in path:
        figures = figures[key]
    return figures


def statement_table(content: dict, signatures: Iterable = ()) -> tuple[list[str], Iterator[list[Cell]]]:
    """The statement as a table: a row per line, a column per dining hall and one for the school."""
    header = ["项目", *[hall["name"] for hall in content["halls"]], "全校合计"]

    def rows():
        for label, path, kind in STATEMENT_LINES:
            yield [(label, "text"), *[(_number(_pick(part, path), kind), kind)
                                      for part in (*content["halls"], content["school"])]]
        signed = {signature.slot: signature for signature in signatures}
        for slot in SIGNATURE_SLOTS:
            signature = signed.get(slot)
            yield [(f"签字：{SLOT_TITLES[slot]}", "text"),
                   (signature.signer_name if signature else "", "text"),
                   (signature.signed_at.isoformat(timespec="minutes") if signature else "", "text")]

    return header, rows()


COST_DETAIL_HEADER = ["日期", "时间", "食堂", "核算类别", "物资编码", "物资名称", "单位", "批次号", "供应商编号",
                      "送货单号", "单据类型", "单据号", "用餐日期", "餐次", "数量", "单价", "金额"]


def cost_detail_rows(session: Session, school_id: int, start: date, end: date, school_timezone: str,
                     location_id: int | None = None, batch: int = 2000) -> Iterator[list[Cell]]:
    """Every issue movement of the period (the ingredient and coal spending), then a total row.

    Amounts are positive (spending); the unit price is the moving-average rate of the movement.
    """
    zone = ZoneInfo(school_timezone)
    begin, finish = utc_bounds(start, end, school_timezone)
    query = (select(StockMovement.occurred_at, Location.name, Item.category, Item.code, Item.name, Item.base_unit,
                    Lot.lot_number, Lot.supplier_id, Lot.delivery_reference, StockMovement.source_id,
                    Issue.meal_date, Issue.meal, StockMovement.quantity, StockMovement.valuation_rate,
                    StockMovement.value)
             .join(Location, Location.id == StockMovement.location_id)
             .join(Item, Item.id == StockMovement.item_id)
             .join(Lot, Lot.id == StockMovement.lot_id)
             .outerjoin(Issue, (Issue.id == StockMovement.source_id) & (StockMovement.source_type == "issue"))
             .where(StockMovement.school_id == school_id, StockMovement.kind == "issue",
                    StockMovement.occurred_at >= begin, StockMovement.occurred_at < finish,
                    Location.kind == "dining_hall")
             .order_by(StockMovement.occurred_at, StockMovement.id))
    if location_id is not None:
        query = query.where(StockMovement.location_id == location_id)
    total = Decimal("0.00")
    for (occurred_at, hall, category, code, name, unit, lot_number, supplier_id, delivery_reference, issue_id,
         meal_date, meal, quantity, rate, value) in session.execute(query.execution_options(yield_per=batch)):
        local = occurred_at.astimezone(zone)
        amount = -value  # issues are negative in the ledger
        total += amount
        yield [(local.date(), "date"), (local.strftime("%H:%M"), "text"), (hall, "text"),
               (CATEGORY_NAMES[ingredient_category(category)], "text"), (code, "text"), (name, "text"),
               (unit, "text"), (lot_number, "text"), (supplier_id, "count"), (delivery_reference, "text"),
               ("领用出库", "text"), (f"ISSUE-{issue_id}", "text"), (meal_date, "date"),
               (MEAL_NAMES.get(meal, meal), "text"), (-quantity, "quantity"), (rate, "rate"), (amount, "money")]
    yield [("合计", "text"), *[(None, "text")] * 15, (total, "money")]


SPEND_HEADER = ["供应商编号", "物资类别", "收货金额", "退货金额", "净采购额"]
CATALOGUE_CATEGORY_NAMES = {"rice": "大米", "flour": "面粉", "cooking_oil": "食用油", "coal": "煤",
                            "vegetables": "蔬菜", "meat_eggs": "肉蛋", "seasonings": "调味品",
                            "store_goods": "超市商品"}


def spend_rows(session: Session, school_id: int, start: date, end: date, school_timezone: str
               ) -> Iterator[list[Cell]]:
    """Goods received less goods returned, per supplier and catalogue category, then a total row.

    Read from the ledger (receipt and return movements by their lot's supplier), so it is what
    came into stock; invoices and payments are procurement's.
    """
    begin, finish = utc_bounds(start, end, school_timezone)
    totals = [Decimal("0.00")] * 3
    # the database adds fen (the Money column's storage); the Money type reads the sums as yuan
    received = type_coerce(func.sum(case((StockMovement.kind == "receipt", StockMovement.value), else_=0)), Money())
    returned = type_coerce(func.sum(case((StockMovement.kind == "return_to_supplier", StockMovement.value),
                                         else_=0)), Money())
    for supplier_id, category, received_value, returned_value in session.execute(
            select(Lot.supplier_id, Item.category, received, returned)
            .join(Lot, Lot.id == StockMovement.lot_id).join(Item, Item.id == StockMovement.item_id)
            .where(StockMovement.school_id == school_id,
                   StockMovement.kind.in_(("receipt", "return_to_supplier")),
                   StockMovement.occurred_at >= begin, StockMovement.occurred_at < finish)
            .group_by(Lot.supplier_id, Item.category).order_by(Lot.supplier_id, Item.category)):
        amounts = [received_value, -returned_value]  # a return's value is negative in the ledger
        amounts.append(amounts[0] - amounts[1])
        totals = [total + amount for total, amount in zip(totals, amounts, strict=True)]
        yield [(supplier_id, "count"), (CATALOGUE_CATEGORY_NAMES.get(category, category), "text"),
               *[(amount, "money") for amount in amounts]]
    yield [("合计", "text"), (None, "text"), *[(total, "money") for total in totals]]


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def csv_chunks(header: list[str], rows: Iterable[list[Cell]], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel opens Chinese text right only with it), a chunk per few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value, _kind in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(target: IO[bytes], title: str, header: list[str], rows: Iterable[list[Cell]]) -> None:
    """A write-only workbook (rows are flushed to a temporary file as written) with number formats per cell.

    A formatted cell is made once per column and kind and reused: the write-only sheet writes a
    row out as soon as it is appended, and building a styled cell per value costs more than the XML.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    styled: dict[tuple[int, str], WriteOnlyCell] = {}
    for row in rows:
        values = []
        for column, (value, kind) in enumerate(row):
            if value is None or kind == "text":
                values.append(value)
                continue
            cell = styled.get((column, kind))
            if cell is None:
                cell = styled[(column, kind)] = WriteOnlyCell(sheet)
                cell.number_format = NUMBER_FORMATS[kind]
            cell.value = value
            values.append(cell)
        sheet.append(values)
    workbook.save(target)


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    handle.seek(0)
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
