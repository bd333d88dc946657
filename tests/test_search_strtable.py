"""The packed string table behind names, slugs and typeahead keys: same answers as a list."""

from __future__ import annotations

import bisect
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.strtable import StringTable

# Names as people write them: accents, apostrophes, hyphens, CJK, emoji, empty strings.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x1F64F), max_size=12
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(TEXT, max_size=60), st.lists(TEXT, max_size=10))
def test_items_and_bisect_match_a_sorted_list(items: list[str], probes: list[str]) -> None:
    ordered = sorted(items)
    table = StringTable.of(ordered)
    assert len(table) == len(ordered)
    assert list(table) == ordered
    for probe in [*probes, *ordered[:5], ""]:
        assert table.bisect_left(probe) == bisect.bisect_left(ordered, probe), probe


def test_index_errors_and_negative_indexes() -> None:
    table = StringTable.of(["Núñez", "", "王伟"])
    assert table[0] == "Núñez" and table[1] == "" and table[-1] == "王伟"
    with pytest.raises(IndexError):
        table[3]
    with pytest.raises(IndexError):
        table[-4]
    empty = StringTable.of([])
    assert len(empty) == 0 and list(empty) == [] and empty.bisect_left("a") == 0


def test_a_table_round_trips_through_its_arrays() -> None:
    table = StringTable.of(["García-López", "O'Brien", "van der Berg"])
    blob, offsets = pickle.loads(pickle.dumps((table.blob, table.offsets)))  # noqa: S301
    again = StringTable(blob, offsets)
    assert list(again) == list(table)
    assert again.offsets.dtype == np.int32


def test_a_million_names_cost_their_bytes_not_python_objects() -> None:
    names = [f"Provider {i:07d}" for i in range(200_000)]
    table = StringTable.of(names)
    # 16 bytes of text and 4 of offset each, against ~70 bytes per str in a list.
    assert table.nbytes < 21 * len(names)
    assert table[123_456] == "Provider 0123456"


def test_file_strings_read_items_with_pread_and_close_their_file(tmp_path):
    """The card table reads each item from its file and closes it when dropped, quietly."""
    import gc
    import os

    from app.search.strtable import FileStrings

    items = ["", "Ana", "Núñez, MD", '{"id":1}' * 50]
    packed = StringTable.of(items)
    path = tmp_path / "cards"
    path.write_bytes(b"HEADER" + packed.blob.tobytes())
    fd = os.open(path, os.O_RDONLY)
    table = FileStrings(fd, len(b"HEADER"), packed.offsets)
    assert [table.raw(i).decode() for i in range(len(table))] == items
    assert table.raw(-1) == items[-1].encode()
    with pytest.raises(IndexError):
        table.raw(len(items))
    del table
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed by the table's finalizer (no ResourceWarning)
