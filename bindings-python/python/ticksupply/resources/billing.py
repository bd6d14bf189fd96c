"""Billing: the account's access state, plan and usage."""

from __future__ import annotations

from ticksupply import _models as m
from ticksupply.models.billing import BillingSummary
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = ["AsyncBillingResource", "AsyncResource", "BillingResource", "BillingSummary", "SyncResource"]

_summary = m.one(BillingSummary)


class BillingResource(SyncResource):
    """The account's billing state."""

    def get_summary(self) -> BillingSummary:
        """Access state, plan and usage of the current period."""
        return self._r.call("billing.get_summary", {}, _summary)


class AsyncBillingResource(AsyncResource):
    """The account's billing state."""

    async def get_summary(self) -> BillingSummary:
        """Access state, plan and usage of the current period."""
        return await self._r.call("billing.get_summary", {}, _summary)
