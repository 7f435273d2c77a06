"""The one HTTP client services use to ask each other questions."""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .logging import CORRELATION_HEADER, correlation_id


class ServiceClient:
    """A `requests.Session` for one service: timeouts always, retries only where repeating is safe."""

    def __init__(self, base_url: str, timeout: float = 5.0, retries: int = 3, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(
            # A read timeout is retried once only: a hung peer must not hold the caller for minutes.
            total=retries, connect=retries, read=1, status=retries,
            backoff_factor=0.2, status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}),
            raise_on_status=False,
            # urllib3 would otherwise sleep for a Retry-After header (up to six hours) before each
            # retry, whatever the timeout: a call between services must fail within its timeouts.
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if correlation_id.get():
            headers.setdefault(CORRELATION_HEADER, correlation_id.get())
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)
