"""shared.db column types on the real backends: exact money and quantities, aware UTC times.

Each test gets a connection inside a transaction that is rolled back, with its own table
created inside it: a temporary SQLite file always, and the session's PostgreSQL database
as well when TEST_DATABASE_SERVER is set (PostgreSQL DDL is transactional).
"""
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Numeric, Table, func, insert, select, text
from sqlalchemy.exc import StatementError

from shared.db import Money, Quantity, UTCDateTime, make_engine

BACKENDS = ["sqlite"] + (["server"] if os.environ.get("TEST_DATABASE_SERVER") else [])

metadata = MetaData()
ledger = Table(
    "shared_test_exact_types", metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("qty", Quantity()),
    Column("at", UTCDateTime()),
    Column("float_amount", Numeric(14, 2)),  # what the design warns against on SQLite
)


@pytest.fixture(params=BACKENDS)
def connection(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'exact.db'}"
    else:
        url = request.getfixturevalue("test_settings").database_url("procurement")
        assert url.startswith("postgresql"), url
    engine = make_engine(url)
    connection = engine.connect()
    transaction = connection.begin()
    metadata.create_all(connection)
    yield connection
    transaction.rollback()
    connection.close()
    engine.dispose()


def _sum(connection, column) -> Decimal:
    return connection.execute(select(func.sum(column))).scalar_one()


def test_ten_thousand_ten_fen_amounts_sum_in_sql_to_exactly_one_thousand_yuan(connection):
    connection.execute(insert(ledger), [{"amount": Decimal("0.10")} for _ in range(10_000)])
    total = _sum(connection, ledger.c.amount)
    assert isinstance(total, Decimal)
    assert total == Decimal("1000.00")
    assert str(total) == "1000.00"


def test_ten_thousand_quantities_of_one_gram_sum_in_sql_to_exactly_ten_kilograms(connection):
    connection.execute(insert(ledger), [{"qty": Decimal("0.001")} for _ in range(10_000)])
    assert str(_sum(connection, ledger.c.qty)) == "10.000"


def test_money_is_stored_as_an_integer_count_of_fen(connection):
    connection.execute(insert(ledger), [{"id": 1, "amount": Decimal("12.34"), "qty": Decimal("25.5")}])
    raw = connection.execute(text("SELECT amount, qty FROM shared_test_exact_types WHERE id = 1")).one()
    assert (raw.amount, raw.qty) == (1234, 25500)
    assert type(raw.amount) is int


def test_amounts_come_back_as_decimals_with_their_fixed_places(connection):
    connection.execute(insert(ledger), [{"id": 1, "amount": 5, "qty": "2"},
                                        {"id": 2, "amount": Decimal("-0.01"), "qty": Decimal("-0.001")}])
    rows = connection.execute(select(ledger.c.amount, ledger.c.qty).order_by(ledger.c.id)).all()
    assert [(str(a), str(q)) for a, q in rows] == [("5.00", "2.000"), ("-0.01", "-0.001")]


def test_null_amounts_stay_null(connection):
    connection.execute(insert(ledger), [{"id": 1, "amount": None, "qty": None, "at": None}])
    assert connection.execute(select(ledger.c.amount, ledger.c.qty, ledger.c.at)).one() == (None, None, None)


@pytest.mark.parametrize(("column", "value"), [
    ("amount", Decimal("0.001")), ("amount", "1.005"), ("qty", Decimal("0.0001")), ("qty", "2.0005"),
])
def test_a_value_with_more_places_than_the_column_keeps_is_refused_not_rounded(connection, column, value):
    with pytest.raises(StatementError, match="decimal places"):
        connection.execute(insert(ledger), [{column: value}])


@pytest.mark.parametrize("column", ["amount", "qty"])
def test_a_float_is_refused_by_the_exact_columns(connection, column):
    with pytest.raises(StatementError, match="floats are not accepted"):
        connection.execute(insert(ledger), [{column: 0.1}])


def test_the_same_amount_with_trailing_zeros_or_an_exponent_is_accepted(connection):
    connection.execute(insert(ledger), [{"amount": Decimal("1.100")}, {"amount": Decimal("1E+2")}])
    assert _sum(connection, ledger.c.amount) == Decimal("101.10")


def test_sqlite_numeric_would_have_drifted_where_money_does_not(connection):
    """The reason for the integer storage: SQLite keeps NUMERIC as a float."""
    connection.execute(insert(ledger), [{"amount": Decimal("0.10"), "float_amount": Decimal("0.10")}
                                        for _ in range(10_000)])
    raw_numeric = connection.execute(text("SELECT SUM(float_amount) FROM shared_test_exact_types")).scalar_one()
    if connection.dialect.name == "sqlite":
        assert raw_numeric != 1000  # a float sum, e.g. 1000.0000000001588
    assert _sum(connection, ledger.c.amount) == Decimal("1000.00")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2),
                min_size=1, max_size=60))
def test_any_list_of_amounts_sums_in_sql_to_its_exact_decimal_sum(connection, amounts):
    savepoint = connection.begin_nested()
    try:
        connection.execute(insert(ledger), [{"amount": amount} for amount in amounts])
        assert _sum(connection, ledger.c.amount) == sum(amounts)
        stored = connection.execute(select(ledger.c.amount).order_by(ledger.c.id)).scalars().all()
        assert stored == amounts
    finally:
        savepoint.rollback()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999.999"), places=3),
                min_size=1, max_size=60))
def test_any_list_of_quantities_sums_in_sql_to_its_exact_decimal_sum(connection, quantities):
    savepoint = connection.begin_nested()
    try:
        connection.execute(insert(ledger), [{"qty": q} for q in quantities])
        assert _sum(connection, ledger.c.qty) == sum(quantities)
    finally:
        savepoint.rollback()


def test_utc_datetime_comes_back_aware_and_in_utc(connection):
    moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
    connection.execute(insert(ledger), [{"id": 1, "at": moment}])
    stored = connection.execute(select(ledger.c.at)).scalar_one()
    assert stored == moment
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)


def test_an_aware_datetime_in_another_zone_is_stored_as_the_same_instant_in_utc(connection):
    shanghai = datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    connection.execute(insert(ledger), [{"id": 1, "at": shanghai}])
    stored = connection.execute(select(ledger.c.at)).scalar_one()
    assert stored == shanghai
    assert (stored.hour, stored.utcoffset()) == (0, timedelta(0))


def test_datetimes_from_different_zones_compare_in_sql_by_instant(connection):
    early = datetime(2026, 3, 1, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))   # 23:00 UTC the day before
    late = datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc)
    connection.execute(insert(ledger), [{"id": 1, "at": late}, {"id": 2, "at": early}])
    ordered = connection.execute(select(ledger.c.id).order_by(ledger.c.at)).scalars().all()
    assert ordered == [2, 1]
    after = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert connection.execute(select(ledger.c.id).where(ledger.c.at > after)).scalars().all() == [1]


def test_a_naive_datetime_is_refused(connection):
    with pytest.raises(StatementError, match="naive datetimes are not stored"):
        connection.execute(insert(ledger), [{"at": datetime(2026, 3, 1, 12, 0)}])


@pytest.mark.parametrize("column", ["amount", "qty", "at"])
def test_statements_on_the_exact_columns_can_use_the_compiled_statement_cache(column):
    """SQLAlchemy reads `cache_ok` from each TypeDecorator class's own __dict__, not inherited:
    a subclass without it makes every statement touching the column uncacheable (and warns)."""
    statement = select(ledger.c[column]).where(ledger.c[column].is_not(None))
    assert statement._generate_cache_key() is not None
