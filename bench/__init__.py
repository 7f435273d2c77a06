"""`python -m bench` (`make bench`): the suite against a bare Flask/Celery baseline measured in the same run.

Two measurements, each in a fresh temporary VAR_DIR (SQLite files + the embedded broker):

* HTTP: procurement under gunicorn (deploy/gunicorn.conf.py, 2 sync workers) against
  `bench.baseline_app` under the same config, loaded by a bounded closed-loop client.
* Events: supplier.invited from procurement's API to supplier_portal's database through a
  real `celery worker`, against a bare task on the same broker (`bench.baseline_tasks`).

See bench/README.md for the machine, the figures and how to read them.
"""
