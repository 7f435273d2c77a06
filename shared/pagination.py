"""List endpoints paginate: `?page=&per_page=`, the items of the page and the total count."""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PER_PAGE = 200


class PageQuerySchema(Schema):
    """Subclass it to add a resource's filters and its `sort` choices."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The response schema of one page of `item_schema` items."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
        "total": fields.Integer(required=True),
    }, name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema")


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int


def paginate(session: Session, statement: Select, page: int, per_page: int) -> Page:
    """`statement` must already be scoped to the caller and ordered (a stable order makes pages stable)."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    items = list(session.scalars(statement.offset((page - 1) * per_page).limit(per_page)))
    return Page(items, page, per_page, total)
