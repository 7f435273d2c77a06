"""shared.pagination: pages of a scoped, ordered statement with the total count."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import declarative_base
from shared.pagination import MAX_PER_PAGE, Page, PageQuerySchema, page_schema, paginate

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    school_id: Mapped[int] = mapped_column(Integer)


class ItemSchema(Schema):
    id = fields.Integer()
    name = fields.String()


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        # 23 items of school 1, added in an order unlike their names; 5 of school 2
        session.add_all(Item(name=f"item-{(i * 7) % 23:02d}", school_id=1) for i in range(23))
        session.add_all(Item(name=f"other-{i}", school_id=2) for i in range(5))
        session.commit()
        yield session
    engine.dispose()


def ours():
    return select(Item).where(Item.school_id == 1).order_by(Item.name, Item.id)


def test_a_page_holds_per_page_items_and_the_total_of_the_whole_list(session):
    page = paginate(session, ours(), page=1, per_page=10)
    assert (page.page, page.per_page, page.total) == (1, 10, 23)
    assert [item.name for item in page.items] == [f"item-{n:02d}" for n in range(10)]


def test_the_last_page_holds_the_remainder_and_a_page_past_the_end_is_empty(session):
    assert [item.name for item in paginate(session, ours(), 3, 10).items] == ["item-20", "item-21", "item-22"]
    past = paginate(session, ours(), 4, 10)
    assert past.items == [] and past.total == 23


def test_the_pages_together_list_every_item_once_in_order(session):
    every = [item.id for item in session.scalars(ours())]
    for per_page in (1, 4, 7, 23, 50):
        pages = [paginate(session, ours(), number, per_page) for number in range(1, 23 // per_page + 3)]
        assert [item.id for page in pages for item in page.items] == every
        assert {page.total for page in pages} == {23}


def test_the_same_page_asked_twice_gives_the_same_items(session):
    first, second = paginate(session, ours(), 2, 5), paginate(session, ours(), 2, 5)
    assert [item.id for item in first.items] == [item.id for item in second.items]


def test_the_total_counts_only_the_rows_the_statement_is_scoped_to(session):
    theirs = select(Item).where(Item.school_id == 2).order_by(Item.id)
    page = paginate(session, theirs, 1, 50)
    assert page.total == 5
    assert {item.school_id for item in page.items} == {2}


def test_an_empty_list_has_a_total_of_zero(session):
    page = paginate(session, select(Item).where(Item.school_id == 99).order_by(Item.id), 1, 50)
    assert (page.items, page.total) == ([], 0)


@settings(max_examples=40)
@given(st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=8))
def test_any_page_is_the_matching_slice_of_the_whole_ordered_list(session, per_page, number):
    every = [item.id for item in session.scalars(ours())]
    page = paginate(session, ours(), number, per_page)
    assert [item.id for item in page.items] == every[(number - 1) * per_page:number * per_page]
    assert page.total == len(every)


def test_page_schema_dumps_the_items_with_the_item_schema_and_the_counts(session):
    page = paginate(session, ours(), 2, 2)
    dumped = page_schema(ItemSchema)().dump(page)
    assert dumped == {"items": [{"id": item.id, "name": item.name} for item in page.items],
                      "page": 2, "per_page": 2, "total": 23}
    assert [entry["name"] for entry in dumped["items"]] == ["item-02", "item-03"]


def test_page_schema_is_named_after_the_item_schema():
    assert page_schema(ItemSchema).__name__ == "ItemPageSchema"


def test_page_schema_dumps_an_empty_page():
    assert page_schema(ItemSchema)().dump(Page([], 1, 50, 0)) == {"items": [], "page": 1, "per_page": 50, "total": 0}


def test_page_query_defaults_to_the_first_page_of_fifty():
    assert PageQuerySchema().load({}) == {"page": 1, "per_page": 50}
    assert PageQuerySchema().load({"page": "3", "per_page": "20"}) == {"page": 3, "per_page": 20}


@pytest.mark.parametrize("query", [{"page": "0"}, {"page": "-1"}, {"per_page": "0"},
                                   {"per_page": str(MAX_PER_PAGE + 1)}, {"page": "x"}, {"per_page": "1.5"}])
def test_page_query_refuses_pages_below_one_and_pages_too_large(query):
    with pytest.raises(ValidationError):
        PageQuerySchema().load(query)
