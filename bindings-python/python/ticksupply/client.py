"""``Client`` (blocking) and ``AsyncClient`` (asyncio) over the Rust core."""

from __future__ import annotations

import asyncio
import atexit
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from ticksupply import _models as m
from ticksupply import _native
from ticksupply import _resources as r
from ticksupply._data import ExportData, export_data

# Stop the core's threads before the interpreter tears down.
atexit.register(_native._shutdown)


def _default(o: Any) -> Any:
    if isinstance(o, m.Model):
        return o.to_dict()
    if hasattr(o, "model_dump"):  # pydantic models, as the official client accepted
        return o.model_dump(by_alias=True, exclude_none=True)
    if hasattr(o, "value"):  # str enums
        return o.value
    raise TypeError(f"cannot send a {type(o).__name__}")


_dumps = json.JSONEncoder(default=_default, separators=(",", ":")).encode


def _encode(args: dict[str, Any]) -> str:
    present = {k: v for k, v in args.items() if v is not None}
    return _dumps(present) if present else "{}"


def _settle(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if not fut.done():  # a canceled await leaves nobody to tell
        (fut.set_result if ok else fut.set_exception)(value)


class _Blocking:
    def __init__(self, native: _native.NativeClient) -> None:
        self.native = native

    def call(self, op: str, args: dict[str, Any], wrap: Callable[[Any, Any], Any], progress: Any = None) -> Any:
        data, meta = self.native.call(op, _encode(args), progress)
        return wrap(data, meta)

    def items(self, op: str, args: dict[str, Any]) -> Iterator[Any]:
        pages = _native.NativePages(self.native, op, _encode(args))
        while (page := pages.next_page()) is not None:
            yield from m.page(*page).items

    def rows(self, op: str, args: dict[str, Any]) -> Iterator[dict[str, str]]:
        batches = _native.NativePages(self.native, op, _encode(args))
        while (batch := batches.next_page()) is not None:
            yield from batch[0]

    def data(self, export_id: str, schema: Any) -> ExportData:
        return export_data(self.native, export_id, schema)


async def _settled(start: Callable[[asyncio.AbstractEventLoop, asyncio.Future[Any]], Any]) -> Any:
    """Awaits a native call that settles an asyncio future; cancelling the await cancels the
    call in the core too (the request, its retries and backoff)."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    task = start(loop, fut)
    try:
        return await fut
    except asyncio.CancelledError:
        task.cancel()
        raise


class _Async:
    def __init__(self, native: _native.NativeClient) -> None:
        self.native = native

    async def call(self, op: str, args: dict[str, Any], wrap: Callable[[Any, Any], Any], progress: Any = None) -> Any:
        encoded = _encode(args)
        data, meta = await _settled(lambda loop, fut: self.native.call_async(op, encoded, loop, fut, _settle, progress))
        return wrap(data, meta)

    async def items(self, op: str, args: dict[str, Any]) -> AsyncIterator[Any]:
        async for page in self._batches(op, args):
            for item in m.page(*page).items:
                yield item

    async def rows(self, op: str, args: dict[str, Any]) -> AsyncIterator[dict[str, str]]:
        async for batch in self._batches(op, args):
            for row in batch[0]:
                yield row

    async def data(self, export_id: str, schema: Any) -> ExportData:
        # Opening lists the artifacts and reads the first header: off the event loop.
        return await asyncio.to_thread(export_data, self.native, export_id, schema)

    async def _batches(self, op: str, args: dict[str, Any]) -> AsyncIterator[Any]:
        batches = _native.NativePages(self.native, op, _encode(args))
        while (batch := await _settled(lambda loop, fut: batches.next_page_async(loop, fut, _settle))) is not None:
            yield batch


class _Base:
    _runner_type: type = _Blocking

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._setup(_native.NativeClient(api_key, base_url, timeout, max_retries))

    def _setup(self, native: _native.NativeClient) -> None:
        self._native = native
        runner = self._runner_type(native)
        self.exchanges = r.ExchangesResource(runner)
        self.datastreams = r.DatastreamsResource(runner)
        self.subscriptions = r.SubscriptionsResource(runner)
        self.exports = r.ExportsResource(runner)
        self.export_schemas = r.ExportSchemasResource(runner)
        self.availability = r.AvailabilityResource(runner)
        self.billing = r.BillingResource(runner)

    @property
    def api_key(self) -> str:
        """The key as it may be shown: ``****`` and at most its last four characters."""
        return self._native.api_key_hint

    @api_key.setter
    def api_key(self, key: str) -> None:
        self._native.set_api_key(key)

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def timeout(self) -> float:
        return self._native.timeout

    @property
    def max_retries(self) -> int:
        return self._native.max_retries

    def with_options(
        self, *, api_key: str | None = None, timeout: float | None = None, max_retries: int | None = None
    ) -> Any:
        """A client with some options changed, sharing this one's connection pool."""
        clone = type(self).__new__(type(self))
        clone._setup(self._native.with_options(api_key, timeout, max_retries))
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self.api_key!r})"


class Client(_Base):
    """Blocking client. Calls release the GIL; one client can serve many threads."""

    def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base):
    """asyncio client: every call is awaitable; ``list_all`` methods are async iterators."""

    _runner_type = _Async

    async def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    aclose = close

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
