"""The public, read-only weekly disclosure page (no sign-in), printable, with past weeks kept.

Its routes are added to the Flask blueprint directly, not through flask-smorest, so that
the page stays out of the API's OpenAPI document.
"""
from datetime import date
from pathlib import Path

import flask
from flask import abort, render_template

from shared.web import Blueprint, unit_of_work

from ..disclosure import chart_points, disclosures_of

blp = Blueprint("costing_public", __name__, template_folder=str(Path(__file__).parent.parent / "templates"))

CATEGORY_NAMES = {"food_quality": "饭菜质量", "food_safety": "食品安全", "price": "价格", "portion": "份量",
                  "hygiene": "卫生", "service": "服务", "other": "其他"}
NAMES = {"meals": {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"},
         "supplier_categories": {"bulk_grain_oil": "粮油", "coal": "煤"},
         "licences": {"business_licence": "营业执照", "food_business_licence": "食品经营许可证",
                      "food_production_licence": "食品生产许可证"},
         "licence_states": {"valid": "有效", "expiring": "即将到期（30 天内）", "expired": "已过期"}}


def disclosure_page(school_id: int, week_start: str | None = None):
    with unit_of_work() as uow:
        kept = disclosures_of(uow.session, school_id)
    if not kept:
        abort(404)
    chosen = kept[0]
    if week_start is not None:
        try:
            monday = date.fromisoformat(week_start)
        except ValueError:
            abort(404)
        chosen = next((disclosure for disclosure in kept if disclosure.week_start == monday), None)
        if chosen is None:
            abort(404)
    content = chosen.content
    return render_template("costing/disclosure.html", content=content, school_id=school_id,
                           history=[disclosure.week_start.isoformat() for disclosure in kept],
                           chart=chart_points(content["trend"]), categories=CATEGORY_NAMES, names=NAMES)


flask.Blueprint.add_url_rule(blp, "/disclosure/<int:school_id>", "latest", disclosure_page)
flask.Blueprint.add_url_rule(blp, "/disclosure/<int:school_id>/<week_start>", "week", disclosure_page)
