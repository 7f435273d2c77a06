from datetime import date

from sqlalchemy import func, select

from services.procurement.cli import DEMO_ITEMS, seed_catalogue
from services.procurement.models import Item, ReferencePrice
from shared.auth import Principal


def test_the_demo_catalogue_loads_with_a_reference_price_per_item(databases, school):
    with databases["procurement"].unit_of_work() as uow:
        count = seed_catalogue(uow.session, Principal("seed", frozenset({"admin"}), school_id=school.id),
                               date(2026, 1, 1))
        uow.commit()
        assert count == len(DEMO_ITEMS) >= 60
        assert uow.session.scalar(select(func.count()).select_from(ReferencePrice)) == count
        categories = set(uow.session.scalars(select(Item.category).distinct()))
        assert categories == {"rice", "flour", "cooking_oil", "coal", "vegetables", "meat_eggs", "seasonings",
                              "store_goods"}
        chips = uow.session.scalar(select(Item).where(Item.code == "STO-CHIPS"))
        assert chips.restricted_food and chips.name_zh == "薯片"
