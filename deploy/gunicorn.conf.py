"""gunicorn settings shared by `make run`, the container image and the Kubernetes manifests."""
import os

workers = int(os.environ.get("GUNICORN_WORKERS", 2))
# sync workers: gthread measurably hurts SQLite writes (DESIGN.md §2).
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
accesslog = "-"
access_log_format = '{"remote": "%(h)s", "request": "%(r)s", "status": %(s)s, "bytes": %(B)s, "ms": %(M)s, "correlation_id": "%({x-correlation-id}o)s"}'
errorlog = "-"
