"""Scheduled engines: Celery tasks running the forecast engine per horizon and its retraining."""
