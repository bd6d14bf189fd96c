"""Models shared across the API: the base class of every result, and the error envelope."""

from __future__ import annotations

from typing import Any

from ticksupply._models import BaseAPIModel

__all__ = ["BaseAPIModel", "ErrorDetail", "ErrorResponse"]


class ErrorDetail(BaseAPIModel):
    """The ``error`` object of an error response. The request id is not in the body: it is the
    ``X-Request-Id`` header, on every exception as ``request_id``."""

    __slots__ = ()

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseAPIModel):
    """An error response body: ``{"error": {...}}``."""

    __slots__ = ()

    error: ErrorDetail
