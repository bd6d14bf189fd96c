"""``Client``: the blocking client over the Rust core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticksupply import _native
from ticksupply._base import BaseClient
from ticksupply._runner import Blocking
from ticksupply.async_client import AsyncClient
from ticksupply.resources import (
    AvailabilityResource,
    BillingResource,
    DatastreamsResource,
    ExchangesResource,
    ExportSchemasResource,
    ExportsResource,
    SubscriptionsResource,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "AsyncClient",
    "AvailabilityResource",
    "BillingResource",
    "Client",
    "DatastreamsResource",
    "ExchangesResource",
    "ExportSchemasResource",
    "ExportsResource",
    "SubscriptionsResource",
]


class Client(BaseClient):
    """Blocking client. Calls release the GIL; one client can serve many threads.

    ``Client(api_key=None, *, base_url=None, timeout=None, max_retries=None, profile=None)``:
    without ``api_key`` or ``profile``, the key from ``TICKSUPPLY_API_KEY``, else the profile
    named by ``TICKSUPPLY_PROFILE``, else the default profile (``ticksupply auth login`` stores
    them); the URL from the profile, else ``TICKSUPPLY_BASE_URL``.
    """

    exchanges: ExchangesResource
    datastreams: DatastreamsResource
    subscriptions: SubscriptionsResource
    exports: ExportsResource
    export_schemas: ExportSchemasResource
    availability: AvailabilityResource
    billing: BillingResource

    def _setup(self, native: _native.NativeClient) -> None:
        self._native = native
        runner = Blocking(native)
        self.exchanges = ExchangesResource(runner)
        self.datastreams = DatastreamsResource(runner)
        self.subscriptions = SubscriptionsResource(runner)
        self.exports = ExportsResource(runner)
        self.export_schemas = ExportSchemasResource(runner)
        self.availability = AvailabilityResource(runner)
        self.billing = BillingResource(runner)

    def close(self) -> None:
        """Nothing to release eagerly: connections close when the client is collected."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
