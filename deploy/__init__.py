"""Running the suite as it runs in production: `run_prod` starts it, `reconcile` checks its books across services."""
