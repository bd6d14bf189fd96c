"""Billing models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ticksupply._models import BaseAPIModel, _StrEnum

__all__ = ["AccessStatus", "BaseAPIModel", "BillingSummary", "BillingUsage"]


class AccessStatus(_StrEnum):
    """An account's access state. Values this version does not know come as plain ``str``."""

    ACTIVE = "ACTIVE"
    TRIALING = "TRIALING"
    GRACE = "GRACE"
    SUSPENDED = "SUSPENDED"
    NONE = "NONE"


class BillingUsage(BaseAPIModel):
    """Usage of the current period. ``export_gb_total`` is a decimal string (GiB):
    ``export_gb_total_decimal`` is it as a ``Decimal``."""

    __slots__ = ()

    extra_stream_minutes_total: int
    export_gb_total: str
    export_gb_extra: int

    @property
    def export_gb_total_decimal(self) -> Decimal:
        """``export_gb_total`` as an exact ``Decimal``."""
        v = self.export_gb_total
        return Decimal(v if isinstance(v, str) else str(v))


class BillingSummary(BaseAPIModel):
    """Access state, plan and usage of the current billing period."""

    __slots__ = ()

    access_status: AccessStatus | str
    grace_until: datetime | None = None
    plan_code: str | None = None
    current_period_end: datetime | None = None
    usage: BillingUsage
