"""shared.http.ServiceClient against a real local HTTP server: correlation ids, retries, timeouts."""
import json
import threading
import time
import uuid
from collections import Counter

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shared.http import ServiceClient
from shared.logging import CORRELATION_HEADER, correlation_id

SLOW_SECONDS = 1.5


class Recorder:
    def __init__(self):
        self.attempts = Counter()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        run = request.args.get("run", "")
        with self.lock:
            self.attempts[(request.path, run)] += 1
            attempt = self.attempts[(request.path, run)]
        if request.path == "/echo":
            response = Response(json.dumps({"correlation_id": request.headers.get(CORRELATION_HEADER),
                                            "authorization": request.headers.get("Authorization"),
                                            "method": request.method}), mimetype="application/json")
        elif request.path == "/unavailable":
            response = Response("down", status=503)
        elif request.path == "/unavailable-retry-after":
            response = Response("down", status=503, headers={"Retry-After": "2"})
        elif request.path == "/flaky":
            response = Response("ok" if attempt > 1 else "down", status=200 if attempt > 1 else 503)
        elif request.path == "/slow":
            time.sleep(SLOW_SECONDS)
            response = Response("late")
        else:
            response = Response("no", status=404)
        return response(environ, start_response)


@pytest.fixture(scope="module")
def server():
    recorder = Recorder()
    httpd = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", recorder
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def run():
    return uuid.uuid4().hex


@pytest.fixture
def with_correlation_id():
    token = correlation_id.set("corr-1234")
    yield "corr-1234"
    correlation_id.reset(token)


def test_the_client_sends_the_current_correlation_id(server, with_correlation_id):
    url, _ = server
    assert ServiceClient(url).get("/echo").json()["correlation_id"] == with_correlation_id
    assert ServiceClient(url).post("/echo", json={}).json()["correlation_id"] == with_correlation_id


def test_the_client_sends_no_correlation_id_when_there_is_none(server):
    url, _ = server
    token = correlation_id.set(None)
    try:
        assert ServiceClient(url).get("/echo").json()["correlation_id"] is None
    finally:
        correlation_id.reset(token)


def test_an_explicit_correlation_header_is_kept(server, with_correlation_id):
    url, _ = server
    response = ServiceClient(url).get("/echo", headers={CORRELATION_HEADER: "explicit"})
    assert response.json()["correlation_id"] == "explicit"


def test_the_client_sends_its_bearer_token(server):
    url, _ = server
    assert ServiceClient(url + "/", token="tok").get("/echo").json()["authorization"] == "Bearer tok"


def test_a_get_answered_503_is_retried_three_times_then_the_503_is_returned(server, run):
    url, recorder = server
    response = ServiceClient(url).get(f"/unavailable?run={run}")
    assert response.status_code == 503
    assert recorder.attempts[("/unavailable", run)] == 4


def test_a_get_that_recovers_on_retry_succeeds(server, run):
    url, recorder = server
    response = ServiceClient(url).get(f"/flaky?run={run}")
    assert (response.status_code, response.text) == (200, "ok")
    assert recorder.attempts[("/flaky", run)] == 2


def test_a_post_answered_503_is_never_retried(server, run):
    url, recorder = server
    response = ServiceClient(url).post(f"/unavailable?run={run}", json={"a": 1})
    assert response.status_code == 503
    assert recorder.attempts[("/unavailable", run)] == 1


def test_a_post_to_a_slow_service_times_out_within_the_timeout_and_is_not_repeated(server, run):
    url, recorder = server
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        ServiceClient(url, timeout=0.3).post(f"/slow?run={run}", json={})
    assert time.monotonic() - started < 0.3 + 0.5
    assert recorder.attempts[("/slow", run)] == 1


def test_a_get_to_a_slow_service_fails_after_each_attempt_timed_out(server, run):
    url, recorder = server
    started = time.monotonic()
    with pytest.raises(requests.exceptions.RequestException):
        ServiceClient(url, timeout=0.2, retries=1).get(f"/slow?run={run}")
    assert time.monotonic() - started < 2 * 0.2 + 0.5
    assert recorder.attempts[("/slow", run)] == 2


def test_an_explicit_timeout_overrides_the_client_default(server, run):
    url, _ = server
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        ServiceClient(url, timeout=30).post(f"/slow?run={run}", timeout=0.2)
    assert time.monotonic() - started < 0.7


def test_a_503_with_a_retry_after_header_does_not_hold_the_caller_past_its_timeouts(server, run):
    """urllib3 sleeps for Retry-After (up to six hours) before each retry unless told not to: a
    busy service answering 503 + Retry-After: 2 would hold this call for six seconds, a gateway
    answering Retry-After: 120 for six minutes, whatever the client's timeout."""
    url, recorder = server
    started = time.monotonic()
    response = ServiceClient(url, timeout=0.5).get(f"/unavailable-retry-after?run={run}")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 2.5, f"held for {elapsed:.1f}s"
