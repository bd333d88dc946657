"""Gunicorn settings for ``make run`` and production.

The access log format uses %(U)s (the path) and never %(r)s or %(q)s, so search terms in the
query string are never written to the log.
"""

import contextlib
import importlib.util
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, min(4, multiprocessing.cpu_count()))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
accesslog = "-"
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's largest request line (method, URL and protocol): a search with many filters can
# pass its default 4094. The app refuses URLs over MAX_URL_BYTES (config.py, 8000) itself,
# with a 414 in the page's, the API's or FHIR's own format; only longer lines than this
# still get gunicorn's bare HTML 414.
limit_request_line = 8190

M_ARENA_MAX = -8  # glibc mallopt() parameter
GEO_BUILD = Path(__file__).resolve().parent / "app" / "geo_build.py"

# Workers leave out what only the CLI and the tests use (the migration tooling: Alembic
# and Mako, about 0.15 s of imports per worker start). See app.register_extensions.
os.environ.setdefault("FINDCARE_WEB_WORKER", "1")


def _geo_tables_cached() -> bool:
    """Whether the ZIP and city tables are already in the cache (checked in this process:
    the script's module imports only the standard library and the lazy zipcodes package)."""
    spec = importlib.util.spec_from_file_location("findcare_geo_build", GEO_BUILD)
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        path = module.cache_path()
    except Exception:  # any doubt: let the script decide
        return False
    # Written whole by an atomic rename; a file cut short (a full disk, a bad copy) no longer
    # ends the JSON object, and is rebuilt here rather than by every worker at once.
    try:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"}"
    except (OSError, AttributeError):
        return False


def on_starting(server):
    """Make sure the ZIP and city tables are cached before any worker starts.

    On a fresh host every worker would otherwise build them at once (a few seconds of CPU
    each) while the first visitors wait. The script imports nothing of the app, so the
    master stays small. On later starts the master only sees that the cache file is there,
    without starting a child (which cost ~0.1 s of every restart).
    """
    if _geo_tables_cached():
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(  # noqa: S603 - our own interpreter running our own file
            [sys.executable, "-I", str(GEO_BUILD), "--quiet"], check=False, timeout=120
        )


def post_fork(server, worker):
    """Cap glibc malloc arenas per worker: threads otherwise each grow their own heap."""
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    arenas = int(os.environ.get("MALLOC_ARENA_MAX", "2"))
    # Not glibc (no mallopt): nothing to tune.
    with contextlib.suppress(OSError, AttributeError):
        if libc_name:
            ctypes.CDLL(libc_name).mallopt(M_ARENA_MAX, arenas)


def post_worker_init(worker):
    """Catch up with the search outbox, warm the index and start the poller, in the
    background, so no visitor pays for opening the index and no request starts threads."""
    from app.search.sync import start_worker

    start_worker(worker.wsgi)
