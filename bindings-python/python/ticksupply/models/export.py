"""Export job, download and availability models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ticksupply._models import BaseAPIModel, Field, _StrEnum
from ticksupply.models.catalog import DatastreamInfo, _Page

__all__ = [
    "ArtifactDownload",
    "AvailabilityRange",
    "AvailabilityResponse",
    "BaseAPIModel",
    "DatastreamInfo",
    "ExportDownloadResponse",
    "ExportJob",
    "ExportStatus",
    "PaginatedExportJobs",
]


class ExportStatus(_StrEnum):
    """An export job's status. Values this version does not know come as plain ``str``."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    DELETED = "deleted"


class ExportJob(BaseAPIModel):
    """An export job. ``start_time``/``end_time`` are nanoseconds since the Unix epoch (exact
    ``int``s); ``reason`` is set when it failed."""

    __slots__ = ()

    id: str
    datastream_id: int
    start_time: int
    end_time: int
    format: str
    status: ExportStatus | str
    reason: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    format_options: dict[str, Any] | None = None


class PaginatedExportJobs(_Page):
    """A page of export jobs: ``items``, ``total``, ``limit``, ``next_page_token``, ``has_next``."""

    __slots__ = ()

    items: list[ExportJob]
    total: int
    limit: int
    next_page_token: str | None = None


class ArtifactDownload(BaseAPIModel):
    """One artifact of an export: a presigned ``url`` (valid for minutes, fetched without the
    API key), its size in ``bytes`` and a ``filename``."""

    __slots__ = ()

    id: str
    url: str
    bytes: int
    filename: str


class ExportDownloadResponse(BaseAPIModel):
    """The artifacts of a succeeded export, with their ``count`` and ``total_bytes``."""

    __slots__ = ()

    artifacts: list[ArtifactDownload]
    count: int
    total_bytes: int

    @property
    def is_single_file(self) -> bool:
        """Whether the export is one file."""
        return len(self._d.get("artifacts") or ()) == 1

    @property
    def url(self) -> str | None:
        """The single artifact's URL; None when the export is split into several."""
        artifacts: list[dict[str, Any]] = self._d.get("artifacts") or []
        url: str | None = artifacts[0].get("url") if len(artifacts) == 1 else None
        return url


class AvailabilityRange(BaseAPIModel):
    """A range with data: ``from_ns`` to ``to_ns`` (the API's ``from``/``to``, nanoseconds)."""

    __slots__ = ()

    from_ns: int = Field(alias="from")
    to_ns: int = Field(alias="to")
    rows_estimate: int


class AvailabilityResponse(BaseAPIModel):
    """The ranges of a datastream with data, and when they were last computed."""

    __slots__ = ()

    datastream: DatastreamInfo
    ranges: list[AvailabilityRange]
    updated_at: datetime
