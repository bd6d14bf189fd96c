"""Results: attribute access over the API's JSON, with request_id and rate_limit attached.

Field names are the API's (as the official client's models); unknown fields and unknown enum
values are kept. Control-plane times become timezone-aware datetimes on access.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ticksupply._native import Meta

_DATETIMES = frozenset(
    {"created_at", "started_at", "finished_at", "ended_at", "updated_at", "grace_until", "current_period_end"}
)
# Fields the official models expose under another name.
_ALIASES = {"from_ns": "from", "to_ns": "to", "json_": "json"}
# Optional fields: None when the server leaves them out.
_OPTIONAL = frozenset(
    {
        "reason",
        "started_at",
        "finished_at",
        "ended_at",
        "grace_until",
        "plan_code",
        "current_period_end",
        "datastream",
        "base",
        "quote",
        "instrument_type",
        "unfold",
        "derive",
        "format_options",
        "next_page_token",
        "details",
        "transform",
        "format",
        "total",
        "limit",
    }
)


def _datetime(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return v
    return v


def _wrap(v: Any) -> Any:
    if isinstance(v, dict):
        return Model(v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


class Model:
    """One API object. ``to_dict()`` gives the JSON as received."""

    __slots__ = ("_d", "_meta")

    def __init__(self, data: dict[str, Any], meta: Meta | None = None) -> None:
        self._d = data
        self._meta = meta

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` of the response this came from."""
        return None if self._meta is None else self._meta.request_id

    @property
    def rate_limit(self) -> RateLimit | None:
        """The response's ``X-RateLimit-*`` headers."""
        return None if self._meta is None else RateLimit(self._meta.rate_limit)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._d, self._meta))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # an unset slot or a protocol lookup: never an API field
            raise AttributeError(name)
        d = self._d
        key = _ALIASES.get(name, name)
        if key in d:
            v = d[key]
            return _datetime(v) if key in _DATETIMES else _wrap(v)
        computed = _COMPUTED.get(name)
        if computed is not None:
            return computed(self)
        if name in _OPTIONAL:
            return None
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return _copy(self._d)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return self._d == other._d
        if isinstance(other, dict):
            return self._d == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._d.items() if not isinstance(v, (dict, list)))
        return f"{type(self).__name__}({fields})"

    def __dir__(self) -> list[str]:
        return sorted(set(self._d) | {"to_dict", "request_id", "rate_limit"})


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _artifacts(m: Model) -> list[Any]:
    return m._d.get("artifacts") or []


_COMPUTED = {
    "has_next": lambda m: bool(m._d.get("next_page_token")),
    "is_single_file": lambda m: len(_artifacts(m)) == 1,
    "url": lambda m: _artifacts(m)[0]["url"] if len(_artifacts(m)) == 1 else None,
    "export_gb_total_decimal": lambda m: Decimal(m._d["export_gb_total"]),
}


class Page(Model):
    """A page of a list: ``items``, ``total``, ``limit``, ``next_page_token``, ``has_next``."""

    __slots__ = ("items",)

    def __init__(self, data: dict[str, Any], meta: Meta | None = None) -> None:
        super().__init__(data, meta)
        self.items = [Model(x) for x in data.get("items") or []]


class ModelList(list):  # type: ignore[type-arg]
    """A list result (exchanges, spans, schemas) with the response's request_id and rate_limit."""

    def __init__(self, items: list[Any], meta: Meta) -> None:
        super().__init__([Model(x) if type(x) is dict else _wrap(x) for x in items])
        self._meta = meta

    @property
    def request_id(self) -> str | None:
        return self._meta.request_id

    @property
    def rate_limit(self) -> RateLimit:
        return RateLimit(self._meta.rate_limit)


class RateLimit:
    """The ``X-RateLimit-*`` headers of a response (None where absent)."""

    __slots__ = ("limit_minute", "remaining_minute", "reset_minute", "limit_hour", "remaining_hour", "reset_hour")

    def __init__(self, d: dict[str, int | None]) -> None:
        for k in self.__slots__:
            setattr(self, k, d.get(k))

    def __repr__(self) -> str:
        return "RateLimit(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


def model(data: Any, meta: Meta) -> Any:
    return Model(data, meta) if isinstance(data, dict) else data


def page(data: Any, meta: Meta) -> Page:
    return Page(data, meta)


def model_list(data: Any, meta: Meta) -> ModelList:
    return ModelList(data, meta)


def nothing(data: Any, meta: Meta) -> None:
    return None
