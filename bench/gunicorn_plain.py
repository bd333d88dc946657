"""An empty gunicorn config for the reference apps (no hooks from ./gunicorn.conf.py)."""
