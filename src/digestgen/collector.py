"""Keeping Python's cyclic garbage collector off the site's data.

A build holds every paper of the site (millions of objects at 100,000 papers) for its whole
length, and none of them form cycles. The collector would still walk all of them again and
again as the heap grows: at 100,000 papers its full collections took 4.5 s of a 15 s edit.
Objects kept out of its sight are still freed when their last reference goes.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_held = 0


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block (which must not make cyclic garbage)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if not _held:
                # What the block made goes to the oldest generation unexamined (a freeze and
                # thaw moves lists, it does not walk them): else the first allocation after
                # enable() would start a collection over all of it, 0.7 s at 100,000 papers.
                # (Inside a hold, a freeze would keep it, cycles and all, until the release:
                # serve collects each rebuild's garbage itself once the page has reloaded.)
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def hold(collect: bool = False) -> None:
    """Keep every object alive now out of the collector's sight, until the matching release().

    Holds nest: the objects are handed back to the collector when the outermost one ends.
    collect: first collect what is garbage already (so that it is not held forever).
    """
    global _held
    if collect:
        gc.collect()
    gc.freeze()
    _held += 1


def release() -> None:
    global _held
    _held = max(0, _held - 1)
    if not _held:
        gc.unfreeze()


@contextlib.contextmanager
def held(collect: bool = False) -> Iterator[None]:
    hold(collect)
    try:
        yield
    finally:
        release()
