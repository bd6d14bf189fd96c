"""Availability: the time ranges of a datastream with data."""

from __future__ import annotations

from ticksupply import _models as m
from ticksupply.models.export import AvailabilityResponse
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = ["AsyncAvailabilityResource", "AsyncResource", "AvailabilityResource", "AvailabilityResponse", "SyncResource"]

_availability = m.one(AvailabilityResponse)


class AvailabilityResource(SyncResource):
    """Which time ranges of a datastream have data."""

    def get(self, datastream_id: int) -> AvailabilityResponse:
        """The ranges with data (``from_ns``/``to_ns`` nanoseconds) and when they were computed."""
        return self._r.call("availability.get", dict(datastream_id=datastream_id), _availability)


class AsyncAvailabilityResource(AsyncResource):
    """Which time ranges of a datastream have data."""

    async def get(self, datastream_id: int) -> AvailabilityResponse:
        """The ranges with data (``from_ns``/``to_ns`` nanoseconds) and when they were computed."""
        return await self._r.call("availability.get", dict(datastream_id=datastream_id), _availability)
