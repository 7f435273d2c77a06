"""shared.db.Database and UnitOfWork: one transaction, rolled back unless committed; side effects after commit."""
import threading
import time

import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Database, declarative_base

Base = declarative_base()


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(40))


@pytest.fixture
def published():
    return []


@pytest.fixture
def database(tmp_path, published):
    database = Database("procurement", f"sqlite:///{tmp_path / 'nested' / 'uow.db'}", after_commit=published.extend)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def count(database) -> int:
    with database.unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Note))


def test_a_sqlite_database_folder_is_created_on_first_use(database, tmp_path):
    assert (tmp_path / "nested" / "uow.db").exists()


def test_what_is_not_committed_is_rolled_back(database):
    with database.unit_of_work() as uow:
        uow.session.add(Note(text="draft"))
        uow.session.flush()
    assert count(database) == 0


def test_a_committed_change_stays_and_its_objects_remain_readable_afterwards(database):
    with database.unit_of_work() as uow:
        note = Note(text="kept")
        uow.session.add(note)
        uow.commit()
    assert (note.id, note.text) == (1, "kept")  # no DetachedInstanceError, no expired attributes
    assert count(database) == 1


def test_the_session_carries_the_service_information(database):
    with database.unit_of_work() as uow:
        assert uow.session.info["service"] == "procurement"


def test_events_are_handed_over_once_and_only_after_commit(database, published):
    with database.unit_of_work() as uow:
        uow.session.add(Note(text="x"))
        uow.session.info.setdefault("pending_events", []).append("event-1")
        assert published == []
        uow.commit()
        assert published == ["event-1"]
        uow.session.add(Note(text="y"))
        uow.commit()  # nothing new to publish
    assert published == ["event-1"]


def test_events_of_a_unit_of_work_that_was_not_committed_are_never_handed_over(database, published):
    with database.unit_of_work() as uow:
        uow.session.info.setdefault("pending_events", []).append("event-lost")
    with database.unit_of_work() as uow:
        uow.session.add(Note(text="x"))
        uow.commit()
    assert published == []


def test_a_failing_publish_after_commit_neither_undoes_nor_fails_the_commit(tmp_path):
    def broken(_ids):
        raise ConnectionError("broker down")

    database = Database("procurement", f"sqlite:///{tmp_path / 'broken.db'}", after_commit=broken)
    Base.metadata.create_all(database.engine)
    with database.unit_of_work() as uow:
        uow.session.add(Note(text="safe"))
        uow.session.info.setdefault("pending_events", []).append("event-1")
        uow.commit()
    assert count(database) == 1
    database.dispose()


def test_a_read_only_unit_of_work_reads_while_a_writer_holds_the_lock(database):
    with database.unit_of_work() as writer:
        writer.session.add(Note(text="uncommitted"))
        writer.session.flush()  # the writer holds SQLite's write lock from BEGIN IMMEDIATE
        started = time.monotonic()
        assert count(database) == 0  # sees the last committed state, without waiting
        assert time.monotonic() - started < 1
        writer.commit()
    assert count(database) == 1


def test_a_writing_unit_of_work_that_reads_first_sees_the_writes_committed_before_it_could_begin(database):
    """Check-then-write rules ("stock never negative") rely on this: BEGIN IMMEDIATE makes the
    second writer wait before its first read, instead of reading a stale snapshot and failing
    (or deciding wrongly) when it comes to write."""
    seen = []
    first_has_lock = threading.Event()

    def second_writer():
        first_has_lock.wait()
        with database.unit_of_work() as uow:
            seen.append(uow.session.scalar(select(func.count()).select_from(Note)))
            uow.session.add(Note(text="second"))
            uow.commit()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with database.unit_of_work() as first:
        first.session.add(Note(text="first"))
        first.session.flush()
        first_has_lock.set()
        time.sleep(0.3)
        first.commit()
    thread.join(timeout=10)
    assert seen == [1]
    assert count(database) == 2
