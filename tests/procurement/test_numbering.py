"""Order numbers under real concurrency: committed transactions on a database of their own."""
from concurrent.futures import ThreadPoolExecutor

from services.procurement import SPEC
from services.procurement.models import School
from services.procurement.orders import next_number
from shared.config import Settings
from shared.migrations import upgrade


def test_concurrent_transactions_get_distinct_gapless_order_numbers(database_server):
    url = database_server.create("numbering")
    upgrade(SPEC.migrations_dir, url)
    database = SPEC.open_database(Settings(env="test"), url=url)
    try:
        with database.unit_of_work() as uow:
            school = School(name="并发学校")
            uow.session.add(school)
            uow.commit()

        def take(_):
            with database.unit_of_work() as uow:
                number = next_number(uow.session, school.id, 2026)
                uow.commit()
            return number

        with ThreadPoolExecutor(max_workers=6) as pool:
            numbers = list(pool.map(take, range(60)))
        assert sorted(numbers) == [f"PO-2026-{n:06d}" for n in range(1, 61)]
        with database.unit_of_work() as uow:
            assert next_number(uow.session, school.id, 2027) == "PO-2027-000001"
    finally:
        database.dispose()
