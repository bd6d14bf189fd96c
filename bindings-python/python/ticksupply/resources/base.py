"""Base classes of the resources: each method names a core operation and how to wrap its
result; the client's runner executes it (blocking for ``Client``, awaitable for
``AsyncClient``)."""

from __future__ import annotations

from typing import TypeVar

from ticksupply._runner import Async, Blocking

__all__ = ["AsyncResource", "SyncResource", "T"]

T = TypeVar("T")


class SyncResource:
    """Base of the resources of ``Client``."""

    def __init__(self, runner: Blocking) -> None:
        self._r = runner


class AsyncResource:
    """Base of the resources of ``AsyncClient``."""

    def __init__(self, runner: Async) -> None:
        self._r = runner
