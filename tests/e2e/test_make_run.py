"""`make run` on the embedded defaults: every service answers and the demo event crosses services."""
import os
import signal
import subprocess
import time

import pytest
import requests

from shared.config import DEFAULT_PORTS
from tests.support import REPO, wait_for

pytestmark = [pytest.mark.e2e]


def _get(url, **kwargs):
    try:
        return requests.get(url, timeout=2, **kwargs)
    except requests.RequestException:
        return None


def test_make_run_serves_all_three_services_and_the_demo_invitation_reaches_the_portal(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.endswith(("_DATABASE_URL", "BROKER_URL")) and key not in ("APP_ENV", "SECRET_KEY")}
    env["VAR_DIR"] = str(tmp_path / "var")
    log = (tmp_path / "make-run.log").open("wb")
    process = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    started = time.monotonic()
    try:
        for service, port in DEFAULT_PORTS.items():
            response = wait_for(lambda port=port: _get(f"http://127.0.0.1:{port}/healthz"), timeout=60,
                                message=f"{service} /healthz")
            assert response.status_code == 200 and response.json()["service"] == service
        assert time.monotonic() - started < 60
        token = requests.post(f"http://127.0.0.1:{DEFAULT_PORTS['procurement']}/api/auth/login", timeout=5,
                              json={"username": "buyer", "password": "demo-password"}).json()["access_token"]

        def demo_supplier():
            response = _get(f"http://127.0.0.1:{DEFAULT_PORTS['supplier_portal']}/api/suppliers",
                            headers={"Authorization": f"Bearer {token}"})
            return response is not None and [s for s in response.json()["items"] if s["name"] == "山东鲁粮粮油有限公司"]

        [supplier] = wait_for(demo_supplier, timeout=60, message="the demo supplier on the portal")
        assert supplier["status"] == "pending"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for port in DEFAULT_PORTS.values():
        assert _get(f"http://127.0.0.1:{port}/healthz") is None, "Ctrl-C left a service running"
