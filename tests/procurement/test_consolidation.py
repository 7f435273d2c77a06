from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.procurement.consolidation import DemandLine, merge, window_of

START = date(2026, 3, 2)


@st.composite
def demand_lines(draw):
    count = draw(st.integers(min_value=0, max_value=40))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=count, max_size=count, unique=True))
    return [DemandLine(line_id, draw(st.integers(1, 4)), draw(st.integers(1, 5)),
                       Decimal(draw(st.integers(1, 10**7))).scaleb(-3),
                       START + timedelta(days=draw(st.integers(0, 40))))
            for line_id in ids]


@given(lines=demand_lines(), window_days=st.integers(min_value=1, max_value=14))
def test_consolidation_keeps_the_total_per_item_and_demand_point_and_counts_each_line_once(lines, window_days):
    merged = merge(lines, START, window_days)
    before, after = defaultdict(Decimal), defaultdict(Decimal)
    for line in lines:
        before[(line.item_id, line.demand_point_id)] += line.quantity
    for plan_line in merged:
        for point, quantity in plan_line.split().items():
            after[(plan_line.item_id, point)] += quantity
    assert after == before
    source_ids = [source.line_id for plan_line in merged for source in plan_line.sources]
    assert sorted(source_ids) == sorted(line.line_id for line in lines)


@given(lines=demand_lines(), window_days=st.integers(min_value=1, max_value=14))
def test_each_plan_line_is_one_item_in_one_window_due_by_its_earliest_need(lines, window_days):
    merged = merge(lines, START, window_days)
    assert len({(line.item_id, line.window_start) for line in merged}) == len(merged)
    for plan_line in merged:
        assert plan_line.quantity == sum(source.quantity for source in plan_line.sources)
        assert all(source.item_id == plan_line.item_id for source in plan_line.sources)
        assert all(window_of(source.needed_by, START, window_days) == plan_line.window_start
                   for source in plan_line.sources)
        assert plan_line.delivery_date == min(source.needed_by for source in plan_line.sources)
        assert plan_line.window_start <= plan_line.delivery_date < plan_line.window_start + timedelta(days=window_days)


@given(lines=demand_lines().filter(bool))
def test_a_line_given_twice_is_refused_rather_than_counted_twice(lines):
    with pytest.raises(ValueError):
        merge(lines + [lines[0]], START, 7)


def test_weekly_windows_start_on_the_plans_first_day():
    assert window_of(date(2026, 3, 8), START, 7) == START
    assert window_of(date(2026, 3, 9), START, 7) == date(2026, 3, 9)


@given(lines=demand_lines(), window_days=st.integers(min_value=1, max_value=14))
def test_merging_the_stored_thousandths_gives_the_plan_merging_decimals_gives(lines, window_days):
    # consolidate merges the quantities as the database stores them (Quantity: integer thousandths)
    stored = [(line.line_id, line.item_id, line.demand_point_id, int(line.quantity.scaleb(3)), line.needed_by)
              for line in lines]
    in_decimals = merge(lines, START, window_days)
    in_thousandths = merge(stored, START, window_days)
    assert [(line.item_id, line.window_start, line.delivery_date, line.quantity.scaleb(3),
             [source[0] for source in line.sources]) for line in in_decimals] == \
           [(line.item_id, line.window_start, line.delivery_date, line.quantity,
             [source[0] for source in line.sources]) for line in in_thousandths]
    assert all(type(line.quantity) is int for line in in_thousandths)
