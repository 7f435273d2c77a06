from shared.auth import SERVICE_ROLE, STAFF_ROLES, current_principal, require_roles
from shared.web import Blueprint, settings, unit_of_work

from .. import menus
from ..schemas import (
    DishSchema,
    MenuInSchema,
    MenuNeedsSchema,
    MenuPageSchema,
    MenuQuery,
    MenuSchema,
    RequisitionOutSchema,
)
from .catalogue import school_today

blp = Blueprint("menus", __name__, url_prefix="/api", description="Dishes, weekly menus and the demand they make")
SECURITY = [{"bearerAuth": []}]


@blp.get("/dishes")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, DishSchema(many=True))
def list_dishes():
    with unit_of_work() as uow:
        return menus.list_dishes(uow.session, current_principal())


@blp.post("/dishes")
@blp.doc(security=SECURITY)
@require_roles(*menus.PLANNERS)
@blp.arguments(DishSchema)
@blp.response(201, DishSchema)
def create_dish(data):
    with unit_of_work() as uow:
        dish = menus.create_dish(uow.session, current_principal(), data["name"], data["ingredients"])
        uow.commit()
        return dish


@blp.post("/menus")
@blp.doc(security=SECURITY)
@require_roles(*menus.PLANNERS)
@blp.arguments(MenuInSchema)
@blp.response(201, MenuSchema)
def create_menu(data):
    meals = [{"date": meal["meal_date"], "meal": meal["meal"], "diners": meal["diners"], "dish_ids": meal["dish_ids"]}
             for meal in data["meals"]]
    with unit_of_work() as uow:
        menu = menus.create_menu(uow.session, current_principal(), data["demand_point"], data["week_start"], meals)
        uow.commit()
        return menus.get_menu(uow.session, current_principal(), menu.id)


@blp.get("/menus")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES, SERVICE_ROLE)  # inventory's weekly disclosure shows the week's menus
@blp.arguments(MenuQuery, location="query")
@blp.response(200, MenuPageSchema)
def list_menus(query):
    with unit_of_work() as uow:
        return menus.list_menus(uow.session, current_principal(), **query)


@blp.get("/menus/<int:menu_id>")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, MenuSchema)
def show_menu(menu_id):
    with unit_of_work() as uow:
        return menus.get_menu(uow.session, current_principal(), menu_id)


@blp.get("/menus/<int:menu_id>/needs")
@blp.doc(security=SECURITY)
@require_roles(*STAFF_ROLES)
@blp.response(200, MenuNeedsSchema)
def menu_needs(menu_id):
    principal = current_principal()
    with unit_of_work() as uow:
        menu, needs, _ = menus.menu_needs(uow.session, principal, menu_id, menus.on_hand_at(settings(), principal))
        return {"menu_id": menu.id, "demand_point": menu.demand_point.code, "needs": needs}


@blp.post("/menus/<int:menu_id>/requisition")
@blp.doc(security=SECURITY)
@require_roles(*menus.PLANNERS)
@blp.response(201, RequisitionOutSchema)
def requisition_from_menu(menu_id):
    principal = current_principal()
    with unit_of_work() as uow:
        requisition = menus.requisition_from_menu(uow.session, principal, menu_id, school_today(),
                                                  menus.on_hand_at(settings(), principal))
        uow.commit()
        return requisition
