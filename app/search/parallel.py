"""Whoosh's multi-process writer, made safe to lose a process.

``MpWriter`` hands batches of documents to writer processes through a bounded queue. If a
writer process dies (the kernel's OOM killer, say), the queue fills up and the parent
blocks on it for ever; and at commit the dead writer's segment is silently missing.  Here
a put that cannot proceed checks whether a writer has died and fails the rebuild, and the
rebuild itself compares the documents written with the documents read.
"""

from __future__ import annotations

import queue

from app.search.store import SearchUnavailable
from app.search.whoosh_adapter import PlainQueueMpWriter

POLL_SECONDS = 0.5


class _WatchedQueue:
    """A job queue whose ``put`` gives up when a writer process has died."""

    def __init__(self, inner, tasks: list) -> None:
        self.inner = inner
        self.tasks = tasks

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        while True:
            try:
                self.inner.put(item, timeout=POLL_SECONDS)
                return
            except queue.Full:
                dead = [t.exitcode for t in self.tasks if t.exitcode not in (None, 0)]
                if dead:
                    raise SearchUnavailable(
                        f"an index writer process died (exit code {dead[0]})"
                    ) from None

    def get(self, *args, **kwargs):
        return self.inner.get(*args, **kwargs)


class WatchedMpWriter(PlainQueueMpWriter):
    """An ``MpWriter`` that fails instead of hanging when a writer process dies."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.jobqueue = _WatchedQueue(self.jobqueue, self.tasks)

    def task_queue(self):
        """Writer processes get the plain queue: only this process watches it (the watcher
        holds Process objects, which cannot be sent to a spawned child)."""
        return self.jobqueue.inner

    def cancel(self) -> None:
        """Stop the writer processes too (a cancelled rebuild leaves none behind)."""
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join(timeout=5)
        super().cancel()
