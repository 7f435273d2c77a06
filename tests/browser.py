"""Real HTTP servers for the suite's apps and a headless Chromium to drive them."""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from shared.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_services(settings: Settings, services: list[str]):
    """Serve `services` on free loopback ports, each knowing the others' addresses."""
    from tests.conftest import APP_FACTORIES

    ports = {name: free_port() for name in services}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    settings = dataclasses.replace(settings, service_urls={**settings.service_urls, **urls})
    servers = []
    try:
        for name, port in ports.items():
            server = make_server("127.0.0.1", port, APP_FACTORIES[name](settings), threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        yield urls
    finally:
        for server in servers:
            server.shutdown()


def chromium_executable() -> str | None:
    """Debian's chromium where installed (CI); otherwise Playwright's own (`playwright install chromium`)."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 800})
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()
