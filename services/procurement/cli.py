"""`flask --app services.procurement seed-demo`: the demo school, its staff, demand points,
catalogue with reference prices, dishes for menus, and a supplier invitation (each part idempotent)."""
from datetime import date
from decimal import Decimal

import click
from flask import current_app
from sqlalchemy import select

from shared.auth import Principal

from .accounts import create_staff_user
from .catalogue import add_reference_price, create_item, set_price_rule
from .demand import ensure_demand_points
from .demo_catalogue import DEMO_ITEMS
from .invitations import invite_supplier
from .menus import create_dish
from .models import BULK_CATEGORIES, Dish, Item, School, StaffUser

DEMO_PASSWORD = "demo-password"
DEMO_STAFF = [
    ("manager1", "一食堂管理员 王敏", ["canteen_manager"], "DH1"),
    ("manager2", "二食堂管理员 李强", ["canteen_manager"], "DH2"),
    ("manager3", "三食堂管理员 张丽", ["canteen_manager"], "DH3"),
    ("keeper", "库管员 刘洋", ["storekeeper"], None),
    ("store", "超市负责人 陈静", ["store_manager"], "STORE"),
    ("buyer", "采购员 赵磊", ["procurement_officer"], None),
    ("approver", "后勤主任 孙伟", ["approver"], None),
    ("finance", "财务 周芳", ["finance"], None),
    ("admin", "系统管理员", ["admin"], None),
    ("supervisor", "家长代表 吴娟", ["supervisor"], None),
]
PRICE_SOURCE = {"vegetables": "wholesale_market", "meat_eggs": "wholesale_market", "store_goods": "price_bureau",
                "seasonings": "price_bureau", **{category: "tender" for category in BULK_CATEGORIES}}


def seed_catalogue(session, principal: Principal, effective_from: date) -> int:
    for code, name_zh, name_en, category, spec, base_unit, packaging, shelf_life, restricted, price in DEMO_ITEMS:
        item = create_item(session, principal, {
            "code": code, "name_zh": name_zh, "name_en": name_en, "category": category, "specification": spec,
            "base_unit": base_unit, "packaging": packaging, "shelf_life_days": shelf_life,
            "restricted_food": restricted})
        add_reference_price(session, principal, item.id, price, effective_from, PRICE_SOURCE[category])
        if code == "EGG-CHK":  # DESIGN.md §5: eggs at most 5 % below reference, unlike pork's 15 %
            set_price_rule(session, principal, "meat_eggs", "min_discount", Decimal("0.05"), item.id)
    return len(DEMO_ITEMS)


# Dishes of a school canteen and what one student's serving takes (item code, quantity, unit).
DEMO_DISHES = [
    ("米饭", [("RICE-DB1", "150", "g")]),
    ("馒头", [("FLOUR-FQ", "100", "g")]),
    ("醋溜白菜", [("VEG-BC", "200", "g"), ("OIL-SOY5", "10", "mL"), ("SEA-SALT", "3", "g")]),
    ("土豆烧肉", [("VEG-TD", "120", "g"), ("MEAT-PORK", "60", "g"), ("OIL-SOY5", "12", "mL"),
              ("SEA-SALT", "3", "g")]),
    ("西红柿炒鸡蛋", [("VEG-XHS", "120", "g"), ("EGG-CHK", "60", "g"), ("OIL-SOY5", "10", "mL"),
                ("SEA-SALT", "2", "g")]),
]


def seed_dishes(session, principal: Principal) -> int:
    """The demo dishes, so a canteen manager can plan a weekly menu right away."""
    by_code = {item.code: item for item in session.scalars(select(Item).where(Item.school_id == principal.school_id))}
    for name, ingredients in DEMO_DISHES:
        create_dish(session, principal, name, [{"item_id": by_code[code].id, "quantity": Decimal(quantity),
                                                "unit": unit} for code, quantity, unit in ingredients])
    return len(DEMO_DISHES)


@click.command("seed-demo")
def seed_demo():
    """Create the demo school, staff, demand points, catalogue and one supplier invitation (idempotent)."""
    with current_app.extensions["database"].unit_of_work() as uow:
        session = uow.session
        school = session.scalar(select(School).order_by(School.id).limit(1))
        if school is None:
            school = School(name="阳光寄宿学校", timezone="Asia/Shanghai")
            session.add(school)
            session.flush()
        points = {point.code: point for point in ensure_demand_points(session, school.id)}
        admin = Principal("seed", frozenset({"admin"}), school_id=school.id)
        if session.scalar(select(StaffUser).limit(1)) is None:
            users = {}
            for name, display, roles, point in DEMO_STAFF:
                users[name] = create_staff_user(session, school.id, name, display, DEMO_PASSWORD, roles)
                users[name].demand_point_id = points[point].id if point else None
            buyer = users["buyer"]
            invite_supplier(session, Principal(str(buyer.id), frozenset(buyer.roles), school_id=school.id),
                            "山东鲁粮粮油有限公司", "sales@luliang.example.cn", ["bulk_grain_oil"])
            click.echo(f"procurement: demo school and {len(DEMO_STAFF)} staff accounts (password {DEMO_PASSWORD})")
        if session.scalar(select(Item.id).where(Item.school_id == school.id).limit(1)) is None:
            count = seed_catalogue(session, admin, date(date.today().year, 1, 1))
            click.echo(f"procurement: {count} catalogue items with reference prices")
        if session.scalar(select(Dish.id).where(Dish.school_id == school.id).limit(1)) is None:
            click.echo(f"procurement: {seed_dishes(session, admin)} dishes for menu planning")
        uow.commit()


COMMANDS = [seed_demo]
