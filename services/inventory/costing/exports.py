"""Finance exports: the monthly statement, the cost detail and spend, as tables for shared.tabular.

Rows are generated, never collected: the cost detail reads the ledger with `yield_per` (a
server-side cursor on PostgreSQL), so memory stays bounded whatever the period.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, DateTime, case, func, select, type_coerce
from sqlalchemy.orm import Session

from shared.db import Money, Quantity
from shared.tabular import Cell, Column, columns

from ..models import Issue, Item, Location, Lot, Rate, StockMovement
from .meal_cost import ingredient_category
from .models import MEALS, SIGNATURE_SLOTS
from .periods import utc_bounds
from .statements import SLOT_TITLES

CATEGORY_NAMES = {"vegetables": "蔬菜类", "grain_oil": "米面油", "meat_eggs": "肉蛋类", "seasonings": "调味品",
                  "other": "其他食材", None: "燃料（煤）"}
MEAL_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}

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


def statement_table(content: dict, signatures: Iterable = ()) -> tuple[list[Column], Iterator[list]]:
    """The statement as a table: a row per line, a column per dining hall and one for the school."""
    table_columns = [Column("项目"), *[Column(title, "mixed") for title in
                                        (*[hall["name"] for hall in content["halls"]], "全校合计")]]
    blank = [Cell(None, "text")] * (len(table_columns) - 3)

    def rows():
        for label, path, kind in STATEMENT_LINES:
            yield [label, *[Cell(_number(_pick(part, path), kind), kind)
                            for part in (*content["halls"], content["school"])]]
        signed = {signature.slot: signature for signature in signatures}
        for slot in SIGNATURE_SLOTS:
            signature = signed.get(slot)
            yield [f"签字：{SLOT_TITLES[slot]}", Cell(signature.signer_name if signature else "", "text"),
                   Cell(signature.signed_at.isoformat(timespec="minutes") if signature else "", "text"), *blank]

    return table_columns, rows()


COST_DETAIL_COLUMNS = columns(("日期", "date"), "时间", "食堂", "核算类别", "物资编码", "物资名称", "单位", "批次号",
                              ("供应商编号", "count"), "送货单号", "单据类型", "单据号", ("用餐日期", "date"), "餐次",
                              ("数量", "quantity"), ("单价", "rate"), ("金额", "money"))


def _cost_detail_query(school_id: int, start: date, end: date, school_timezone: str, location_id: int | None):
    begin, finish = utc_bounds(start, end, school_timezone)
    # the time and the scaled integers as the driver reads them: cost_detail_rows makes the wall
    # clock and the Decimals itself, which saves the column types' per-value calls on a million rows
    query = (select(type_coerce(StockMovement.occurred_at, DateTime(timezone=True)), Location.name, Item.category,
                    Item.code, Item.name, Item.base_unit, Lot.lot_number, Lot.supplier_id, Lot.delivery_reference,
                    StockMovement.source_id,
                    Issue.meal_date, Issue.meal, type_coerce(StockMovement.quantity, BigInteger),
                    type_coerce(StockMovement.valuation_rate, BigInteger), type_coerce(StockMovement.value, BigInteger))
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
    return query


def wall_clock_shift(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime, timedelta]:
    """What to add to `moment` (UTC when naive) and to its neighbours in [start, end) for the school's wall clock.

    The span is the moment's hour when the zone's offset is the same at both its ends (no zone
    changes its offset twice within an hour), else the moment alone. Ledger rows come in time
    order, so a million of them need a few thousand offsets instead of a conversion each.
    """
    def offset(instant: datetime) -> timedelta:
        return (instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)).astimezone(zone).utcoffset()

    own = moment.utcoffset() or timedelta(0)
    start = moment.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=1)
    if offset(start) != offset(end - timedelta(microseconds=1)):
        start, end = moment, moment + timedelta(microseconds=1)
    return start, end, offset(moment) - own


@cache
def _category_name(catalogue_category: str) -> str:
    return CATEGORY_NAMES[ingredient_category(catalogue_category)]


def cost_detail_rows(session: Session, school_id: int, start: date, end: date, school_timezone: str,
                     location_id: int | None = None, batch: int = 2000) -> Iterator[list]:
    """Every issue movement of the period (the ingredient and coal spending), then a total row.

    Amounts are positive (spending); the unit price is the moving-average rate of the movement.
    """
    zone = ZoneInfo(school_timezone)
    query = _cost_detail_query(school_id, start, end, school_timezone, location_id)
    quantity_places, rate_places, money_places = -Quantity.places, -Rate.places, -Money.places
    total_fen = 0
    start = end = shift = None
    for (occurred_at, hall, category, code, name, unit, lot_number, supplier_id, delivery_reference, issue_id,
         meal_date, meal, quantity, rate, value) in session.connection().execute(
            query, execution_options={"yield_per": batch}):
        # Core rows, not ORM ones: a year has a million of them, and the ORM's loading doubles the cost
        if start is None or not start <= occurred_at < end:
            start, end, shift = wall_clock_shift(occurred_at, zone)
        local = occurred_at + shift
        total_fen -= value  # issues are negative in the ledger
        yield [local.date(), local.time().isoformat("minutes"), hall, _category_name(category), code, name, unit,
               lot_number, supplier_id, delivery_reference, "领用出库", f"ISSUE-{issue_id}", meal_date,
               MEAL_NAMES.get(meal, meal), Decimal(-quantity).scaleb(quantity_places),
               Decimal(rate).scaleb(rate_places), Decimal(-value).scaleb(money_places)]
    yield ["合计", *[None] * 15, Decimal(total_fen).scaleb(money_places)]


SPEND_COLUMNS = columns(("供应商编号", "count"), "物资类别", ("收货金额", "money"), ("退货金额", "money"),
                        ("净采购额", "money"))
CATALOGUE_CATEGORY_NAMES = {"rice": "大米", "flour": "面粉", "cooking_oil": "食用油", "coal": "煤",
                            "vegetables": "蔬菜", "meat_eggs": "肉蛋", "seasonings": "调味品",
                            "store_goods": "超市商品"}


def _spend_query(school_id: int, start: date, end: date, school_timezone: str, location_id: int | None):
    begin, finish = utc_bounds(start, end, school_timezone)
    # the database adds fen (the Money column's storage); the Money type reads the sums as yuan
    received = type_coerce(func.sum(case((StockMovement.kind == "receipt", StockMovement.value), else_=0)), Money())
    returned = type_coerce(func.sum(case((StockMovement.kind == "return_to_supplier", StockMovement.value),
                                         else_=0)), Money())
    query = (select(Lot.supplier_id, Item.category, received, returned)
             .join(Lot, Lot.id == StockMovement.lot_id).join(Item, Item.id == StockMovement.item_id)
             .where(StockMovement.school_id == school_id,
                    StockMovement.kind.in_(("receipt", "return_to_supplier")),
                    StockMovement.occurred_at >= begin, StockMovement.occurred_at < finish)
             .group_by(Lot.supplier_id, Item.category).order_by(Lot.supplier_id, Item.category))
    if location_id is not None:
        query = query.where(StockMovement.location_id == location_id)
    return query


def spend_rows(session: Session, school_id: int, start: date, end: date, school_timezone: str,
               location_id: int | None = None) -> Iterator[list]:
    """Goods received less goods returned, per supplier and catalogue category, then a total row.

    Read from the ledger (receipt and return movements by their lot's supplier), so it is what
    came into stock; invoices and payments are procurement's.
    """
    totals = [Decimal("0.00")] * 3
    for supplier_id, category, received_value, returned_value in session.execute(
            _spend_query(school_id, start, end, school_timezone, location_id)):
        amounts = [received_value, -returned_value]  # a return's value is negative in the ledger
        amounts.append(amounts[0] - amounts[1])
        totals = [total + amount for total, amount in zip(totals, amounts, strict=True)]
        yield [supplier_id, CATALOGUE_CATEGORY_NAMES.get(category, category), *amounts]
    yield ["合计", None, *totals]


@dataclass(frozen=True)
class Report:
    """A period export of the ledger: its file name, columns, rows and how many rows it will have."""

    filename: str
    columns: list[Column]
    rows: Callable[..., Iterator[list]]
    query: Callable

    def count(self, session: Session, school_id: int, start: date, end: date, school_timezone: str,
              location_id: int | None = None) -> int:
        """Rows the export will write: one per row of its query, and the total row."""
        query = self.query(school_id, start, end, school_timezone, location_id).order_by(None).subquery()
        return session.scalar(select(func.count()).select_from(query)) + 1


REPORTS = {"cost_detail": Report("cost-detail", COST_DETAIL_COLUMNS, cost_detail_rows, _cost_detail_query),
           "spend": Report("spend", SPEND_COLUMNS, spend_rows, _spend_query)}
