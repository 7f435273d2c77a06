"""shared.events.Publisher: the after-commit publish runs on a background thread of each process."""
import os
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from services.procurement.models import Base as ProcurementBase
from services.procurement.models import Outbox
from shared.db import Database
from shared.events import Publisher, Relay, emit
from tests.support import wait_for


class RecordingRelay:
    """Stands in for Relay: records each batch and the thread that published it."""

    def __init__(self, fail_first: bool = False, hold: threading.Event | None = None):
        self.database = Database.__new__(Database)
        self.database.service = "procurement"
        self.batches: list[list[str]] = []
        self.threads: set[int] = set()
        self.fail_first = fail_first
        self.hold = hold
        self.started = threading.Event()

    def publish(self, ids):
        self.started.set()
        if self.hold is not None:
            self.hold.wait(10)
        self.threads.add(threading.get_ident())
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("broker down")
        self.batches.append(list(ids))
        return len(ids)


def test_submitted_events_are_published_by_a_background_thread_not_the_caller():
    relay = RecordingRelay()
    publisher = Publisher(relay)
    publisher(["e1"])
    wait_for(lambda: relay.batches == [["e1"]], timeout=5, message="the background publish")
    assert threading.get_ident() not in relay.threads
    publisher.stop()


def test_events_committed_within_the_linger_go_out_in_one_publish():
    relay = RecordingRelay()
    publisher = Publisher(relay, linger=0.5)
    publisher.submit(["e1"])
    publisher.submit(["e2", "e3"])
    wait_for(lambda: relay.batches, timeout=5, message="the publish")
    publisher.stop()
    assert relay.batches == [["e1", "e2", "e3"]]


def test_events_committed_while_a_publish_runs_go_out_together_in_the_next_one():
    hold = threading.Event()
    relay = RecordingRelay(hold=hold)
    publisher = Publisher(relay)
    publisher.submit(["e1"])
    assert relay.started.wait(5)
    for name in ("e2", "e3", "e4"):
        publisher.submit([name])
    hold.set()
    wait_for(lambda: len(relay.batches) == 2, timeout=5, message="two publishes")
    assert relay.batches == [["e1"], ["e2", "e3", "e4"]]
    publisher.stop()


def test_stopping_publishes_what_is_queued_before_the_thread_ends():
    hold = threading.Event()
    relay = RecordingRelay(hold=hold)
    publisher = Publisher(relay)
    publisher.submit(["e1"])
    assert relay.started.wait(5)
    publisher.submit(["e2"])
    hold.set()
    publisher.stop()
    assert relay.batches == [["e1"], ["e2"]]
    assert not publisher._thread.is_alive()


def test_a_failed_publish_does_not_end_the_thread():
    relay = RecordingRelay(fail_first=True)
    publisher = Publisher(relay)
    publisher.submit(["lost-to-the-sweep"])
    wait_for(lambda: not relay.fail_first, timeout=5, message="the failed publish")
    publisher.submit(["later"])
    wait_for(lambda: ["later"] in relay.batches, timeout=5, message="the publish after a failure")
    publisher.stop()


def test_a_forked_process_starts_its_own_publisher_thread():
    relay = RecordingRelay()
    publisher = Publisher(relay)
    publisher.submit(["parent"])
    wait_for(lambda: relay.batches == [["parent"]], timeout=5, message="the parent's publish")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread does not exist here
        os.close(read)
        relay.batches.clear()
        publisher.submit(["child"])
        publisher.stop()
        os.write(write, repr(relay.batches).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        assert pipe.read() == "[['child']]"
    os.waitpid(pid, 0)
    assert relay.batches == [["parent"]]
    publisher.stop()


@pytest.fixture
def outbox_database(tmp_path):
    database = Database("procurement", f"sqlite:///{tmp_path / 'outbox.db'}",
                        session_info={"outbox_model": Outbox})
    ProcurementBase.metadata.create_all(database.engine, tables=[Outbox.__table__])
    yield database
    database.dispose()


def invite(database, name: str) -> str:
    with database.unit_of_work() as uow:
        envelope = emit(uow.session, "supplier.invited", {
            "invitation_id": 1, "school_id": 1, "company_name": name, "contact_email": "a@example.cn",
            "categories": ["vegetables"]})
        uow.commit()
    return envelope["id"]


def published_at(database, event_id: str):
    with database.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(Outbox.published_at).where(Outbox.id == event_id))


def test_a_committed_event_is_sent_and_marked_published_after_the_request_returns(outbox_database):
    sent = []

    @contextmanager
    def open_sender():
        yield lambda task, envelope, queue: sent.append((task, envelope["id"], queue))

    outbox_database.after_commit = publisher = Publisher(Relay(outbox_database, Outbox, open_sender))
    event_id = invite(outbox_database, "鲁粮")
    wait_for(lambda: published_at(outbox_database, event_id) is not None, timeout=5, message="the published mark")
    assert sent == [("supplier_portal.handle_event", event_id, "supplier_portal")]
    publisher.stop()


def test_an_event_the_broker_refused_stays_pending_for_the_sweep(outbox_database):
    attempts = []

    @contextmanager
    def open_sender():
        attempts.append(1)
        raise ConnectionError("broker down")
        yield

    outbox_database.after_commit = publisher = Publisher(Relay(outbox_database, Outbox, open_sender))
    event_id = invite(outbox_database, "鲁粮")
    publisher.stop()  # returns once the queued publish has been tried
    assert attempts == [1]
    assert published_at(outbox_database, event_id) is None
