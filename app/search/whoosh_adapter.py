"""Every use of Whoosh's private API, behind small documented functions.

Written against Whoosh-Reloaded ``WHOOSH_VERSION`` (pinned in pyproject.toml). A test
(tests/test_search_whoosh_adapter.py) fails when the installed version differs, so an
upgrade is a deliberate change here rather than a silent break elsewhere: read each
function below against the new release's source before moving the pin.

* ``block_postings``: whole posting blocks of Whoosh's own codec read into numpy
  (``W3LeafMatcher``'s ``_byteids``, ``_atend``, ``_data``, ``_read_data`` and
  ``_next_block``).
* ``PlainQueueMpWriter``: the multi-process writer with its task-starting hook
  (``MpWriter._new_task``) overridden to hand each writer process a given queue.
* ``segment_count``: how many segments an index holds (``FileIndex._segments``).
* ``FramedPostingPool``: the postings pool a segment writer sorts through, with its
  spilled runs (``SortingPool._write_run``/``_read_run``) written as typed msgpack frames
  instead of one pickle per posting; installed as ``whoosh.writing.PostingPool`` when this
  module is imported, so no writer of ours (nor its writer processes) unpickles a run file
  from the index folder, and a national rebuild spends less time spilling and merging.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Iterator
from itertools import islice

import msgspec
import numpy as np
import whoosh.writing
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask

WHOOSH_DISTRIBUTION = "Whoosh-Reloaded"
WHOOSH_VERSION = "2.7.5"


def installed_version() -> str:
    """The installed Whoosh distribution's version."""
    return importlib.metadata.version(WHOOSH_DISTRIBUTION)


def block_postings(leaf, field: str, text: str) -> np.ndarray:
    """Doc numbers (in the leaf, ascending, deleted ones included) having ``text`` in ``field``.

    Whoosh's matchers hand out one posting per Python call, which is slow for a common
    word in a national directory.  Its on-disk blocks hold up to 128 delta-coded ids, so reading
    whole blocks into numpy costs a fraction of that.  Terms stored inline (one posting)
    and any other matcher go through the public API.
    """
    matcher = leaf.postings(field, text)
    if isinstance(matcher, FilterMatcher):  # the deletions filter: the caller masks them
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        return np.fromiter(matcher.all_ids(), np.int64)
    blocks = []
    while not matcher._atend:
        if matcher._data is None:
            matcher._read_data()
        blocks.append(np.cumsum(np.asarray(matcher._data[0], np.int64)))
        matcher._next_block()
    return np.concatenate(blocks) if blocks else np.zeros(0, np.int64)


class PlainQueueMpWriter(MpWriter):
    """An ``MpWriter`` whose writer processes read jobs from ``task_queue()``.

    Whoosh starts each writer process with ``self.jobqueue``; a subclass that wraps that
    queue (to watch it in this process) gives the processes the unwrapped one here, since
    what a spawned process is given must pickle.

    ``task_class`` is the writer process's class (Whoosh's ``SubWriterTask``); a test seam:
    a test sets a subclass whose ``run`` exits at once, as a writer killed by the kernel.
    """

    task_class: type[SubWriterTask]  # set below, once FramedSubWriterTask is defined

    def task_queue(self):
        """The queue handed to writer processes (the job queue by default)."""
        return self.jobqueue

    def _new_task(self):
        task = self.task_class(
            self.storage,
            self.indexname,
            self.task_queue(),
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task


def segment_count(ix) -> int:
    """How many segments an opened index (``whoosh.index.FileIndex``) holds."""
    return len(ix._segments())


# A posting as the pool sorts it: (field name, term bytes, doc number, weight, value bytes).
Posting = tuple[str, bytes, int, int | float, bytes | None]
RUN_FRAME = 1024  # postings per frame of a spilled run (a merge holds one frame per run)
_run_encoder = msgspec.msgpack.Encoder()
_run_decoder = msgspec.msgpack.Decoder(list[Posting])


class FramedPostingPool(whoosh.writing.PostingPool):
    """Whoosh's postings pool with runs kept as length-prefixed msgpack frames.

    When a segment's postings outgrow ``limitmb`` the pool sorts what it holds and spills
    it to a run file in the index's temporary storage, then merges the runs. Whoosh writes
    and reads each posting with its own ``pickle`` call; here a run is written in frames of
    ``RUN_FRAME`` postings and read back with a typed decoder (no code runs on load).
    """

    def _write_run(self, f, items: Iterable[Posting]) -> None:
        items = iter(items)
        while frame := list(islice(items, RUN_FRAME)):
            data = _run_encoder.encode(frame)
            f.write(len(data).to_bytes(4, "little"))
            f.write(data)
        f.close()

    def _read_run(self, path: str) -> Iterator[Posting]:
        f = self._open_run(path)
        try:
            while size := f.read(4):
                yield from _run_decoder.decode(f.read(int.from_bytes(size, "little")))
        finally:
            f.close()
            self._remove_run(path)


whoosh.writing.PostingPool = FramedPostingPool  # type: ignore[misc]


class FramedSubWriterTask(SubWriterTask):
    """Whoosh's writer process, defined here so that a process started by spawn or
    forkserver (which imports the class's module to unpickle it) installs
    ``FramedPostingPool`` before it writes, as a forked one inherits it."""


PlainQueueMpWriter.task_class = FramedSubWriterTask
