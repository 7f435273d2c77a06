"""shared.broker: the embedded fsqueue transport, used through kombu directly.

A taken message is held under the taking process's id until acked; messages held by a
process that died go back to the queue; half-written files are never read.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import kombu
import pytest

import shared.broker  # noqa: F401  (registers the fsqueue transport)
from shared.broker import transport_options
from tests.support import REPO


class Endpoint:
    """One connection to the folder: publish to and take from named queues."""

    def __init__(self, folder: Path):
        self.connection = kombu.Connection("fsqueue://localhost/", transport_options=transport_options(folder))
        self.channel = self.connection.channel()
        self.producer = kombu.Producer(self.channel)

    def publish(self, payload, queue="q"):
        self.producer.publish(payload, exchange="", routing_key=queue, serializer="json")

    def take(self, queue="q"):
        return kombu.Queue(queue, routing_key=queue)(self.channel).get(no_ack=False)

    def close(self):
        self.connection.release()


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "broker"


@pytest.fixture
def endpoints(folder):
    opened = []

    def make():
        endpoint = Endpoint(folder)
        opened.append(endpoint)
        return endpoint

    yield make
    for endpoint in opened:
        endpoint.close()


def files(folder, sub):
    return sorted(p.name for p in (folder / sub).iterdir())


def test_a_published_message_is_taken_by_one_consumer_only(endpoints):
    producer, first, second = endpoints(), endpoints(), endpoints()
    producer.publish({"event": "po.sent", "n": 1})
    message = first.take()
    assert message.payload == {"event": "po.sent", "n": 1}
    assert second.take() is None
    message.ack()
    assert second.take() is None
    assert first.take() is None


def test_an_acked_message_is_gone_for_good(endpoints, folder):
    endpoint = endpoints()
    endpoint.publish({"n": 1})
    endpoint.take().ack()
    assert files(folder, "queue") == []
    assert files(folder, "unacked") == []
    later = endpoints()
    assert later.channel.recover_orphans() == 0
    assert later.take() is None


def test_a_taken_message_is_held_under_the_taking_process_until_acked(endpoints, folder):
    endpoint = endpoints()
    endpoint.publish({"n": 1})
    message = endpoint.take()
    [held] = files(folder, "unacked")
    assert held.startswith(f"{os.getpid()}~") and held.endswith(".q.msg")
    assert files(folder, "queue") == []
    message.ack()
    assert files(folder, "unacked") == []


def test_a_message_held_by_a_living_process_is_not_taken_back(endpoints, folder):
    holder, other = endpoints(), endpoints()
    holder.publish({"n": 1})
    message = holder.take()
    assert other.channel.recover_orphans() == 0
    assert other.take() is None
    message.ack()


CHILD = """
import json, os, signal, sys
import kombu
import shared.broker
connection = kombu.Connection("fsqueue://localhost/", transport_options=shared.broker.transport_options(sys.argv[1]))
channel = connection.channel()
message = kombu.Queue("q", routing_key="q")(channel).get(no_ack=False)
print(json.dumps(message.payload), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # die holding the message, without ack and without cleanup
"""


def test_a_message_taken_by_a_process_that_died_without_acking_returns_to_the_queue(endpoints, folder):
    survivor = endpoints()  # opened first: its own start-up recovery has already run
    survivor.publish({"event": "goods.received", "lot": "A-17"})
    child = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=REPO, capture_output=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert json.loads(child.stdout) == {"event": "goods.received", "lot": "A-17"}
    [held] = files(folder, "unacked")
    assert held.split("~")[0] != str(os.getpid())
    assert files(folder, "queue") == []  # held, not visible to takers until recovered

    assert survivor.channel.recover_orphans() == 1
    assert files(folder, "unacked") == []
    message = survivor.take()
    assert message.payload == {"event": "goods.received", "lot": "A-17"}
    message.ack()
    assert survivor.take() is None
    assert files(folder, "queue") == files(folder, "unacked") == []


def test_a_new_connection_recovers_messages_of_dead_processes_on_its_own(endpoints, folder):
    endpoints().publish({"n": 7})
    child = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=REPO, capture_output=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert endpoints().take().payload == {"n": 7}


def test_a_message_not_acked_when_its_connection_closes_is_delivered_again(folder, endpoints):
    leaving = Endpoint(folder)
    leaving.publish({"n": 1})
    assert leaving.take().payload == {"n": 1}
    leaving.close()
    assert files(folder, "unacked") == []
    again = endpoints().take()
    assert again.payload == {"n": 1}
    again.ack()
    assert files(folder, "queue") == files(folder, "unacked") == []


def test_a_rejected_message_is_requeued_only_when_asked(endpoints, folder):
    endpoint = endpoints()
    endpoint.publish({"n": 1})
    endpoint.take().reject(requeue=True)
    message = endpoint.take()
    assert message.payload == {"n": 1}
    message.reject(requeue=False)
    assert endpoint.take() is None
    assert files(folder, "queue") == files(folder, "unacked") == []


@pytest.mark.parametrize("name", ["000000000000001_half.q.partial", "000000000000001_half.q.msg.partial"])
def test_a_partial_file_is_never_read_as_a_message(endpoints, folder, name):
    endpoint = endpoints()
    (folder / "queue" / name).write_bytes(b'{"body": "trunc')
    assert endpoint.take() is None
    endpoint.publish({"n": 1})
    message = endpoint.take()
    assert message.payload == {"n": 1}
    message.ack()
    assert endpoint.take() is None
    assert files(folder, "queue") == [name]


def test_publishing_leaves_no_partial_file_behind(endpoints, folder):
    endpoint = endpoints()
    for n in range(20):
        endpoint.publish({"n": n})
    names = files(folder, "queue")
    assert len(names) == 20 and all(name.endswith(".q.msg") for name in names)
    for name in names:
        json.loads((folder / "queue" / name).read_bytes())


def test_a_queue_takes_only_its_own_messages_even_when_another_name_ends_like_it(endpoints):
    endpoint = endpoints()
    endpoint.publish({"for": "a.q"}, queue="a.q")
    endpoint.publish({"for": "aq"}, queue="aq")
    assert endpoint.take("q") is None
    assert endpoint.take("a.q").payload == {"for": "a.q"}
    assert endpoint.take("aq").payload == {"for": "aq"}


def test_messages_published_one_after_another_are_taken_oldest_first(endpoints):
    endpoint = endpoints()
    for n in range(5):
        endpoint.publish({"n": n})
        time.sleep(0.003)
    taken = []
    while (message := endpoint.take()) is not None:
        taken.append(message.payload["n"])
        message.ack()
    assert taken == [0, 1, 2, 3, 4]


def test_an_unreachable_broker_folder_is_a_lost_connection_a_worker_retries_not_an_unrecoverable_error(
        endpoints, folder):
    endpoint = endpoints()
    endpoint.publish({"n": 1})
    os.rename(folder / "queue", folder / "queue-away")
    (folder / "queue").write_bytes(b"")  # a file where the queue folder was
    with pytest.raises(OSError) as raised:
        endpoint.take()
    # Celery's consumer restarts and reconnects on exactly these errors; anything else stops the worker
    assert isinstance(raised.value, endpoint.connection.connection_errors)
    (folder / "queue").unlink()
    os.rename(folder / "queue-away", folder / "queue")
    assert endpoint.take().payload == {"n": 1}
