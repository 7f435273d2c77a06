"""shared.logging: JSON lines with the correlation id; services echo X-Correlation-ID."""
import io
import json
import logging
import re

import pytest

from shared.logging import CORRELATION_HEADER, JsonFormatter, correlation_id, new_correlation_id


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.shared.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_on_one_line_with_the_correlation_id(captured):
    logger, stream = captured
    token = correlation_id.set("abc123")
    try:
        logger.info("received %s bags of 大米", 40)
        logger.warning("second")
    finally:
        correlation_id.reset(token)
    first, second = lines(stream)
    assert first["message"] == "received 40 bags of 大米"
    assert (first["level"], first["logger"], first["correlation_id"]) == ("INFO", "tests.shared.logging", "abc123")
    assert second["level"] == "WARNING"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", first["time"])


def test_a_multi_line_message_and_its_traceback_stay_on_one_line(captured):
    logger, stream = captured
    token = correlation_id.set(None)
    try:
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logger.exception("first line\nsecond line")
    finally:
        correlation_id.reset(token)
    assert len(stream.getvalue().splitlines()) == 1
    [record] = lines(stream)
    assert record["message"] == "first line\nsecond line"
    assert "ValueError: bad\nvalue" in record["exception"]
    assert record["correlation_id"] is None


def test_a_new_correlation_id_is_a_fresh_hex_token():
    first, second = new_correlation_id(), new_correlation_id()
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_a_service_echoes_the_callers_correlation_id(procurement):
    response = procurement.get("/healthz", headers={CORRELATION_HEADER: "from-the-gateway-42"})
    assert response.status_code == 200
    assert response.headers[CORRELATION_HEADER] == "from-the-gateway-42"


def test_a_service_makes_up_a_correlation_id_when_none_is_given(procurement):
    first = procurement.get("/healthz").headers[CORRELATION_HEADER]
    second = procurement.get("/healthz").headers[CORRELATION_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize("incoming", ["tab\tinside", "\x7f", "bell\x07"])
def test_an_unprintable_correlation_id_is_replaced(procurement, incoming):
    response = procurement.get("/healthz", headers={CORRELATION_HEADER: incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers[CORRELATION_HEADER])


def test_a_huge_correlation_id_is_cut_to_sixty_four_characters(procurement):
    response = procurement.get("/healthz", headers={CORRELATION_HEADER: "x" * 5000})
    assert response.headers[CORRELATION_HEADER] == "x" * 64


def test_an_error_answer_carries_the_same_correlation_id_in_its_body_and_header(procurement):
    response = procurement.get("/api/supplier-invitations", headers={CORRELATION_HEADER: "corr-401"})
    assert response.status_code == 401
    assert response.headers[CORRELATION_HEADER] == "corr-401"
    assert response.get_json()["correlation_id"] == "corr-401"


def test_the_correlation_id_does_not_leak_past_the_request(procurement):
    token = correlation_id.set("before-the-request")
    try:
        procurement.get("/healthz", headers={CORRELATION_HEADER: "leaky"})
        assert correlation_id.get() == "before-the-request"
    finally:
        correlation_id.reset(token)
