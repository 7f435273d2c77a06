"""What every service answers besides its business: health, readiness, its API description."""
import dataclasses

import pytest

from shared.db import Database
from tests.conftest import APP_FACTORIES, SPECS


@pytest.fixture(params=sorted(APP_FACTORIES))
def service(request, test_settings, databases):
    name = request.param
    return name, APP_FACTORIES[name](test_settings, databases[name]).test_client()


def test_healthz_says_the_process_is_up(service):
    name, client = service
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "service": name}


def test_readyz_checks_the_database_and_the_broker(service):
    _, client = service
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.parametrize("name", sorted(APP_FACTORIES))
def test_readyz_answers_503_when_the_database_is_unreachable(name, test_settings):
    unreachable = Database(name, "postgresql+psycopg://postgres@127.0.0.1:1/nothing-listens-here",
                           session_info={"outbox_model": SPECS[name].outbox_model})
    response = APP_FACTORIES[name](test_settings, unreachable).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("unavailable")


@pytest.mark.parametrize("name", sorted(APP_FACTORIES))
def test_readyz_answers_503_when_the_broker_is_unreachable(name, test_settings, databases):
    down = dataclasses.replace(test_settings, broker_url="amqp://guest:guest@127.0.0.1:1//")
    response = APP_FACTORIES[name](down, databases[name]).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["broker"].startswith("unavailable")


def test_the_openapi_document_describes_every_api_route(service):
    name, client = service
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    app_routes = {rule.rule for rule in client.application.url_map.iter_rules() if rule.rule.startswith("/api/")
                  and not rule.rule.startswith(("/api/openapi.json", "/api/docs"))}
    documented = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    normalised = {route.replace("<int:", "<").replace("<string:", "<") for route in app_routes}
    assert normalised == documented
    assert "bearerAuth" in document["components"]["securitySchemes"]


def test_the_interactive_api_page_is_served(service):
    _, client = service
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger-ui" in response.data


def test_unknown_routes_answer_problem_json(service):
    _, client = service
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
