"""Mechanisms every service shares: configuration, database, errors, auth, events, HTTP, Celery.

Nothing here knows a business rule of one service.
"""
