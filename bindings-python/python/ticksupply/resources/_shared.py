"""Argument shaping shared by the sync and async resources."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from ticksupply import _native
from ticksupply.models.schema import CreateSchemaColumnRequest, DeriveField, UnfoldConfig

# A timestamp: a datetime (naive ones are UTC), an int of nanoseconds since the epoch, or a
# string (ISO 8601, or nanoseconds).
Timestamp = datetime | int | str
# Schema content, as models or plain dicts (JSON names).
Columns = Sequence[CreateSchemaColumnRequest | Mapping[str, Any]]
UnfoldMap = Mapping[str, UnfoldConfig | Mapping[str, Any]]
DeriveMap = Mapping[str, Sequence[DeriveField | Mapping[str, Any]]]
# A schema reference: "raw", a built-in name ("normalized"), a schema id ("sch_..."), or inline
# content ({"columns": [...], "unfold": {...}, "derive": {...}}, items as models or dicts).
SchemaRef = str | Mapping[str, Any]


def time_arg(v: Timestamp) -> int | str:
    if isinstance(v, bool):
        raise TypeError("a timestamp must be a datetime, an int of nanoseconds or a string")
    if isinstance(v, datetime):
        # Sent as ISO 8601 text: exact to the microsecond, no float arithmetic.
        # A naive datetime is taken as UTC, as the official client does.
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(v, (int, str)):
        return v
    raise TypeError("a timestamp must be a datetime, an int of nanoseconds or a string")


def content(columns: Columns | None, unfold: UnfoldMap | None, derive: DeriveMap | None) -> dict[str, Any]:
    return {"columns": columns, "unfold": unfold, "derive": derive}


def category(stream_category: Any) -> str:
    return str(stream_category.value if isinstance(stream_category, Enum) else stream_category)


def jsonable(v: Any) -> Any:
    """Models (ours or pydantic), enums and datetimes inside a value as JSON data."""
    dump = getattr(v, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def paths(data: Any, meta: _native.Meta) -> list[Path]:
    return [Path(p) for p in data]


def progress_arg(progress: Any) -> tuple[Callable[[int, int], object] | None, Callable[[], object] | None]:
    """The callback to hand the core, and what closes it after the download (a tqdm bar)."""
    if progress is None or progress is False:
        return None, None
    if progress is True:
        try:
            tqdm: Any = importlib.import_module("tqdm").tqdm  # optional
        except ImportError:
            return None, None
        bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="download")

        def report(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return report, bar.close
    if callable(progress):
        return progress, None
    raise TypeError("progress must be a callable (done_bytes, total_bytes), True or None")
