"""``AsyncClient``: the asyncio client over the Rust core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticksupply import _native
from ticksupply._base import BaseClient
from ticksupply._runner import Async
from ticksupply.resources import (
    AsyncAvailabilityResource,
    AsyncBillingResource,
    AsyncDatastreamsResource,
    AsyncExchangesResource,
    AsyncExportSchemasResource,
    AsyncExportsResource,
    AsyncSubscriptionsResource,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AsyncAvailabilityResource",
    "AsyncBillingResource",
    "AsyncClient",
    "AsyncDatastreamsResource",
    "AsyncExchangesResource",
    "AsyncExportSchemasResource",
    "AsyncExportsResource",
    "AsyncSubscriptionsResource",
]


class AsyncClient(BaseClient):
    """asyncio client: every call is awaitable; ``list_all`` methods are async iterators.

    Cancelling an awaiting task cancels the request in the core, retries included.
    """

    exchanges: AsyncExchangesResource
    datastreams: AsyncDatastreamsResource
    subscriptions: AsyncSubscriptionsResource
    exports: AsyncExportsResource
    export_schemas: AsyncExportSchemasResource
    availability: AsyncAvailabilityResource
    billing: AsyncBillingResource

    def _setup(self, native: _native.NativeClient) -> None:
        self._native = native
        runner = Async(native)
        self.exchanges = AsyncExchangesResource(runner)
        self.datastreams = AsyncDatastreamsResource(runner)
        self.subscriptions = AsyncSubscriptionsResource(runner)
        self.exports = AsyncExportsResource(runner)
        self.export_schemas = AsyncExportSchemasResource(runner)
        self.availability = AsyncAvailabilityResource(runner)
        self.billing = AsyncBillingResource(runner)

    async def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    async def aclose(self) -> None:
        """The same as ``close()``."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
