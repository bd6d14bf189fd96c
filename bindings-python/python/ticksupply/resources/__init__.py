"""The API's resources, as ``client.exchanges``, ``client.exports``, … : one class for ``Client``
and one (``Async…``, with awaitable methods) for ``AsyncClient``."""

from __future__ import annotations

from ticksupply.resources.availability import AsyncAvailabilityResource, AvailabilityResource
from ticksupply.resources.billing import AsyncBillingResource, BillingResource
from ticksupply.resources.datastreams import AsyncDatastreamsResource, DatastreamsResource
from ticksupply.resources.exchanges import AsyncExchangesResource, ExchangesResource
from ticksupply.resources.export_schemas import AsyncExportSchemasResource, ExportSchemasResource
from ticksupply.resources.exports import AsyncExportsResource, ExportsResource
from ticksupply.resources.subscriptions import AsyncSubscriptionsResource, SubscriptionsResource

__all__ = [
    "AsyncAvailabilityResource",
    "AsyncBillingResource",
    "AsyncDatastreamsResource",
    "AsyncExchangesResource",
    "AsyncExportSchemasResource",
    "AsyncExportsResource",
    "AsyncSubscriptionsResource",
    "AvailabilityResource",
    "BillingResource",
    "DatastreamsResource",
    "ExchangesResource",
    "ExportSchemasResource",
    "ExportsResource",
    "SubscriptionsResource",
]
