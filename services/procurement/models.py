from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import Money, Quantity, UTCDateTime, declarative_base, utcnow
from shared.events import InboxMixin, OutboxMixin
from shared.idempotency import IdempotencyKeyMixin
from shared.statemachine import AuditMixin

Base = declarative_base()

# DESIGN.md §4: bulk commodities are rice, flour, cooking oil and coal.
BULK_CATEGORIES = ("rice", "flour", "cooking_oil", "coal")
ITEM_CATEGORIES = BULK_CATEGORIES + ("vegetables", "meat_eggs", "seasonings", "store_goods")
PRICE_SOURCES = ("price_bureau", "wholesale_market", "tender")
PRICE_RULE_KINDS = ("ceiling", "min_discount", "max_markup")
DEMAND_POINT_KINDS = ("dining_hall", "central_store_room", "campus_store")


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A canteen manager or store manager answers for one demand point (their dining hall, the store).
    demand_point_id: Mapped[int | None] = mapped_column(ForeignKey("demand_points.id"))


class SupplierInvitation(Base):
    __tablename__ = "supplier_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    company_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list] = mapped_column(JSON)
    invited_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Audit(AuditMixin, Base):
    """Who moved which document from which state to which, when and why (never deleted)."""


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


# --- catalogue -------------------------------------------------------------------------------

class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32), index=True)
    specification: Mapped[str] = mapped_column(String(200), default="")
    base_unit: Mapped[str] = mapped_column(String(16))
    # The item's own purchase units and how many base units one holds, as decimal strings:
    # {"bag": "25"} for rice in 25 kg bags. Standard units (斤, t, g, mL) need no entry.
    packaging: Mapped[dict] = mapped_column(JSON, default=dict)
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    restricted_food: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferencePrice(Base):
    """A reference price per base unit from a date on, with where it comes from."""

    __tablename__ = "reference_prices"
    __table_args__ = (UniqueConstraint("item_id", "effective_from", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money())
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship()


class PriceRule(Base):
    """How far above (or below) the reference price a quote or order may go, per category.

    An item-level rule (item_id set) overrides its category's rule.
    """

    __tablename__ = "price_rules"
    __table_args__ = (UniqueConstraint("school_id", "category", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # a fraction: 0.30 for "30 % below reference", 0.09 for "9 % above"; 0 for a ceiling
    rate: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))


# --- demand ----------------------------------------------------------------------------------

class DemandPoint(Base):
    """A dining hall, the central store room or the campus store (codes shared with inventory)."""

    __tablename__ = "demand_points"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))


class Requisition(Base):
    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    demand_point_id: Mapped[int] = mapped_column(ForeignKey("demand_points.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual, reorder, menu
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    demand_point: Mapped[DemandPoint] = relationship()
    lines: Mapped[list[RequisitionLine]] = relationship(back_populates="requisition", order_by="RequisitionLine.id",
                                                        cascade="all, delete-orphan")


class RequisitionLine(Base):
    __tablename__ = "requisition_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    entered_quantity: Mapped[Decimal] = mapped_column(Quantity())
    entered_unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Quantity())  # in the item's base unit
    needed_by: Mapped[date] = mapped_column(Date)

    requisition: Mapped[Requisition] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


# --- consolidation ---------------------------------------------------------------------------

class PurchasePlan(Base):
    __tablename__ = "purchase_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lines: Mapped[list[PlanLine]] = relationship(back_populates="plan", order_by="PlanLine.id")


class PlanLine(Base):
    """One item for one delivery window, with the split per demand point in its sources."""

    __tablename__ = "plan_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("purchase_plans.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    window_start: Mapped[date] = mapped_column(Date)
    delivery_date: Mapped[date] = mapped_column(Date)  # the earliest need in the window
    quantity: Mapped[Decimal] = mapped_column(Quantity())

    plan: Mapped[PurchasePlan] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    sources: Mapped[list[PlanLineSource]] = relationship(back_populates="plan_line", order_by="PlanLineSource.id")


class PlanLineSource(Base):
    """A requisition line merged into a plan line; unique, so no line is counted twice."""

    __tablename__ = "plan_line_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_line_id: Mapped[int] = mapped_column(ForeignKey("plan_lines.id"), index=True)
    requisition_line_id: Mapped[int] = mapped_column(ForeignKey("requisition_lines.id"), unique=True)
    demand_point_id: Mapped[int] = mapped_column(ForeignKey("demand_points.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())

    plan_line: Mapped[PlanLine] = relationship(back_populates="sources")
    demand_point: Mapped[DemandPoint] = relationship()


# --- purchase orders -------------------------------------------------------------------------

class DocumentCounter(Base):
    """The last number given per school, kind and year (PO-2026-000123)."""

    __tablename__ = "document_counters"
    __table_args__ = (UniqueConstraint("school_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class ApprovalRule(Base):
    """An order whose total is above `above_amount` needs `approvers` distinct approvals."""

    __tablename__ = "approval_rules"
    __table_args__ = (UniqueConstraint("school_id", "above_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    above_amount: Mapped[Decimal] = mapped_column(Money())
    approvers: Mapped[int] = mapped_column(Integer)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("school_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)  # the portal's supplier id
    supplier_name: Mapped[str] = mapped_column(String(200))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_plans.id"))
    # set when the order was priced from a fixed-supplier agreement rather than an RFQ
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("supply_agreements.id"))
    state: Mapped[str] = mapped_column(String(24), default="draft", index=True)
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    approvals_required: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(500), default="")
    # an approver's written reason for accepting prices above the price rule's limit
    price_override_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(back_populates="order", order_by="PurchaseOrderLine.line_no",
                                                          cascade="all, delete-orphan")
    approvals: Mapped[list[PurchaseOrderApproval]] = relationship(order_by="PurchaseOrderApproval.id",
                                                                  cascade="all, delete-orphan")


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())  # in `unit`
    unit: Mapped[str] = mapped_column(String(16))
    base_quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())  # per base unit (the event contract's unit)
    amount: Mapped[Decimal] = mapped_column(Money())
    demand_point_id: Mapped[int] = mapped_column(ForeignKey("demand_points.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    plan_line_id: Mapped[int | None] = mapped_column(ForeignKey("plan_lines.id"))
    # the price rule's limit per base unit when the line was priced, and whether the price is above it
    price_limit: Mapped[Decimal | None] = mapped_column(Money())
    above_price_limit: Mapped[bool] = mapped_column(Boolean, default=False)
    received_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))  # base unit
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))  # base unit

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    demand_point: Mapped[DemandPoint] = relationship()


class PurchaseOrderApproval(Base):
    __tablename__ = "purchase_order_approvals"
    __table_args__ = (UniqueConstraint("order_id", "approver"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    approver: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApprovedSupplier(Base):
    """What supplier_portal told us: which suppliers are approved for which categories."""

    __tablename__ = "approved_suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))  # approved, suspended
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- quotation and award -------------------------------------------------------------------------

class Rfq(Base):
    """A request for quotation for plan lines, sent to the approved suppliers of one category."""

    __tablename__ = "rfqs"
    __table_args__ = (UniqueConstraint("school_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[int] = mapped_column(ForeignKey("purchase_plans.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    supplier_category: Mapped[str] = mapped_column(String(32))
    supplier_ids: Mapped[list] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="issued", index=True)
    quote_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[RfqLine]] = relationship(back_populates="rfq", order_by="RfqLine.id")
    quotes: Mapped[list[Quote]] = relationship(back_populates="rfq", order_by="Quote.id")


class RfqLine(Base):
    __tablename__ = "rfq_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id"), index=True)
    plan_line_id: Mapped[int] = mapped_column(ForeignKey("plan_lines.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    delivery_date: Mapped[date] = mapped_column(Date)
    awarded_quote_line_id: Mapped[int | None] = mapped_column(ForeignKey("quote_lines.id", use_alter=True))
    award_reason: Mapped[str | None] = mapped_column(Text)  # why not the lowest compliant quote
    override_reason: Mapped[str | None] = mapped_column(Text)  # an approver's reason to accept a price above limit
    awarded_by: Mapped[str | None] = mapped_column(String(64))
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rfq: Mapped[Rfq] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    plan_line: Mapped[PlanLine] = relationship()
    awarded_quote_line: Mapped[QuoteLine | None] = relationship(foreign_keys=[awarded_quote_line_id])


class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id"), index=True)
    portal_quote_id: Mapped[int] = mapped_column(Integer, unique=True)
    supplier_id: Mapped[int] = mapped_column(Integer)
    supplier_name: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[date] = mapped_column(Date)
    # a later quote from the same supplier for the same RFQ replaces this one
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    rfq: Mapped[Rfq] = relationship(back_populates="quotes")
    lines: Mapped[list[QuoteLine]] = relationship(back_populates="quote", order_by="QuoteLine.id",
                                                  foreign_keys="QuoteLine.quote_id")


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    rfq_line_id: Mapped[int] = mapped_column(ForeignKey("rfq_lines.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(Money())  # per base unit
    price_limit: Mapped[Decimal | None] = mapped_column(Money())
    above_price_limit: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(500), default="")

    quote: Mapped[Quote] = relationship(back_populates="lines", foreign_keys=[quote_id])


# --- invoices and payments -----------------------------------------------------------------------

class MatchingTolerance(Base):
    """A school's three-way matching tolerances (defaults in matching.py when it has none)."""

    __tablename__ = "matching_tolerances"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), unique=True)
    price: Mapped[Decimal] = mapped_column(Quantity())  # a fraction of the ordered price: 0.005 = ±0.5 %
    quantity: Mapped[Decimal] = mapped_column(Quantity())  # base units beyond what was accepted


class Invoice(Base):
    """A supplier's invoice (from invoice.submitted), matched three ways on arrival."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    portal_invoice_id: Mapped[int] = mapped_column(Integer, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    invoice_number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money())
    state: Mapped[str] = mapped_column(String(16), index=True)  # matched, disputed, paid
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    paid_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", order_by="InvoiceLine.id")
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(Integer)  # as the supplier gave it; may name no line of the order
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class GoodsReceipt(Base):
    """An inventory receipt whose goods.received was applied to an order: an invoice that names it
    can be matched against the received quantities."""

    __tablename__ = "goods_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(Integer, unique=True)  # inventory's receipt id
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryNotice(Base):
    """A supplier's delivery note as announced (delivery.dispatched): what is on its way, and when."""

    __tablename__ = "delivery_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    portal_delivery_note_id: Mapped[int] = mapped_column(Integer, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # per order line: quantity in base units, lot number, production date and certificate reference
    lines: Mapped[list] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- menu-driven demand ----------------------------------------------------------------------

MEALS = ("breakfast", "lunch", "dinner")


class Dish(Base):
    """A dish of a school's kitchens and what one serving of it takes."""

    __tablename__ = "dishes"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(64))

    ingredients: Mapped[list[DishIngredient]] = relationship(order_by="DishIngredient.id",
                                                             cascade="all, delete-orphan")


class DishIngredient(Base):
    __tablename__ = "dish_ingredients"
    __table_args__ = (UniqueConstraint("dish_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dish_id: Mapped[int] = mapped_column(ForeignKey("dishes.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    per_serving: Mapped[Decimal] = mapped_column(Quantity())  # in the item's base unit

    item: Mapped[Item] = relationship()


class Menu(Base):
    """A dining hall's menu for the week starting `week_start` (a Monday)."""

    __tablename__ = "menus"
    __table_args__ = (UniqueConstraint("demand_point_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    demand_point_id: Mapped[int] = mapped_column(ForeignKey("demand_points.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the draft requisition last made from this menu, if any
    requisition_id: Mapped[int | None] = mapped_column(ForeignKey("requisitions.id"))

    demand_point: Mapped[DemandPoint] = relationship()
    meals: Mapped[list[MenuMeal]] = relationship(order_by="(MenuMeal.meal_date, MenuMeal.id)",
                                                 cascade="all, delete-orphan")


class MenuMeal(Base):
    """One meal of a menu: its day, which meal, the diners planned and the dishes served."""

    __tablename__ = "menu_meals"
    __table_args__ = (UniqueConstraint("menu_id", "meal_date", "meal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("menus.id"), index=True)
    meal_date: Mapped[date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(16))
    diners: Mapped[int] = mapped_column(Integer)

    dishes: Mapped[list[MenuMealDish]] = relationship(order_by="MenuMealDish.id", cascade="all, delete-orphan")


class MenuMealDish(Base):
    __tablename__ = "menu_meal_dishes"
    __table_args__ = (UniqueConstraint("meal_id", "dish_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meal_id: Mapped[int] = mapped_column(ForeignKey("menu_meals.id"), index=True)
    dish_id: Mapped[int] = mapped_column(ForeignKey("dishes.id"))

    dish: Mapped[Dish] = relationship()


# --- fixed-supplier (定点) agreements ---------------------------------------------------------

class SupplyAgreement(Base):
    """A contract price per base unit for one item from one supplier, from valid_from to valid_to inclusive."""

    __tablename__ = "supply_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)  # the portal's supplier id
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(64), default="")  # the signed contract's number
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # joined: an agreement is always shown with its item, after the session has closed
    item: Mapped[Item] = relationship(lazy="joined")
