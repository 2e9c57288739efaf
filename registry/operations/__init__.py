"""Running the service: gunicorn, health, readiness, metrics, logs, outages."""
