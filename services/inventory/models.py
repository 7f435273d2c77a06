from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    event,
    func,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from shared.db import Money, Quantity, ScaledDecimal, UTCDateTime, declarative_base, utcnow
from shared.events import InboxMixin, OutboxMixin
from shared.idempotency import IdempotencyKeyMixin
from shared.statemachine import AuditMixin

Base = declarative_base()

LOCATION_KINDS = ("dining_hall", "central_store_room", "campus_store")
MOVEMENT_KINDS = ("receipt", "issue", "transfer_out", "transfer_in", "adjustment", "waste", "store_sale",
                  "return_to_supplier")
MEALS = ("breakfast", "lunch", "dinner")
# A BIGINT primary key on PostgreSQL (the ledger grows without bound); SQLite only autoincrements INTEGER.
LedgerId = BigInteger().with_variant(Integer(), "sqlite")


class Rate(ScaledDecimal):
    """A valuation rate in yuan per base unit, six places, stored as an integer (exact on SQLite)."""

    places = 6
    cache_ok = True


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class Audit(AuditMixin, Base):
    pass


class Location(Base):
    """Where stock is kept: a dining hall, the central store room or the campus store."""

    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    # how many days ahead the daily expiry alert looks; None: the default (expiry_alerts.DEFAULT_DAYS)
    expiry_alert_days: Mapped[int | None] = mapped_column(Integer)


class Item(Base):
    """Procurement's catalogue item as cached here; the id is procurement's item id.

    Each school has its own catalogue in procurement, so codes are unique per school only.
    """

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    school_id: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    base_unit: Mapped[str] = mapped_column(String(16))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    # high salt, sugar or fat: flagged on campus-store reports
    restricted: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Lot(Base):
    """A supplier's lot of one item; identified by item, supplier and lot number within a school."""

    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date | None] = mapped_column(Date)
    # None: the item does not expire (coal, say)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    supplier_id: Mapped[int | None] = mapped_column()
    delivery_reference: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    item: Mapped[Item] = relationship(lazy="joined", innerjoin=True)


# One lot per school, item, supplier and lot number, also when two receipts make it at once
# (a NULL supplier would not collide in a plain unique index, hence the expression).
Index("uq_lots_identity", Lot.school_id, Lot.item_id, func.coalesce(Lot.supplier_id, 0), Lot.lot_number,
      unique=True)


class StockValuation(Base):
    """On-hand quantity and value of one item at one location: the moving-average state.

    Its row is the lock that serializes every movement of the item at the location.
    """

    __tablename__ = "stock_valuations"
    __table_args__ = (UniqueConstraint("item_id", "location_id"),
                      CheckConstraint("quantity >= 0", name="quantity_not_negative"),
                      CheckConstraint("value >= 0", name="value_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    # the rate of the last time there was stock; values a positive adjustment into an empty location
    last_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockBalance(Base):
    """On-hand quantity of one lot of one item at one location, kept with every movement."""

    __tablename__ = "stock_balances"
    __table_args__ = (UniqueConstraint("item_id", "location_id", "lot_id"),
                      Index("ix_stock_balances_location_item", "location_id", "item_id"),
                      CheckConstraint("quantity >= 0", name="quantity_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot] = relationship(lazy="joined", innerjoin=True)


class StockMovement(Base):
    """One append-only row of the stock ledger. Never updated, never deleted: a correction is a new row.

    `quantity` and `value` are signed (in > 0, out < 0). The balances after the movement are
    recorded as they were at posting time: `lot_balance` for the lot at the location,
    `balance_quantity`, `balance_value` and `valuation_rate` for the item at the location.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_item_location", "item_id", "location_id", "id"),
                      Index("ix_stock_movements_source", "source_type", "source_id"),
                      Index("ix_stock_movements_school_occurred", "school_id", "occurred_at"),
                      CheckConstraint("lot_balance >= 0", name="lot_balance_not_negative"),
                      CheckConstraint("balance_quantity >= 0", name="balance_not_negative"))

    id: Mapped[int] = mapped_column(LedgerId, primary_key=True)
    school_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    kind: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    value: Mapped[Decimal] = mapped_column(Money())
    lot_balance: Mapped[Decimal] = mapped_column(Quantity())
    balance_quantity: Mapped[Decimal] = mapped_column(Quantity())
    balance_value: Mapped[Decimal] = mapped_column(Money())
    valuation_rate: Mapped[Decimal] = mapped_column(Rate())
    actor: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column()

    lot: Mapped[Lot] = relationship(lazy="joined", innerjoin=True)


@event.listens_for(StockMovement, "before_update")
@event.listens_for(StockMovement, "before_delete")
def _ledger_is_append_only(_mapper, _connection, movement):
    # The migration also installs database triggers; this catches it earlier, with a clearer message.
    raise PermissionError(f"stock movement {movement.id} is append-only: post a correcting movement instead")


def _movements_of(source_type: str, document):
    return relationship(
        StockMovement, viewonly=True, order_by=StockMovement.id,
        primaryjoin=lambda: and_(foreign(StockMovement.source_id) == document.id,
                                 StockMovement.source_type == source_type))


class Receipt(Base):
    """Goods received into a location (a direct receipt; inspected receipts come from expected receipts)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column()
    delivery_reference: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Issue(Base):
    """Stock issued from a dining hall's store to its kitchen for one meal."""

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    meal_date: Mapped[date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WasteRecord(Base):
    __tablename__ = "waste_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Stocktake(Base):
    """A count sheet for one location: counted, then approved (adjustments posted) or cancelled."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="counting")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[StocktakeLine]] = relationship(back_populates="stocktake", order_by="StocktakeLine.id",
                                                      lazy="selectin")


class StocktakeLine(Base):
    __tablename__ = "stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "item_id", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    # the book quantity when the sheet was drawn up
    expected_quantity: Mapped[Decimal] = mapped_column(Quantity())
    counted_quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    # posted at approval: counted minus the book quantity at that moment
    adjustment_quantity: Mapped[Decimal | None] = mapped_column(Quantity())

    stocktake: Mapped[Stocktake] = relationship(back_populates="lines")
    lot: Mapped[Lot] = relationship(lazy="joined", innerjoin=True)

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted_quantity is None else self.counted_quantity - self.expected_quantity


for _document, _source_type in ((Receipt, "receipt"), (Issue, "issue"), (Transfer, "transfer"),
                                 (WasteRecord, "waste"), (Stocktake, "stocktake")):
    _document.movements = _movements_of(_source_type, _document)


class ExpectedReceipt(Base):
    """A purchase order as inventory expects it (from po.sent): what should arrive, where, at what price."""

    __tablename__ = "expected_receipts"
    __table_args__ = (UniqueConstraint("school_id", "po_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    po_id: Mapped[int] = mapped_column()
    po_number: Mapped[str] = mapped_column(String(32))
    po_revision: Mapped[int] = mapped_column()
    supplier_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # po.cancelled: nothing more is expected; what was received stays received
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # po.closed: the order was closed after goods arrived (perhaps short); nothing more is received against it
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(500))

    lines: Mapped[list[ExpectedReceiptLine]] = relationship(order_by="ExpectedReceiptLine.id", lazy="selectin")

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if self.closed_at is not None:
            return "closed"
        if all(line.accepted_quantity >= line.quantity for line in self.lines):
            return "received"
        if any(line.accepted_quantity > 0 for line in self.lines):
            return "partially_received"
        return "expected"


class ExpectedReceiptLine(Base):
    __tablename__ = "expected_receipt_lines"
    __table_args__ = (UniqueConstraint("expected_receipt_id", "po_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expected_receipt_id: Mapped[int] = mapped_column(ForeignKey("expected_receipts.id"))
    po_line_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    delivery_date: Mapped[date] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(String(32))
    accepted_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))

    item: Mapped[Item] = relationship(lazy="joined", innerjoin=True)


class DeliveryNote(Base):
    """A supplier's delivery note (from delivery.dispatched): the lots on their way."""

    __tablename__ = "delivery_notes"
    __table_args__ = (UniqueConstraint("delivery_note_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    delivery_note_id: Mapped[int] = mapped_column()  # the portal's id
    po_id: Mapped[int] = mapped_column(index=True)
    supplier_id: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(64))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[DeliveryNoteLine]] = relationship(order_by="DeliveryNoteLine.id", lazy="selectin")


class DeliveryNoteLine(Base):
    __tablename__ = "delivery_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_note_id: Mapped[int] = mapped_column(ForeignKey("delivery_notes.id"))
    po_line_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column()
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    lot_number: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    certificate_ref: Mapped[str] = mapped_column(String(200), default="")


class Inspection(Base):
    """The incoming inspection (进货查验) of goods received against an order, at one location.

    Kept forever, like the ledger: accepted quantities post receipt movements at the PO price.
    """

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    expected_receipt_id: Mapped[int] = mapped_column(ForeignKey("expected_receipts.id"))
    delivery_note_id: Mapped[int | None] = mapped_column()  # the portal's id
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inspectors: Mapped[list] = mapped_column(JSON)
    documents_checked: Mapped[list] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[InspectionLine]] = relationship(order_by="InspectionLine.id", lazy="selectin")


class InspectionLine(Base):
    __tablename__ = "inspection_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    po_line_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    accepted_quantity: Mapped[Decimal] = mapped_column(Quantity())
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity())
    rejection_reason: Mapped[str] = mapped_column(String(500), default="")
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date | None] = mapped_column(Date)
    shelf_life_days: Mapped[int | None] = mapped_column()
    expiry_date: Mapped[date | None] = mapped_column(Date)
    unit_price: Mapped[Decimal] = mapped_column(Money())


class ReorderRule(Base):
    """Keep an item between `minimum` and `maximum` at a location, bought in multiples of `multiple`."""

    __tablename__ = "reorder_rules"
    __table_args__ = (UniqueConstraint("item_id", "location_id"),
                      CheckConstraint("minimum >= 0 AND maximum >= minimum AND multiple > 0", name="sane_levels"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    minimum: Mapped[Decimal] = mapped_column(Quantity())
    maximum: Mapped[Decimal] = mapped_column(Quantity())
    multiple: Mapped[Decimal] = mapped_column(Quantity())
    # set when stock.below_reorder was published for the current shortfall; cleared when stock recovers
    below_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MealsServed(Base):
    """Diners at one meal in one dining hall, entered by its canteen manager: the divisor of meal cost."""

    __tablename__ = "meals_served"
    __table_args__ = (UniqueConstraint("location_id", "meal_date", "meal"),
                      CheckConstraint("diners >= 0", name="diners_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    meal_date: Mapped[date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(16))
    diners: Mapped[int] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


Inspection.movements = _movements_of("inspection", Inspection)


class UnifiedPrice(Base):
    """A campus-store selling price set under the six unifications (from unified_prices.published)."""

    __tablename__ = "unified_prices"
    __table_args__ = (UniqueConstraint("item_id", "supplier_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    supplier_id: Mapped[int] = mapped_column()
    unit_price: Mapped[Decimal] = mapped_column(Money())
    effective_from: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoreSale(Base):
    """Goods sold in the campus store at their unified prices; the movements carry the cost."""

    __tablename__ = "store_sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    revenue: Mapped[Decimal] = mapped_column(Money())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[StoreSaleLine]] = relationship(order_by="StoreSaleLine.id", lazy="selectin")


class StoreSaleLine(Base):
    __tablename__ = "store_sale_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("store_sales.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    # high salt, sugar or fat, as flagged in the catalogue when sold
    restricted: Mapped[bool] = mapped_column(default=False)


StoreSale.movements = _movements_of("store_sale", StoreSale)


class SupplierReturn(Base):
    """Goods sent back to their supplier (退货) after receipt, lot by lot, with a reason."""

    __tablename__ = "supplier_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


SupplierReturn.movements = _movements_of("supplier_return", SupplierReturn)


class ExpiryAlert(Base):
    """A lot with stock at a location that expires within the location's alert horizon, as found
    by the daily job on `alert_date` (the school's date): one row per lot, location and day."""

    __tablename__ = "expiry_alerts"
    __table_args__ = (UniqueConstraint("location_id", "lot_id", "alert_date"),
                      Index("ix_expiry_alerts_school_date", "school_id", "alert_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column()
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    alert_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    days_left: Mapped[int] = mapped_column()
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot] = relationship(lazy="joined", innerjoin=True)
    item: Mapped[Item] = relationship(lazy="joined", innerjoin=True)
    location: Mapped[Location] = relationship(lazy="joined", innerjoin=True)
