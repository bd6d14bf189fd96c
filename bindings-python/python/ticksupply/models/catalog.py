"""Catalog models: exchanges, instruments and datastreams, and their pages."""

from __future__ import annotations

from ticksupply._models import BaseAPIModel

__all__ = ["BaseAPIModel", "DatastreamInfo", "Exchange", "Instrument", "PaginatedDatastreams", "PaginatedInstruments"]


class Exchange(BaseAPIModel):
    """An exchange: ``code`` (``binance``) and ``display_name`` (``Binance``)."""

    __slots__ = ()

    code: str
    display_name: str


class Instrument(BaseAPIModel):
    """A trading instrument (symbol) of an exchange."""

    __slots__ = ()

    symbol: str
    base: str | None = None
    quote: str | None = None
    instrument_type: str | None = None


class DatastreamInfo(BaseAPIModel):
    """A datastream: what subscriptions and exports name by ``datastream_id``."""

    __slots__ = ()

    datastream_id: int
    exchange: str
    instrument: str
    stream_type: str
    wire_format: str


class _Page(BaseAPIModel):
    __slots__ = ()

    _absent_is_none = frozenset({"total", "limit"})

    @property
    def has_next(self) -> bool:
        """Whether a next page exists (a non-empty ``next_page_token``)."""
        return bool(self._d.get("next_page_token"))


class PaginatedInstruments(_Page):
    """A page of instruments: ``items``, ``total``, ``limit``, ``next_page_token``, ``has_next``."""

    __slots__ = ()

    items: list[Instrument]
    total: int
    limit: int
    next_page_token: str | None = None


class PaginatedDatastreams(_Page):
    """A page of datastreams: ``items``, ``total``, ``limit``, ``next_page_token``, ``has_next``."""

    __slots__ = ()

    items: list[DatastreamInfo]
    total: int
    limit: int
    next_page_token: str | None = None
