"""The event contract of DESIGN.md §3: every event has a payload schema in its producer's
`events` module and a handler in each consumer; samples survive the trip through JSON."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import marshmallow as ma
import pytest

from services.worker import SPECS
from shared.events import CATALOGUE, PAYLOAD_SCHEMAS
from shared.fields import ExactDecimal

# Consumers still being built: each entry leaves this set when its handler lands.
NOT_YET_HANDLED: set[tuple[str, str]] = set()


def sample(schema: ma.Schema) -> dict:
    """A valid payload built from the schema's own field types."""
    values = {}
    for name, field in schema.fields.items():
        if isinstance(field, ma.fields.Nested):
            values[name] = [sample(field.schema)] if field.many else sample(field.schema)
        elif isinstance(field, ma.fields.List):
            inner = field.inner
            values[name] = [sample(inner.schema)] if isinstance(inner, ma.fields.Nested) else [
                _scalar(inner, name)]
        else:
            values[name] = _scalar(field, name)
    return values


def _scalar(field, name):
    if isinstance(field, ExactDecimal):
        return Decimal("12.5")
    if isinstance(field, ma.fields.AwareDateTime):
        return datetime(2026, 11, 26, 8, 30, tzinfo=timezone.utc)
    if isinstance(field, ma.fields.Date):
        return date(2026, 11, 30)
    if isinstance(field, ma.fields.Integer):
        return 7
    if isinstance(field, ma.fields.Email):
        return "sales@example.cn"
    choices = getattr(getattr(field, "validate", None), "choices", None)
    for validator in field.validators:
        choices = getattr(validator, "choices", choices)
    return next(iter(choices)) if choices else f"{name} 样例"


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_every_event_has_a_payload_schema_in_its_producers_events_module(event_type):
    producer, _ = CATALOGUE[event_type]
    assert PAYLOAD_SCHEMAS[event_type].__module__ == f"services.{producer}.events"


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_a_sample_payload_survives_json_and_loads_for_the_consumer(event_type):
    schema = PAYLOAD_SCHEMAS[event_type]()
    wire = json.loads(json.dumps(schema.dump(sample(schema))))
    loaded = schema.load(wire)
    assert schema.dump(loaded) == wire


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_a_payload_missing_a_required_field_is_refused(event_type):
    schema = PAYLOAD_SCHEMAS[event_type]()
    required = [name for name, field in schema.fields.items() if field.required]
    wire = schema.dump(sample(schema))
    del wire[required[0]]
    with pytest.raises(ma.ValidationError) as refused:
        schema.load(wire)
    assert required[0] in refused.value.messages


def test_each_consumer_handles_exactly_the_events_the_catalogue_sends_it():
    expected = {(event, consumer) for event, (_, consumers) in CATALOGUE.items() for consumer in consumers}
    handled = {(event, name) for name, spec in SPECS.items() for event in spec.consumer.handlers}
    assert handled <= expected, "a handler for an event the catalogue does not send to that service"
    assert expected - handled == NOT_YET_HANDLED
