"""Ticksupply market data API client, on one Rust core.

A drop-in for the official ``ticksupply`` 0.2.0 client::

    from ticksupply import Client
    client = Client()                      # key from TICKSUPPLY_API_KEY or your default profile
    for exchange in client.exchanges.list():
        print(exchange.code, exchange.display_name)
"""

from __future__ import annotations

from ticksupply import _native
from ticksupply._data import ExportData, read_artifacts
from ticksupply.client import AsyncClient, Client
from ticksupply.exceptions import (
    APIError,
    APITimeoutError,
    AuthenticationError,
    CanceledError,
    ConfigurationError,
    ConflictError,
    DataError,
    DecodeError,
    DownloadError,
    ExportFailedError,
    InvalidArgumentError,
    NetworkError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TicksupplyError,
)

# One version for the crate, the wheel and the npm package: the Cargo workspace's.
__version__: str = _native.CORE_VERSION

__all__ = [
    "Client",
    "AsyncClient",
    "TicksupplyError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "PaymentRequiredError",
    "InvalidArgumentError",
    "ServerError",
    "DecodeError",
    "NetworkError",
    "APITimeoutError",
    "ConfigurationError",
    "CanceledError",
    "ExportFailedError",
    "DownloadError",
    "DataError",
    "ExportData",
    "read_artifacts",
]
