"""Gunicorn settings for ``make run`` and production.

The access log format uses %(U)s (the path) and never %(r)s or %(q)s, so search terms in the
query string are never written to the log.
"""

import contextlib
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, min(4, multiprocessing.cpu_count()))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
accesslog = "-"
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

M_ARENA_MAX = -8  # glibc mallopt() parameter


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
