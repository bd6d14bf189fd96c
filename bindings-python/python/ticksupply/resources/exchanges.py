"""Exchanges: the catalog of exchanges, their instruments and per-instrument datastreams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from ticksupply import _models as m
from ticksupply.models.catalog import DatastreamInfo, Exchange, Instrument, PaginatedDatastreams, PaginatedInstruments
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = [
    "AsyncExchangesResource",
    "AsyncResource",
    "Exchange",
    "ExchangesResource",
    "PaginatedDatastreams",
    "PaginatedInstruments",
    "SyncResource",
]

_exchanges = m.many(Exchange)
_instruments = m.one(PaginatedInstruments)
_datastreams = m.one(PaginatedDatastreams)


def _instrument_args(
    exchange: str,
    search: str | None,
    base: str | None,
    quote: str | None,
    instrument_type: str | None,
    limit: int | None,
    page_token: str | None = None,
) -> dict[str, object]:
    return dict(
        exchange=exchange,
        search=search,
        base=base,
        quote=quote,
        instrument_type=instrument_type,
        limit=limit,
        page_token=page_token,
    )


def _datastream_args(
    exchange: str,
    instrument: str,
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


class ExchangesResource(SyncResource):
    """Exchanges, their instruments (``limit`` up to 1000, default 100) and datastreams."""

    def list(self) -> m.ModelList[Exchange]:
        """Every exchange."""
        return self._r.call("exchanges.list", {}, _exchanges)

    def list_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedInstruments:
        """One page of an exchange's instruments (``search``: a substring of the symbol)."""
        args = _instrument_args(exchange, search, base, quote, instrument_type, limit, page_token)
        return self._r.call("exchanges.list_instruments", args, _instruments)

    def list_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedDatastreams:
        """One page of the datastreams of one instrument."""
        args = _datastream_args(exchange, instrument, stream_type, wire_format, limit, page_token)
        return self._r.call("exchanges.list_datastreams", args, _datastreams)

    def list_all_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Instrument]:
        """Every instrument, page after page (filters and ``limit`` kept)."""
        args = _instrument_args(exchange, search, base, quote, instrument_type, limit)
        return self._r.items("exchanges.list_instruments", args, Instrument)

    def list_all_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> Iterator[DatastreamInfo]:
        """Every datastream of one instrument, page after page."""
        args = _datastream_args(exchange, instrument, stream_type, wire_format, limit)
        return self._r.items("exchanges.list_datastreams", args, DatastreamInfo)


class AsyncExchangesResource(AsyncResource):
    """Exchanges, their instruments (``limit`` up to 1000, default 100) and datastreams."""

    async def list(self) -> m.ModelList[Exchange]:
        """Every exchange."""
        return await self._r.call("exchanges.list", {}, _exchanges)

    async def list_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedInstruments:
        """One page of an exchange's instruments (``search``: a substring of the symbol)."""
        args = _instrument_args(exchange, search, base, quote, instrument_type, limit, page_token)
        return await self._r.call("exchanges.list_instruments", args, _instruments)

    async def list_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> PaginatedDatastreams:
        """One page of the datastreams of one instrument."""
        args = _datastream_args(exchange, instrument, stream_type, wire_format, limit, page_token)
        return await self._r.call("exchanges.list_datastreams", args, _datastreams)

    def list_all_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Instrument]:
        """Every instrument, page after page (filters and ``limit`` kept): ``async for``."""
        args = _instrument_args(exchange, search, base, quote, instrument_type, limit)
        return self._r.items("exchanges.list_instruments", args, Instrument)

    def list_all_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[DatastreamInfo]:
        """Every datastream of one instrument, page after page: ``async for``."""
        args = _datastream_args(exchange, instrument, stream_type, wire_format, limit)
        return self._r.items("exchanges.list_datastreams", args, DatastreamInfo)
