"""A roster read once and kept on disk, given back one provider's rows at a time.

A national file is millions of rows. Reading checks each row and writes the rows that pass
to a temporary spool (msgpack frames, never pickle); planning reads the spool back in
file order, and :class:`Groups` hands over a provider's rows as soon as the last of them
has been read. Rows of one provider usually sit together, so only a few providers are held
at once, whatever the file's size. The planned changes go to a second spool
(:class:`ChangeSpool`) that the write pass reads, so nothing is planned twice.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Self

import msgspec

from app.services.roster.change import ProviderChange
from app.services.roster.read import Row

FRAME_ROWS = 2000  # rows per msgpack frame
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[tuple[int, int, list[str]]])
_change_decoder = msgspec.msgpack.Decoder(list[ProviderChange])


class _Spool:
    """A temporary file of length-prefixed msgpack frames, read back in the order written;
    a spool is used as a context manager, which deletes the file."""

    def __init__(self, prefix: str, decoder: msgspec.msgpack.Decoder) -> None:
        self._file = tempfile.TemporaryFile(prefix=prefix)  # noqa: SIM115 - closed by close()
        self._decoder = decoder

    def _write_frame(self, frame: list) -> None:
        if frame:
            data = _encoder.encode(frame)
            self._file.write(len(data).to_bytes(4, "little"))
            self._file.write(data)

    def _read_frames(self) -> Iterator[list]:
        self._file.flush()
        self._file.seek(0)
        while size := self._file.read(4):
            yield self._decoder.decode(self._file.read(int.from_bytes(size, "little")))
        self._file.seek(0, 2)

    def close(self) -> None:
        """Delete the spool."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RowSpool(_Spool):
    """Checked rows in a temporary file, read back in the order they were added.

    A row is kept as its line, the number of its set of columns (the file's header, give
    or take the columns checking adds, so a few per file, held here) and its values.
    """

    def __init__(self) -> None:
        super().__init__("roster-rows-", _decoder)
        self._frame: list[tuple[int, int, list[str]]] = []
        self._shapes: dict[tuple[str, ...], int] = {}
        self.count = 0

    def add(self, row: Row) -> None:
        """Keep one checked row (its line and cleaned cells)."""
        shape = tuple(row.values)
        number = self._shapes.setdefault(shape, len(self._shapes))
        self._frame.append((row.line, number, list(row.values.values())))
        self.count += 1
        if len(self._frame) >= FRAME_ROWS:
            self._write_frame(self._frame)
            self._frame = []

    def __iter__(self) -> Iterator[Row]:
        self._write_frame(self._frame)
        self._frame = []
        shapes = list(self._shapes)
        for frame in self._read_frames():
            for line, number, values in frame:
                yield Row(line, dict(zip(shapes[number], values, strict=True)))


class ChangeSpool(_Spool):
    """Planned changes in a temporary file (msgpack, never pickle), read back in frames of
    ``size`` changes: what the check pass planned, so the write pass never plans a
    provider again and the whole file's changes are never held."""

    def __init__(self, size: int) -> None:
        super().__init__("roster-changes-", _change_decoder)
        self._size = size
        self._frame: list[ProviderChange] = []
        self.count = 0

    def add(self, changes: list[ProviderChange]) -> None:
        """Keep planned changes, in order."""
        self._frame.extend(changes)
        self.count += len(changes)
        while len(self._frame) >= self._size:
            self._write_frame(self._frame[: self._size])
            self._frame = self._frame[self._size :]

    def frames(self) -> Iterator[list[ProviderChange]]:
        """The changes, ``size`` at a time (the last frame fewer), in the order added."""
        self._write_frame(self._frame)
        self._frame = []
        yield from self._read_frames()


GroupKey = str | tuple[str, str]  # an NPI, or (first, last) lower-cased for rows without one


class Groups:
    """Which rows belong to one provider, learnt while the file is read.

    Rows with an NPI belong to that NPI's provider. A row without one goes with the NPI
    that its first and last name carry elsewhere in the file, when exactly one does; else
    with the other rows of that name. :meth:`of` then yields each provider's rows, in the
    order the providers first appear, as soon as the last of their rows has gone by.
    """

    def __init__(self) -> None:
        self.last: dict[GroupKey, int] = {}  # the line of each provider's last row
        self.by_name: dict[tuple[str, str], str] = {}  # name -> the one NPI it carries
        self._nameless = False
        self.last_line = 0  # of the whole file

    def note(self, row: Row) -> None:
        """Record one checked row (first pass)."""
        self.last_line = max(self.last_line, row.line)
        npi = row.get("npi")
        if npi:
            self.last[npi] = row.line
        else:
            self.last[_name(row)] = row.line
            self._nameless = True

    def settle(self, rows: Iterable[Row]) -> None:
        """After reading: join rows without an NPI to the NPI their name carries.

        Only when the file has such rows is it read once more, for the names they use.
        """
        if not self._nameless:
            return
        names = {key for key in self.last if isinstance(key, tuple)}
        npis: dict[tuple[str, str], set[str]] = {}
        for row in rows:
            npi = row.get("npi")
            if npi and row.get("first_name") and row.get("last_name"):
                name = _name(row)
                if name in names:
                    npis.setdefault(name, set()).add(npi)
        for name, found in npis.items():
            if len(found) == 1:
                npi = next(iter(found))
                self.by_name[name] = npi
                self.last[npi] = max(self.last[npi], self.last.pop(name))

    def __len__(self) -> int:
        return len(self.last)

    def key(self, row: Row) -> GroupKey:
        """The provider a row belongs to."""
        npi = row.get("npi")
        if npi:
            return npi
        name = _name(row)
        return self.by_name.get(name, name)

    def of(self, rows: Iterable[Row]) -> Iterator[list[Row]]:
        """Each provider's rows, in first-appearance order, once all have been read."""
        waiting: OrderedDict[GroupKey, list[Row]] = OrderedDict()
        for row in rows:
            key = self.key(row)
            group = waiting.get(key)
            if group is None:
                waiting[key] = group = []
            group.append(row)
            while waiting:
                first, group = next(iter(waiting.items()))
                if group[-1].line < self.last[first]:
                    break
                waiting.popitem(last=False)
                yield group
        yield from waiting.values()  # only if the rows were not the ones noted


def _name(row: Row) -> tuple[str, str]:
    return row.get("first_name").lower(), row.get("last_name").lower()


def batches(groups: Iterable[list[Row]], size: int) -> Iterator[list[list[Row]]]:
    """Groups in lists of ``size``."""
    batch: list[list[Row]] = []
    for group in groups:
        batch.append(group)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
