"""A database connection lost mid-request answers 503 with Retry-After (the pool replaces it), not 500."""
from flask import Flask
from sqlalchemy.exc import OperationalError

from shared.errors import handle_unexpected


def app_raising(error: Exception) -> Flask:
    app = Flask(__name__)
    app.register_error_handler(Exception, handle_unexpected)

    @app.get("/stock")
    def stock():
        raise error

    return app


def test_a_database_connection_terminated_mid_request_answers_503_with_retry_after_not_500():
    terminated = OperationalError("SELECT 1", {}, Exception("terminating connection due to administrator command"),
                                  connection_invalidated=True)
    response = app_raising(terminated).test_client().get("/stock")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "The database connection was lost; retry the request"


def test_any_other_database_error_is_still_a_logged_500():
    broken = OperationalError("SELECT 1", {}, Exception("division by zero"))
    response = app_raising(broken).test_client().get("/stock")
    assert response.status_code == 500 and "Retry-After" not in response.headers
