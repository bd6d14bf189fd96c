"""What ``Client`` and ``AsyncClient`` share: the native client and its options."""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from ticksupply import _native

if TYPE_CHECKING:
    from typing_extensions import Self

# Stop the core's threads before the interpreter tears down.
atexit.register(_native._shutdown)


class BaseClient:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        profile: str | None = None,
    ) -> None:
        self._setup(_native.NativeClient(api_key, base_url, timeout, max_retries, profile=profile))

    def _setup(self, native: _native.NativeClient) -> None:
        raise NotImplementedError

    @property
    def api_key(self) -> str:
        """The key as it may be shown: ``****`` and at most its last four characters."""
        return self._native.api_key_hint

    @api_key.setter
    def api_key(self, key: str) -> None:
        self._native.set_api_key(key)

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def timeout(self) -> float:
        return self._native.timeout

    @property
    def max_retries(self) -> int:
        return self._native.max_retries

    def with_options(
        self, *, api_key: str | None = None, timeout: float | None = None, max_retries: int | None = None
    ) -> Self:
        """A client with some options changed, sharing this one's connection pool."""
        clone = type(self).__new__(type(self))
        clone._setup(self._native.with_options(api_key, timeout, max_retries))
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self.api_key!r})"

    if TYPE_CHECKING:
        _native: _native.NativeClient
