"""Reports for finance: spend, price compliance, open orders and overdue deliveries.

Spend counts committed order lines (an order approved or further on, never a draft, a cancelled
or a declined one), dated by the day the order was raised in the school's time zone.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.errors import InvalidInput

from .models import DemandPoint, Item, PurchaseOrder, PurchaseOrderLine
from .pricing import current_reference, price_limit, rule_for

COMMITTED_STATES = ("approved", "sent", "acknowledged", "partially_received", "received", "closed")
OPEN_STATES = ("approved", "sent", "acknowledged", "partially_received")
READERS = ("finance", "admin", "approver")
GROUPINGS = ("item", "category", "supplier", "demand_point", "month")
CATEGORY_ZH = {"rice": "大米", "flour": "面粉", "cooking_oil": "食用油", "coal": "煤", "vegetables": "蔬菜",
               "meat_eggs": "肉蛋", "seasonings": "调味品", "store_goods": "小卖部商品"}


def _bounds(date_from: date | None, date_to: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("date_to", "is before date_from")
    start = datetime.combine(date_from, time.min, zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone) if date_to else None
    return start, end


def _lines(session: Session, school_id: int, states: Iterable[str], date_from: date | None, date_to: date | None,
           zone: ZoneInfo):
    start, end = _bounds(date_from, date_to, zone)
    query = (select(PurchaseOrderLine, PurchaseOrder, Item, DemandPoint)
             .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
             .join(Item, Item.id == PurchaseOrderLine.item_id)
             .join(DemandPoint, DemandPoint.id == PurchaseOrderLine.demand_point_id)
             .where(PurchaseOrder.school_id == school_id, PurchaseOrder.state.in_(tuple(states)))
             .order_by(PurchaseOrder.created_at, PurchaseOrder.id, PurchaseOrderLine.line_no))
    if start is not None:
        query = query.where(PurchaseOrder.created_at >= start)
    if end is not None:
        query = query.where(PurchaseOrder.created_at < end)
    return session.execute(query).all()


def spend(session: Session, principal: Principal, group_by: str, zone: ZoneInfo, date_from: date | None = None,
          date_to: date | None = None) -> list[dict]:
    """Committed spend per item, category, supplier, demand point or month, largest first (months in order)."""
    if group_by not in GROUPINGS:
        raise InvalidInput("group_by", f"must be one of {', '.join(GROUPINGS)}")
    totals: dict[str, dict] = {}
    for line, order, item, point in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        key, name = {
            "item": (item.code, item.name_zh),
            "category": (item.category, CATEGORY_ZH.get(item.category, item.category)),
            "supplier": (str(order.supplier_id), order.supplier_name),
            "demand_point": (point.code, point.name),
            "month": (order.created_at.astimezone(zone).strftime("%Y-%m"),) * 2,
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
    months: dict[str, dict[str, Decimal]] = {}
    for line, order, item, _ in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        per_category = months.setdefault(order.created_at.astimezone(zone).strftime("%Y-%m"), {})
        per_category[item.category] = per_category.get(item.category, Decimal("0.00")) + line.amount
    return dict(sorted(months.items()))


def price_compliance(session: Session, principal: Principal, zone: ZoneInfo, date_from: date | None = None,
                     date_to: date | None = None, only_above: bool = False) -> list[dict]:
    """Each committed line's price against the reference and rule in force on its order's day."""
    rows = []
    for line, order, item, _ in _lines(session, principal.school_id, COMMITTED_STATES, date_from, date_to, zone):
        day = order.created_at.astimezone(zone).date()
        reference = current_reference(session, item, day)
        kind, rate = rule_for(session, item)
        limit = price_limit(kind, reference.price, rate) if reference is not None else None
        above = limit is not None and line.unit_price > limit
        if only_above and not above:
            continue
        rows.append({
            "order_number": order.number, "order_date": day, "supplier_name": order.supplier_name,
            "item_code": item.code, "item_name": item.name_zh, "unit": item.base_unit, "unit_price": line.unit_price,
            "reference_price": reference.price if reference else None,
            "reference_source": reference.source if reference else None, "rule": kind, "rate": rate,
            "limit": limit, "above_limit": above,
            "over_reference": (line.unit_price - reference.price) if reference else None,
            "override_reason": order.price_override_reason if above else None,
        })
    return rows


def open_orders(session: Session, principal: Principal, zone: ZoneInfo, today: date, date_from: date | None = None,
                date_to: date | None = None, overdue_only: bool = False) -> list[dict]:
    """Lines of orders not yet fully received; overdue when the delivery date has passed."""
    rows = []
    for line, order, item, point in _lines(session, principal.school_id, OPEN_STATES, date_from, date_to, zone):
        outstanding = line.base_quantity - line.received_quantity
        if outstanding <= 0:
            continue
        days_overdue = max((today - line.delivery_date).days, 0)
        if overdue_only and not days_overdue:
            continue
        rows.append({
            "order_number": order.number, "state": order.state, "supplier_name": order.supplier_name,
            "item_code": item.code, "item_name": item.name_zh, "unit": item.base_unit,
            "destination": point.code, "delivery_date": line.delivery_date, "ordered": line.base_quantity,
            "received": line.received_quantity, "outstanding": outstanding, "amount_outstanding":
                (outstanding * line.unit_price).quantize(Decimal("0.01")),
            "days_overdue": days_overdue, "overdue": days_overdue > 0,
        })
    return sorted(rows, key=lambda row: (-row["days_overdue"], row["delivery_date"], row["order_number"]))


# --- CSV ---------------------------------------------------------------------------------------------

SPEND_COLUMNS = [("key", "编码"), ("name", "名称"), ("amount", "金额(元)"), ("lines", "订单行数"),
                 ("quantity", "数量"), ("unit", "单位")]
COMPLIANCE_COLUMNS = [("order_number", "订单号"), ("order_date", "下单日期"), ("supplier_name", "供应商"),
                      ("item_code", "商品编码"), ("item_name", "商品名称"), ("unit", "单位"),
                      ("unit_price", "成交单价(元)"), ("reference_price", "参考价(元)"),
                      ("reference_source", "参考价来源"), ("rule", "价格规则"), ("rate", "比例"),
                      ("limit", "限价(元)"), ("above_limit", "是否超限"), ("over_reference", "高于参考价(元)"),
                      ("override_reason", "超限审批理由")]
OPEN_ORDER_COLUMNS = [("order_number", "订单号"), ("state", "状态"), ("supplier_name", "供应商"),
                      ("item_code", "商品编码"), ("item_name", "商品名称"), ("unit", "单位"),
                      ("destination", "收货点"), ("delivery_date", "交货日期"), ("ordered", "订购数量"),
                      ("received", "已收数量"), ("outstanding", "未收数量"), ("amount_outstanding", "未收金额(元)"),
                      ("days_overdue", "逾期天数"), ("overdue", "是否逾期")]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(rows: list[dict], columns: list[tuple[str, str]]) -> Iterator[str]:
    """The CSV a row at a time, opening with a UTF-8 byte-order mark so Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in columns])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(row.get(key)) for key, _ in columns])
        yield buffer.getvalue()


def group_columns(group_by: str) -> list[tuple[str, str]]:
    return SPEND_COLUMNS if group_by == "item" else SPEND_COLUMNS[:4]

