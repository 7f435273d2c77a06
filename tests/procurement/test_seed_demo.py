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


def test_the_demo_dishes_load_with_their_ingredients_per_serving_in_base_units(databases, school):
    from decimal import Decimal

    from services.procurement.cli import DEMO_DISHES, seed_dishes
    from services.procurement.models import Dish
    admin = Principal("seed", frozenset({"admin"}), school_id=school.id)
    with databases["procurement"].unit_of_work() as uow:
        seed_catalogue(uow.session, admin, date(2026, 1, 1))
        assert seed_dishes(uow.session, admin) == len(DEMO_DISHES)
        uow.commit()
        dish = uow.session.scalar(select(Dish).where(Dish.name == "土豆烧肉"))
        per_serving = {ingredient.item.code: ingredient.per_serving for ingredient in dish.ingredients}
        assert per_serving == {"VEG-TD": Decimal("0.120"), "MEAT-PORK": Decimal("0.060"),
                               "OIL-SOY5": Decimal("0.012"), "SEA-SALT": Decimal("0.003")}
