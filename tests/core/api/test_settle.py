"""What start-up built stays out of later full collections; what requests leave behind is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from casehub.api.app import settle


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on as it was


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_settle_freezes_what_exists_and_later_garbage_is_still_collected(unfrozen: None) -> None:
    before = gc.get_freeze_count()
    settle()
    assert gc.get_freeze_count() > before, "the objects alive at start-up are frozen"
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    gc.collect()
    assert gone() is None, "a cycle made after settle() is collected as before"
