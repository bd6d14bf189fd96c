"""Datastreams across exchanges and instruments."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from ticksupply import _models as m
from ticksupply.models.catalog import DatastreamInfo, PaginatedDatastreams
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = ["AsyncDatastreamsResource", "AsyncResource", "DatastreamsResource", "PaginatedDatastreams", "SyncResource"]

_page = m.one(PaginatedDatastreams)


def _args(
    exchange: str | None,
    instrument: str | None,
    stream_type: str | None,
    wire_format: str | None,
    limit: int | None,
    page_token: str | None = None,
) -> dict[str, object]:
    return dict(
        exchange=exchange,
        instrument=instrument,
        stream_type=stream_type,
        wire_format=wire_format,
        limit=limit,
        page_token=page_token,
    )


class DatastreamsResource(SyncResource):
    """Datastreams, filtered by exchange, instrument, stream type and wire format."""

    def list(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedDatastreams:
        """One page of datastreams."""
        args = _args(exchange, instrument, stream_type, wire_format, limit, page_token)
        return self._r.call("datastreams.list", args, _page)

    def list_all(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> Iterator[DatastreamInfo]:
        """Every datastream, page after page (filters and ``limit`` kept)."""
        args = _args(exchange, instrument, stream_type, wire_format, limit)
        return self._r.items("datastreams.list", args, DatastreamInfo)


class AsyncDatastreamsResource(AsyncResource):
    """Datastreams, filtered by exchange, instrument, stream type and wire format."""

    async def list(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedDatastreams:
        """One page of datastreams."""
        args = _args(exchange, instrument, stream_type, wire_format, limit, page_token)
        return await self._r.call("datastreams.list", args, _page)

    def list_all(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[DatastreamInfo]:
        """Every datastream, page after page (filters and ``limit`` kept): ``async for``."""
        args = _args(exchange, instrument, stream_type, wire_format, limit)
        return self._r.items("datastreams.list", args, DatastreamInfo)
