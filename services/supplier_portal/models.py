from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from shared.db import Money, Quantity, UTCDateTime, declarative_base, utcnow
from shared.events import InboxMixin, OutboxMixin
from shared.idempotency import IdempotencyKeyMixin
from shared.statemachine import AuditMixin

Base = declarative_base()


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class Audit(AuditMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class Supplier(Base):
    """A supplier organisation; it serves many schools, so it carries no school_id."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A supplier user's scope is its own organisation.
    supplier_id = synonym("id")
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    invited_by_school_id: Mapped[int | None] = mapped_column(Integer)
    invitation_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Unknown until an invited company completes its registration; unique once known.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why it was rejected or suspended; `status_cause` tells a licence suspension (lifted by a
    # valid licence) from one a licence cannot lift.
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_cause: Mapped[str | None] = mapped_column(String(40))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_by: Mapped[str | None] = mapped_column(String(64))
    # sha256 of the one-time code that lets an invited company complete its registration.
    invitation_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class SupplierUser(Base):
    __tablename__ = "supplier_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QualificationDocument(Base):
    """A licence on file (索证索票): the file lives in the document store under `storage_key`."""

    __tablename__ = "qualification_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(100))
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Shown to people only; never used to build a path.
    original_filename: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """An in-portal message to a supplier; `dedup_key` makes each one at most once."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("supplier_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    # The values of the kind's message, so that a page or an email says it in the reader's language.
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    dedup_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the email to the supplier's users was handed to the mail server: never sent again.
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)


class PurchaseOrder(Base):
    """The supplier's copy of an order procurement sent (po.sent); `po_id` is procurement's id."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_id: Mapped[int] = mapped_column(Integer, unique=True)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(Text)
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.po_line_id",
        lazy="selectin")  # loaded with the order: views dump it after the unit of work closes
    receipts: Mapped[list[GoodsReceipt]] = relationship(
        back_populates="order", order_by="GoodsReceipt.id", lazy="selectin", viewonly=True)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    delivery_date: Mapped[date] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(String(10))
    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class Rfq(Base):
    """One invited supplier's own copy of a request for quotation (rfq.issued); `rfq_id` is procurement's id.

    A copy per supplier, so nothing a supplier can read names the other invited suppliers.
    """

    __tablename__ = "rfqs"
    __table_args__ = (UniqueConstraint("rfq_id", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(Integer, index=True)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    quote_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the school awarded it (rfq.awarded), whether or not this supplier quoted.
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lines: Mapped[list[RfqLine]] = relationship(
        back_populates="rfq", cascade="all, delete-orphan", order_by="RfqLine.rfq_line_id", lazy="selectin")
    quote: Mapped[Quote | None] = relationship(lazy="selectin", viewonly=True)


class RfqLine(Base):
    __tablename__ = "rfq_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_copy_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id"), index=True)
    rfq_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    delivery_date: Mapped[date] = mapped_column(Date)
    rfq: Mapped[Rfq] = relationship(back_populates="lines")


class Quote(Base):
    """A supplier's answer to its copy of an RFQ: a draft it may keep editing, then submitted once."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One quote per supplier per RFQ: the unique copy id makes a second one impossible.
    rfq_copy_id: Mapped[int] = mapped_column(ForeignKey("rfqs.id"), unique=True)
    rfq_id: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    # What the school's award (rfq.awarded) made of it: awarded, partly_awarded or not_awarded.
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.rfq_line_id", lazy="selectin")
    rfq: Mapped[Rfq] = relationship(lazy="selectin")


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    rfq_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    # A draft may leave a price open; a submitted quote has every price.
    unit_price: Mapped[Decimal | None] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")
    # None until the RFQ is awarded.
    awarded: Mapped[bool | None] = mapped_column(Boolean)
    quote: Mapped[Quote] = relationship(back_populates="lines")


class DeliveryNote(Base):
    """What the supplier ships against an acknowledged order (送货单), with its lots."""

    __tablename__ = "delivery_notes"
    # Order numbers are per school, so a note's number is unique within its order only.
    __table_args__ = (UniqueConstraint("order_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    po_id: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[DeliveryNoteLine]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="DeliveryNoteLine.id", lazy="selectin")
    receipts: Mapped[list[GoodsReceipt]] = relationship(
        back_populates="delivery_note", order_by="GoodsReceipt.id", lazy="selectin", viewonly=True)

    @property
    def line_results(self) -> list[dict]:
        """Per line of the note: what the school's inspections of this note accepted and rejected of it.

        A note may go to several dining halls, each receiving its own lines; a line is inspected once
        a receipt of this note names its order line, whatever quantity that receipt accepted.
        """
        results: dict[int, dict] = {}
        for receipt in self.receipts:
            for line in receipt.lines:
                result = results.setdefault(line.po_line_id, {"accepted_quantity": Decimal(0),
                                                              "rejected_quantity": Decimal(0)})
                result["accepted_quantity"] += line.accepted_quantity
                result["rejected_quantity"] += line.rejected_quantity
        return [{"po_line_id": line.po_line_id, "item_id": line.item_id, "quantity": line.quantity,
                 "lot_number": line.lot_number, "inspected": line.po_line_id in results,
                 **results.get(line.po_line_id, {"accepted_quantity": None, "rejected_quantity": None})}
                for line in self.lines]


class DeliveryNoteLine(Base):
    __tablename__ = "delivery_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_note_id: Mapped[int] = mapped_column(ForeignKey("delivery_notes.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    lot_number: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    certificate_ref: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[DeliveryNote] = relationship(back_populates="lines")


class GoodsReceipt(Base):
    """The school's incoming inspection of a delivery (goods.received), as the supplier sees it."""

    __tablename__ = "goods_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(Integer, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    delivery_note_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_notes.id"), index=True)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    location_code: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    inspectors: Mapped[list] = mapped_column(JSON)
    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="GoodsReceiptLine.id", lazy="selectin")
    order: Mapped[PurchaseOrder] = relationship(back_populates="receipts")
    delivery_note: Mapped[DeliveryNote | None] = relationship(back_populates="receipts")


class GoodsReceiptLine(Base):
    __tablename__ = "goods_receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    goods_receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipts.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    accepted_quantity: Mapped[Decimal] = mapped_column(Quantity())
    rejected_quantity: Mapped[Decimal] = mapped_column(Quantity())
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    lot_number: Mapped[str] = mapped_column(String(64), default="")
    production_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")


class Invoice(Base):
    """The supplier's invoice against accepted quantities of one order, and what procurement made of it."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("supplier_id", "invoice_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    po_id: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(20), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(64))
    matched_amount: Mapped[Decimal | None] = mapped_column(Money())
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispute_reasons: Mapped[list | None] = mapped_column(JSON)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.id", lazy="selectin")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id", lazy="selectin")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(Base):
    """A payment procurement recorded against an invoice (payment.recorded); `payment_id` is procurement's."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(Integer, unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(Integer, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200), default="")
    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class ComplianceDeclaration(Base):
    """A campus-store supplier's declaration of one six-unifications (六统一) item, with its evidence file,
    and the school's assessment of it. The latest declaration of an item is the one that counts."""

    __tablename__ = "compliance_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_filename: Mapped[str] = mapped_column(String(200))
    declared_by: Mapped[str] = mapped_column(String(64))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assessed_by: Mapped[str | None] = mapped_column(String(64))
    assessed_on: Mapped[date | None] = mapped_column(Date)
    assessment_note: Mapped[str | None] = mapped_column(Text)


class UnifiedPriceList(Base):
    """The unified selling prices (统一价格) a compliant campus-store supplier publishes; the campus store sells at
    them (inventory)."""

    __tablename__ = "unified_price_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[UnifiedPriceLine]] = relationship(
        back_populates="price_list", cascade="all, delete-orphan", order_by="UnifiedPriceLine.id", lazy="selectin")


class UnifiedPriceLine(Base):
    __tablename__ = "unified_price_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("unified_price_lists.id"), index=True)
    item_id: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(40))
    unit_price: Mapped[Decimal] = mapped_column(Money())
    price_list: Mapped[UnifiedPriceList] = relationship(back_populates="lines")


class Scorecard(Base):
    """A school's evaluation of a supplier for one period (供应商考核): measured figures and staff's rating.

    Rates are percentages kept exact to the thousandth (None when the period had nothing to measure).
    """

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("school_id", "supplier_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer, index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    deliveries: Mapped[int] = mapped_column(Integer)
    on_time_rate: Mapped[Decimal | None] = mapped_column(Quantity())
    acceptance_rate: Mapped[Decimal | None] = mapped_column(Quantity())
    price_compliance_rate: Mapped[Decimal | None] = mapped_column(Quantity())
    disputes: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[str] = mapped_column(String(64))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # True when this rating was the second unsatisfactory one in a row and suspended the supplier.
    suspended_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
