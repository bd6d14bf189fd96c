"""How a resource's call runs: blocking (``Client``) or awaitable (``AsyncClient``).

A resource names a core operation, its JSON arguments and how to wrap the reply; a runner sends
it through the native client. No HTTP rule lives here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from ticksupply import _native
from ticksupply._data import ExportData, export_data
from ticksupply._models import BaseAPIModel, wrap_items

if TYPE_CHECKING:
    # Imported where first awaited instead: a blocking Client never pays asyncio's ~30 ms.
    import asyncio

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseAPIModel)

Wrap = Callable[[Any, _native.Meta], _T]
Progress = Callable[[int, int], object]


def _default(o: Any) -> Any:
    if hasattr(o, "model_dump"):  # our models, and pydantic ones (as the official client accepted)
        return o.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(o, Enum):
        return o.value
    if isinstance(o, datetime):
        return o.isoformat()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"cannot send a {type(o).__name__}")


_dumps = json.JSONEncoder(default=_default, separators=(",", ":")).encode


def encode(args: dict[str, Any]) -> str:
    present = {k: v for k, v in args.items() if v is not None}
    return _dumps(present) if present else "{}"


def _settle(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if not fut.done():  # a canceled await leaves nobody to tell
        (fut.set_result if ok else fut.set_exception)(value)


class Blocking:
    """Runs calls on the calling thread (the GIL released while waiting)."""

    def __init__(self, native: _native.NativeClient) -> None:
        self.native = native

    def call(self, op: str, args: dict[str, Any], wrap: Wrap[_T], progress: Progress | None = None) -> _T:
        data, meta = self.native.call(op, encode(args), progress)
        return wrap(data, meta)

    def items(self, op: str, args: dict[str, Any], cls: type[_M]) -> Iterator[_M]:
        pages = _native.NativePages(self.native, op, encode(args))
        while (page := pages.next_page()) is not None:
            yield from wrap_items(cls, page[0].get("items"))

    def rows(self, op: str, args: dict[str, Any]) -> Iterator[dict[str, str]]:
        batches = _native.NativePages(self.native, op, encode(args))
        while (batch := batches.next_page()) is not None:
            yield from batch[0]

    def data(self, export_id: str, schema: Any) -> ExportData:
        return export_data(self.native, export_id, schema)


async def _settled(start: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], Any]) -> Any:
    """Awaits a native call that settles an asyncio future; cancelling the await cancels the
    call in the core too (the request, its retries and backoff)."""
    import asyncio

    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    task = start(loop, fut)
    try:
        return await fut
    except asyncio.CancelledError:
        task.cancel()
        raise


class Async:
    """Runs calls as awaitables on the running asyncio loop."""

    def __init__(self, native: _native.NativeClient) -> None:
        self.native = native

    async def call(self, op: str, args: dict[str, Any], wrap: Wrap[_T], progress: Progress | None = None) -> _T:
        encoded = encode(args)
        data, meta = await _settled(lambda loop, fut: self.native.call_async(op, encoded, loop, fut, _settle, progress))
        return wrap(data, meta)

    async def items(self, op: str, args: dict[str, Any], cls: type[_M]) -> AsyncIterator[_M]:
        async for page in self._batches(op, args):
            for item in wrap_items(cls, page[0].get("items")):
                yield item

    async def rows(self, op: str, args: dict[str, Any]) -> AsyncIterator[dict[str, str]]:
        async for batch in self._batches(op, args):
            for row in batch[0]:
                yield row

    async def data(self, export_id: str, schema: Any) -> ExportData:
        # Opening lists the artifacts and reads the first header: off the event loop.
        import asyncio

        return await asyncio.to_thread(export_data, self.native, export_id, schema)

    async def _batches(self, op: str, args: dict[str, Any]) -> AsyncIterator[Any]:
        batches = _native.NativePages(self.native, op, encode(args))
        while (batch := await _settled(lambda loop, fut: batches.next_page_async(loop, fut, _settle))) is not None:
            yield batch
