"""The three services of the suite; each owns its own database and queue."""
