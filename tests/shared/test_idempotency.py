"""shared.idempotency: a POST retried with the same Idempotency-Key gets the first answer."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from shared.db import utcnow
from shared.idempotency import CLAIM_TIMEOUT
from tests.shared.miniapp import IdempotencyKey, bearer, claim_count, document_count, make_app

BUYER = bearer("7", ttl=24 * 3600)  # made at import: valid however long the run
OTHER_BUYER = bearer("8", ttl=24 * 3600)


@pytest.fixture
def app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'idempotency.db'}")
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, body, key=None, headers=BUYER):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/documents", json=body, headers={**headers, **extra})


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing(app, client):
    first = post(client, {"title": "rice"}, key="k-1")
    second = post(client, {"title": "rice"}, key="k-1")
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json() == {"id": 1, "title": "rice"}
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.mimetype == "application/json"
    assert document_count(app) == 1
    assert app.config["CALLS"] == 1


def test_the_stored_answer_records_its_status_and_time(app, client):
    post(client, {"title": "rice"}, key="k-1")
    with app.extensions["database"].unit_of_work() as uow:
        claim = uow.session.scalar(select(IdempotencyKey))
    assert (claim.owner, claim.key, claim.status_code) == ("staff:7", "k-1", 201)
    assert claim.created_at.utcoffset() == timedelta(0)
    assert claim.response_body and claim.response_type == "application/json"


def test_the_same_key_with_a_different_body_is_refused_naming_the_header(app, client):
    post(client, {"title": "rice"}, key="k-1")
    response = post(client, {"title": "flour"}, key="k-1")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["Idempotency-Key"]
    assert document_count(app) == 1


def test_without_a_key_every_post_creates(app, client):
    assert post(client, {"title": "rice"}).status_code == 201
    assert post(client, {"title": "rice"}).status_code == 201
    assert document_count(app) == 2
    assert claim_count(app) == 0


def test_keys_belong_to_their_caller_so_two_users_may_use_the_same_key(app, client):
    mine = post(client, {"title": "rice"}, key="k-1")
    theirs = post(client, {"title": "rice"}, key="k-1", headers=OTHER_BUYER)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert document_count(app) == 2


def test_different_keys_are_different_requests(app, client):
    post(client, {"title": "rice"}, key="k-1")
    post(client, {"title": "rice"}, key="k-2")
    assert document_count(app) == 2


@pytest.mark.parametrize("failure", ["return-409", "raise-conflict"])
def test_a_failed_request_releases_its_key_so_the_retry_runs(app, client, failure):
    app.config["BEHAVIOUR"]["fail"] = failure
    failed = post(client, {"title": "rice"}, key="k-1")
    assert failed.status_code == 409
    assert claim_count(app) == 0
    app.config["BEHAVIOUR"]["fail"] = None
    retried = post(client, {"title": "rice"}, key="k-1")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert post(client, {"title": "rice"}, key="k-1").headers["Idempotent-Replayed"] == "true"
    assert document_count(app) == 1


def test_a_view_that_crashes_releases_its_key(app, client):
    app.config["BEHAVIOUR"]["fail"] = "raise-bug"
    with pytest.raises(RuntimeError):  # app.testing propagates unhandled errors
        post(client, {"title": "rice"}, key="k-1")
    assert claim_count(app) == 0
    app.config["BEHAVIOUR"]["fail"] = None
    assert post(client, {"title": "rice"}, key="k-1").status_code == 201


def test_a_request_whose_key_is_still_being_processed_gets_409(app, client):
    assert post(client, {"title": "rice"}, key="k-1").status_code == 201
    with app.extensions["database"].unit_of_work() as uow:  # make it look unfinished again
        claim = uow.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "k-1"))
        claim.status_code = claim.response_body = None
        uow.commit()
    in_flight = post(client, {"title": "rice"}, key="k-1")
    assert in_flight.status_code == 409
    assert in_flight.mimetype == "application/problem+json"
    assert post(client, {"title": "flour"}, key="k-1").status_code == 422
    assert document_count(app) == 1
    assert app.config["CALLS"] == 1


def test_a_replay_lost_the_location_and_etag_of_the_first_answer(app, client):
    first = post(client, {"title": "rice"}, key="k-1")
    replay = post(client, {"title": "rice"}, key="k-1")
    assert (first.headers["Location"], first.headers["ETag"]) == ("/documents/1", '"1"')
    assert (replay.headers["Location"], replay.headers["ETag"]) == (first.headers["Location"], first.headers["ETag"])


def _abandon_claim(app, client, key, age):
    """What a process that died mid-request leaves behind: a claim without an answer, `age` old."""
    post(client, {"title": "rice"}, key=key)
    with app.extensions["database"].unit_of_work() as uow:
        claim = uow.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
        claim.status_code = claim.response_body = claim.response_headers = None
        claim.created_at = utcnow() - age
        uow.commit()


def test_a_claim_abandoned_by_a_dead_process_never_expired(app, client):
    _abandon_claim(app, client, "k-dead", CLAIM_TIMEOUT + timedelta(seconds=1))
    calls = app.config["CALLS"]
    taken_over = post(client, {"title": "rice"}, key="k-dead")
    assert taken_over.status_code == 201
    assert app.config["CALLS"] == calls + 1
    replay = post(client, {"title": "rice"}, key="k-dead")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == taken_over.get_json()


def test_a_claim_younger_than_the_timeout_is_still_in_flight(app, client):
    _abandon_claim(app, client, "k-busy", CLAIM_TIMEOUT - timedelta(seconds=5))
    assert post(client, {"title": "rice"}, key="k-busy").status_code == 409


def test_an_abandoned_claim_is_not_taken_over_by_a_different_request(app, client):
    _abandon_claim(app, client, "k-dead", CLAIM_TIMEOUT + timedelta(seconds=1))
    assert post(client, {"title": "flour"}, key="k-dead").status_code == 422


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_a_malformed_key_is_refused_before_anything_runs(app, client, key):
    response = post(client, {"title": "rice"}, key=key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert app.config["CALLS"] == 0
    assert claim_count(app) == 0


def test_a_key_of_two_hundred_characters_is_accepted(app, client):
    assert post(client, {"title": "rice"}, key="k" * 200).status_code == 201


def test_an_unauthenticated_request_with_a_key_claims_nothing(app, client):
    response = client.post("/documents", json={"title": "rice"}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 401
    assert claim_count(app) == 0


def test_eight_concurrent_duplicates_with_one_key_create_exactly_one_document(app):
    app.config["BEHAVIOUR"]["delay"] = 0.2
    barrier = threading.Barrier(8)
    responses = [None] * 8

    def send(index):
        client = app.test_client()
        barrier.wait()
        responses[index] = post(client, {"title": "rice"}, key="same-key")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(response is not None for response in responses)
    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert all(r.get_json() == originals[0].get_json() for r in responses if r.status_code == 201)
    assert document_count(app) == 1
    assert app.config["CALLS"] == 1
    app.config["BEHAVIOUR"]["delay"] = 0.0
    assert post(app.test_client(), {"title": "rice"}, key="same-key").headers["Idempotent-Replayed"] == "true"
