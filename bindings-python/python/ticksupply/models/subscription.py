"""Subscription models."""

from __future__ import annotations

from datetime import datetime

from ticksupply._models import BaseAPIModel, _StrEnum
from ticksupply.models.catalog import DatastreamInfo, _Page

__all__ = [
    "BaseAPIModel",
    "DatastreamInfo",
    "PaginatedSubscriptions",
    "Subscription",
    "SubscriptionResponse",
    "SubscriptionSpan",
    "SubscriptionStatus",
]


class SubscriptionStatus(_StrEnum):
    """A subscription's status. Values this version does not know come as plain ``str``."""

    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"


class SubscriptionSpan(BaseAPIModel):
    """A time span during which a subscription collected data (``ended_at`` None while open)."""

    __slots__ = ()

    id: str
    started_at: datetime
    ended_at: datetime | None = None


class SubscriptionResponse(BaseAPIModel):
    """A subscription as ``subscriptions.create`` returns it, with its datastream (``spans`` is
    empty on create: ``subscriptions.list_spans`` has them)."""

    __slots__ = ()

    id: str
    status: SubscriptionStatus | str
    datastream: DatastreamInfo
    created_at: datetime
    spans: list[SubscriptionSpan]


class Subscription(BaseAPIModel):
    """A subscription as ``get`` and ``list`` return it."""

    __slots__ = ()

    id: str
    datastream_id: int
    status: SubscriptionStatus | str
    created_at: datetime
    datastream: DatastreamInfo | None = None


class PaginatedSubscriptions(_Page):
    """A page of subscriptions: ``items``, ``total``, ``limit``, ``next_page_token``, ``has_next``."""

    __slots__ = ()

    items: list[Subscription]
    total: int
    limit: int
    next_page_token: str | None = None
