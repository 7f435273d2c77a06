"""Reports for finance: spend, price compliance, open orders and overdue deliveries.

Spend counts committed order lines (an order approved or further on, never a draft, a cancelled
or a declined one), dated by the day the order was raised in the school's time zone.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import InvalidInput
from shared.tabular import Column

from .models import DemandPoint, Item, PurchaseOrder, PurchaseOrderLine
from .pricing import current_reference, price_limit, rule_for

COMMITTED_STATES = ("approved", "sent", "acknowledged", "partially_received", "received", "closed")
OPEN_STATES = ("approved", "sent", "acknowledged", "partially_received")
READERS = ("finance", "admin", "approver")
GROUPINGS = ("item", "category", "supplier", "demand_point", "month")
CATEGORY_ZH = {"rice": "大米", "flour": "面粉", "cooking_oil": "食用油", "coal": "煤", "vegetables": "蔬菜",
               "meat_eggs": "肉蛋", "seasonings": "调味品", "store_goods": "小卖部商品"}
VERDICTS = {"within_limit": "合规", "above_limit_overridden": "超限（已审批）", "above_limit": "超限",
            "no_reference": "无参考价"}
BATCH = 1000


def _bounds(date_from: date | None, date_to: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("date_to", "is before date_from")
    start = datetime.combine(date_from, time.min, zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone) if date_to else None
    return start, end


def _lines(session: Session, school_id: int, states: Iterable[str], date_from: date | None, date_to: date | None,
           zone: ZoneInfo, order_by=(PurchaseOrder.created_at, PurchaseOrder.id, PurchaseOrderLine.line_no)):
    """The order lines of the period, streamed from the database a batch at a time (a server-side
    cursor on PostgreSQL), as plain rows: never the whole period in memory."""
    start, end = _bounds(date_from, date_to, zone)
    query = (select(PurchaseOrder.number, PurchaseOrder.created_at, PurchaseOrder.state, PurchaseOrder.supplier_id,
                    PurchaseOrder.supplier_name, PurchaseOrder.price_override_reason, PurchaseOrderLine.item_id,
                    PurchaseOrderLine.base_quantity, PurchaseOrderLine.received_quantity,
                    PurchaseOrderLine.unit_price, PurchaseOrderLine.amount, PurchaseOrderLine.delivery_date,
                    DemandPoint.code.label("point_code"), DemandPoint.name.label("point_name"))
             .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
             .join(DemandPoint, DemandPoint.id == PurchaseOrderLine.demand_point_id)
             .where(PurchaseOrder.school_id == school_id, PurchaseOrder.state.in_(tuple(states)))
             .order_by(*order_by))
    if start is not None:
        query = query.where(PurchaseOrder.created_at >= start)
    if end is not None:
        query = query.where(PurchaseOrder.created_at < end)
    return session.execute(query.execution_options(yield_per=BATCH))


def _items(session: Session, school_id: int) -> dict[int, Item]:
    return {item.id: item for item in session.scalars(select(Item).where(Item.school_id == school_id))}


def spend(session: Session, principal: Principal, group_by: str, zone: ZoneInfo, date_from: date | None = None,
          date_to: date | None = None) -> list[dict]:
    """Committed spend per item, category, supplier, demand point or month, largest first (months in order).

    The lines stream past; only a total per group is kept."""
    if group_by not in GROUPINGS:
        raise InvalidInput("group_by", "must be one of {choices}", choices=", ".join(GROUPINGS))
    items = _items(session, principal.school_id)
    totals: dict[str, dict] = {}
    for line in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        item = items[line.item_id]
        key, name = {
            "item": (item.code, item.name_zh),
            "category": (item.category, CATEGORY_ZH.get(item.category, item.category)),
            "supplier": (str(line.supplier_id), line.supplier_name),
            "demand_point": (line.point_code, line.point_name),
            "month": (line.created_at.astimezone(zone).strftime("%Y-%m"),) * 2,
        }[group_by]
        row = totals.setdefault(key, {"key": key, "name": name, "amount": Decimal("0.00"), "lines": 0,
                                      "quantity": Decimal(0) if group_by == "item" else None,
                                      "unit": item.base_unit if group_by == "item" else None})
        row["amount"] += line.amount
        row["lines"] += 1
        if group_by == "item":
            row["quantity"] += line.base_quantity
    rows = list(totals.values())
    if group_by == "month":
        return sorted(rows, key=lambda row: row["key"])
    return sorted(rows, key=lambda row: (-row["amount"], row["key"]))


def spend_by_category_month(session: Session, principal: Principal, zone: ZoneInfo, date_from: date | None = None,
                            date_to: date | None = None) -> dict[str, dict[str, Decimal]]:
    """Committed spend per month (YYYY-MM, in order) and category: the figures behind finance's chart."""
    items = _items(session, principal.school_id)
    months: dict[str, dict[str, Decimal]] = {}
    for line in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        category = items[line.item_id].category
        per_category = months.setdefault(line.created_at.astimezone(zone).strftime("%Y-%m"), {})
        per_category[category] = per_category.get(category, Decimal("0.00")) + line.amount
    return dict(sorted(months.items()))


def price_compliance(session: Session, principal: Principal, zone: ZoneInfo, date_from: date | None = None,
                     date_to: date | None = None, only_above: bool = False) -> Iterator[dict]:
    """Each committed line's price against the reference price in force on its order's day and the
    item's price rule, with the verdict; generated a line at a time.

    Price rules carry no effective dates (pricing.PriceRule), so the rule is today's.
    """
    items = _items(session, principal.school_id)
    rules: dict[int, tuple[str, Decimal]] = {}
    references: dict[tuple[int, date], object] = {}
    for line in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        item = items[line.item_id]
        day = line.created_at.astimezone(zone).date()
        if (item.id, day) not in references:
            references[(item.id, day)] = current_reference(session, item, day)
        reference = references[(item.id, day)]
        if item.id not in rules:
            rules[item.id] = rule_for(session, item)
        kind, rate = rules[item.id]
        limit = price_limit(kind, reference.price, rate) if reference is not None else None
        above = limit is not None and line.unit_price > limit
        if only_above and not above:
            continue
        verdict = ("no_reference" if reference is None else "within_limit" if not above
                   else "above_limit_overridden" if line.price_override_reason else "above_limit")
        yield {
            "order_number": line.number, "order_date": day, "supplier_name": line.supplier_name,
            "item_code": item.code, "item_name": item.name_zh, "unit": item.base_unit, "unit_price": line.unit_price,
            "reference_price": reference.price if reference else None,
            "reference_source": reference.source if reference else None, "rule": kind, "rate": rate,
            "limit": limit, "above_limit": above,
            "over_reference": (line.unit_price - reference.price) if reference else None,
            "override_reason": line.price_override_reason if above else None,
            "verdict": verdict, "verdict_zh": VERDICTS[verdict],
        }


def open_orders(session: Session, principal: Principal, zone: ZoneInfo, today: date, date_from: date | None = None,
                date_to: date | None = None, overdue_only: bool = False) -> Iterator[dict]:
    """Lines of orders not yet fully received, the most overdue first; overdue when the delivery date has passed.

    Ordering by delivery date is ordering by days overdue, so the database sorts and the lines stream."""
    items = _items(session, principal.school_id)
    for line in _lines(session, principal.school_id, OPEN_STATES, date_from, date_to, zone,
                       order_by=(PurchaseOrderLine.delivery_date, PurchaseOrder.number, PurchaseOrderLine.line_no)):
        item = items[line.item_id]
        outstanding = line.base_quantity - line.received_quantity
        if outstanding <= 0:
            continue
        days_overdue = max((today - line.delivery_date).days, 0)
        if overdue_only and not days_overdue:
            continue
        yield {
            "order_number": line.number, "state": line.state, "supplier_name": line.supplier_name,
            "item_code": item.code, "item_name": item.name_zh, "unit": item.base_unit,
            "destination": line.point_code, "delivery_date": line.delivery_date, "ordered": line.base_quantity,
            "received": line.received_quantity, "outstanding": outstanding, "amount_outstanding":
                (outstanding * line.unit_price).quantize(Decimal("0.01")),
            "days_overdue": days_overdue, "overdue": days_overdue > 0,
        }


# --- tables for CSV and XLSX: (key of the row, column) ------------------------------------------------

SPEND_COLUMNS = [("key", Column("编码")), ("name", Column("名称")), ("amount", Column("金额(元)", "money")),
                 ("lines", Column("订单行数", "count")), ("quantity", Column("数量", "quantity")),
                 ("unit", Column("单位"))]
COMPLIANCE_COLUMNS = [("order_number", Column("订单号")), ("order_date", Column("下单日期", "date")),
                      ("supplier_name", Column("供应商")), ("item_code", Column("商品编码")),
                      ("item_name", Column("商品名称")), ("unit", Column("单位")),
                      ("unit_price", Column("成交单价(元)", "money")),
                      ("reference_price", Column("参考价(元)", "money")),
                      ("reference_source", Column("参考价来源")), ("rule", Column("价格规则")),
                      ("rate", Column("比例", "rate")), ("limit", Column("限价(元)", "money")),
                      ("above_limit", Column("是否超限", "flag")),
                      ("over_reference", Column("高于参考价(元)", "money")),
                      ("override_reason", Column("超限审批理由")), ("verdict_zh", Column("结论"))]
OPEN_ORDER_COLUMNS = [("order_number", Column("订单号")), ("state", Column("状态")),
                      ("supplier_name", Column("供应商")), ("item_code", Column("商品编码")),
                      ("item_name", Column("商品名称")), ("unit", Column("单位")),
                      ("destination", Column("收货点")), ("delivery_date", Column("交货日期", "date")),
                      ("ordered", Column("订购数量", "quantity")), ("received", Column("已收数量", "quantity")),
                      ("outstanding", Column("未收数量", "quantity")),
                      ("amount_outstanding", Column("未收金额(元)", "money")),
                      ("days_overdue", Column("逾期天数", "count")), ("overdue", Column("是否逾期", "flag"))]


def group_columns(group_by: str) -> list[tuple[str, Column]]:
    return SPEND_COLUMNS if group_by == "item" else SPEND_COLUMNS[:4]
