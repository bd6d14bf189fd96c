"""Subscriptions: collection of a datastream, paused, resumed or deleted, with its spans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from ticksupply import _models as m
from ticksupply.models.subscription import (
    PaginatedSubscriptions,
    Subscription,
    SubscriptionResponse,
    SubscriptionSpan,
)
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = [
    "AsyncResource",
    "AsyncSubscriptionsResource",
    "PaginatedSubscriptions",
    "Subscription",
    "SubscriptionResponse",
    "SubscriptionSpan",
    "SubscriptionsResource",
    "SyncResource",
]

_page = m.one(PaginatedSubscriptions)
_subscription = m.one(Subscription)
_created = m.one(SubscriptionResponse)
_spans = m.many(SubscriptionSpan)


class SubscriptionsResource(SyncResource):
    """Subscriptions (``limit`` up to 100, default 50). Every write takes an ``idempotency_key``
    (a UUID; one is made per call otherwise, and reused on its retries)."""

    def list(self, *, limit: int | None = None, page_token: str | None = None) -> PaginatedSubscriptions:
        """One page of subscriptions."""
        return self._r.call("subscriptions.list", dict(limit=limit, page_token=page_token), _page)

    def list_all(self, *, limit: int | None = None) -> Iterator[Subscription]:
        """Every subscription, page after page."""
        return self._r.items("subscriptions.list", dict(limit=limit), Subscription)

    def get(self, subscription_id: str) -> Subscription:
        """One subscription."""
        return self._r.call("subscriptions.get", dict(id=subscription_id), _subscription)

    def create(self, datastream_id: int, *, idempotency_key: str | None = None) -> SubscriptionResponse:
        """Subscribes to a datastream; collection starts at once (``spans`` is empty on create)."""
        args = dict(datastream_id=datastream_id, idempotency_key=idempotency_key)
        return self._r.call("subscriptions.create", args, _created)

    def delete(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Stops collection for good (exports of the datastream then need a new subscription)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return self._r.call("subscriptions.delete", args, m.nothing)

    def pause(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Pauses collection (idempotent)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return self._r.call("subscriptions.pause", args, m.nothing)

    def resume(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Resumes a paused subscription (idempotent)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return self._r.call("subscriptions.resume", args, m.nothing)

    def list_spans(self, subscription_id: str) -> m.ModelList[SubscriptionSpan]:
        """The time spans the subscription collected data over (what exports can cover)."""
        return self._r.call("subscriptions.list_spans", dict(id=subscription_id), _spans)


class AsyncSubscriptionsResource(AsyncResource):
    """Subscriptions (``limit`` up to 100, default 50). Every write takes an ``idempotency_key``
    (a UUID; one is made per call otherwise, and reused on its retries)."""

    async def list(self, *, limit: int | None = None, page_token: str | None = None) -> PaginatedSubscriptions:
        """One page of subscriptions."""
        return await self._r.call("subscriptions.list", dict(limit=limit, page_token=page_token), _page)

    def list_all(self, *, limit: int | None = None) -> AsyncIterator[Subscription]:
        """Every subscription, page after page: ``async for``."""
        return self._r.items("subscriptions.list", dict(limit=limit), Subscription)

    async def get(self, subscription_id: str) -> Subscription:
        """One subscription."""
        return await self._r.call("subscriptions.get", dict(id=subscription_id), _subscription)

    async def create(self, datastream_id: int, *, idempotency_key: str | None = None) -> SubscriptionResponse:
        """Subscribes to a datastream; collection starts at once (``spans`` is empty on create)."""
        args = dict(datastream_id=datastream_id, idempotency_key=idempotency_key)
        return await self._r.call("subscriptions.create", args, _created)

    async def delete(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Stops collection for good (exports of the datastream then need a new subscription)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return await self._r.call("subscriptions.delete", args, m.nothing)

    async def pause(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Pauses collection (idempotent)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return await self._r.call("subscriptions.pause", args, m.nothing)

    async def resume(self, subscription_id: str, *, idempotency_key: str | None = None) -> None:
        """Resumes a paused subscription (idempotent)."""
        args = dict(id=subscription_id, idempotency_key=idempotency_key)
        return await self._r.call("subscriptions.resume", args, m.nothing)

    async def list_spans(self, subscription_id: str) -> m.ModelList[SubscriptionSpan]:
        """The time spans the subscription collected data over (what exports can cover)."""
        return await self._r.call("subscriptions.list_spans", dict(id=subscription_id), _spans)
