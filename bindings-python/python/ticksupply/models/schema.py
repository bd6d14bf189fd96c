"""Export schema models: what a schema returns, and what you build one with.

A schema's columns each extract either system metadata (``meta``) or, per exchange, a JSON path
of the raw message (``data``). ``unfold`` expands a JSON array into one row per element;
``derive`` synthesizes fields first. Build them as dicts or with these classes::

    price = JsonExtraction(path="data.p", type="decimal(18)")
    CreateSchemaColumnRequest(output_column="price", data={"binance": ExchangeExtractor(json=price)})
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ticksupply._models import BaseAPIModel, Field, _StrEnum

__all__ = [
    "BaseAPIModel",
    "CreateSchemaColumnRequest",
    "DeriveArrayInput",
    "DeriveField",
    "ExchangeExtractor",
    "ExportSchema",
    "ExportSchemaListItem",
    "ExportSchemaWithVersion",
    "JsonExtraction",
    "MetaExtraction",
    "StreamCategory",
    "UnfoldConfig",
]


class StreamCategory(_StrEnum):
    """The stream category a schema applies to. Values this version does not know come as plain
    ``str``."""

    TRADE = "trade"
    ORDERBOOK = "orderbook"
    BOOK_UPDATE = "book_update"
    QUOTE = "quote"
    KLINE = "kline"
    TICKER = "ticker"
    LIQUIDATION = "liquidation"


class MetaExtraction(BaseAPIModel):
    """A system metadata value (``collection_timestamp_ns``), in a time ``format``."""

    __slots__ = ()

    value: Literal["collection_timestamp_ns"]
    format: Literal["ns", "us", "ms", "s", "iso8601"] = "ns"


class JsonExtraction(BaseAPIModel):
    """A value of the raw JSON message: a dot-notation ``path`` and a ``type`` (``decimal(N)``,
    ``f64``, ``i64``, ``string``, ``bool``)."""

    __slots__ = ()

    path: str
    type: str


class ExchangeExtractor(BaseAPIModel):
    """One exchange's extraction rule. The API's ``json`` is the attribute ``json_``; the
    constructor takes ``json=`` (or ``json_=``). ``transform`` is an SQL expression of ``{v}``."""

    __slots__ = ()

    json_: JsonExtraction | None = Field(default=None, alias="json")
    transform: str | None = None


class CreateSchemaColumnRequest(BaseAPIModel):
    """One column of a schema: ``output_column``, and exactly one of ``meta`` or ``data``
    (exchange code -> rule)."""

    __slots__ = ()

    output_column: str
    meta: MetaExtraction | None = None
    data: dict[str, ExchangeExtractor] | None = None


class UnfoldConfig(BaseAPIModel):
    """One exchange's unfold rule: the ``path`` of a JSON array to expand into rows."""

    __slots__ = ()

    path: str


class DeriveArrayInput(BaseAPIModel):
    """An array input of a ``tagged_concat`` derived field."""

    __slots__ = ()

    path: str
    tag: str


class DeriveField(BaseAPIModel):
    """A field synthesized from the raw message before extraction."""

    __slots__ = ()

    field: str
    op: Literal["tagged_concat"]
    arrays: list[DeriveArrayInput]
    tag_field: str
    value_field: str


class ExportSchema(BaseAPIModel):
    """What every export schema response has: its identity."""

    __slots__ = ()

    id: str
    name: str
    stream_category: StreamCategory | str
    is_built_in: bool
    created_at: datetime


class ExportSchemaListItem(ExportSchema):
    """A schema as ``export_schemas.list`` returns it: the latest published ``version`` (0 if
    none) and whether a draft exists."""

    __slots__ = ()

    version: int
    has_draft: bool


class ExportSchemaWithVersion(ExportSchema):
    """A schema with the content of a version (the latest published one, or the draft)."""

    __slots__ = ()

    version: int
    has_draft: bool
    columns: list[CreateSchemaColumnRequest]
    unfold: dict[str, UnfoldConfig] | None = None
    derive: dict[str, list[DeriveField]] | None = None
