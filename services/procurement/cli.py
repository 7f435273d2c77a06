"""`flask --app services.procurement seed-demo`: the demo school, its staff and a supplier invitation."""
import click
from flask import current_app
from sqlalchemy import select

from shared.auth import Principal

from .accounts import create_staff_user
from .invitations import invite_supplier
from .models import School, StaffUser

DEMO_PASSWORD = "demo-password"
DEMO_STAFF = [
    ("manager1", "一食堂管理员 王敏", ["canteen_manager"]),
    ("manager2", "二食堂管理员 李强", ["canteen_manager"]),
    ("manager3", "三食堂管理员 张丽", ["canteen_manager"]),
    ("keeper", "库管员 刘洋", ["storekeeper"]),
    ("store", "超市负责人 陈静", ["store_manager"]),
    ("buyer", "采购员 赵磊", ["procurement_officer"]),
    ("approver", "后勤主任 孙伟", ["approver"]),
    ("finance", "财务 周芳", ["finance"]),
    ("admin", "系统管理员", ["admin"]),
    ("supervisor", "家长代表 吴娟", ["supervisor"]),
]


@click.command("seed-demo")
def seed_demo():
    """Create the demo school, staff accounts and one supplier invitation (idempotent)."""
    with current_app.extensions["database"].unit_of_work() as uow:
        session = uow.session
        if session.scalar(select(StaffUser).limit(1)) is not None:
            click.echo("procurement: demo data already present")
            return
        school = School(name="阳光寄宿学校", timezone="Asia/Shanghai")
        session.add(school)
        session.flush()
        users = {name: create_staff_user(session, school.id, name, display, DEMO_PASSWORD, roles)
                 for name, display, roles in DEMO_STAFF}
        buyer = users["buyer"]
        invite_supplier(session, Principal(str(buyer.id), frozenset(buyer.roles), school_id=school.id),
                        "山东鲁粮粮油有限公司", "sales@luliang.example.cn", ["bulk_grain_oil"])
        uow.commit()
    click.echo(f"procurement: demo school and {len(DEMO_STAFF)} staff accounts (password {DEMO_PASSWORD})")


COMMANDS = [seed_demo]
