"""Exports: jobs that cut a datastream's data into downloadable artifacts, and the helpers that
wait for them, download them and read their rows."""

from __future__ import annotations

import builtins
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ticksupply import _models as m
from ticksupply._data import ExportData
from ticksupply.models.export import ExportDownloadResponse, ExportJob, PaginatedExportJobs
from ticksupply.models.schema import ExportSchemaWithVersion
from ticksupply.resources._shared import SchemaRef, Timestamp, jsonable, paths, progress_arg, time_arg
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = [
    "AsyncExportsResource",
    "AsyncResource",
    "ExportDownloadResponse",
    "ExportJob",
    "ExportsResource",
    "PaginatedExportJobs",
    "SchemaRef",
    "SyncResource",
    "Timestamp",
]

# What exports.data reads rows as: a schema reference, or a schema returned by export_schemas.
DataSchema = SchemaRef | ExportSchemaWithVersion
# exports.download's progress: a callable (done_bytes, total_bytes), or True for a tqdm bar.
DownloadProgress = Callable[[int, int], object] | bool | None

_page = m.one(PaginatedExportJobs)
_job = m.one(ExportJob)
_download = m.one(ExportDownloadResponse)


def _create_args(
    datastream_id: int,
    start_time: Timestamp,
    end_time: Timestamp,
    schema: SchemaRef | None,
    format: str | None,
    format_options: Mapping[str, Any] | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    return dict(
        datastream_id=datastream_id,
        start_time=time_arg(start_time),
        end_time=time_arg(end_time),
        schema=schema,
        format=format,
        format_options=format_options,
        idempotency_key=idempotency_key,
    )


def _download_args(
    export_id: str, dest_dir: str | os.PathLike[str], overwrite: bool, concurrency: int | None, durable: bool
) -> dict[str, Any]:
    return dict(id=export_id, dest_dir=str(dest_dir), overwrite=overwrite, concurrency=concurrency, durable=durable)


def _data_schema(schema: DataSchema | None) -> Any:
    # Models inside an inline schema become JSON here: the data reader takes JSON data.
    return schema if schema is None or isinstance(schema, str) else jsonable(schema)


class ExportsResource(SyncResource):
    """Export jobs (``limit`` up to 100, default 50). Every write takes an ``idempotency_key``."""

    def list(self, *, limit: int | None = None, page_token: str | None = None) -> PaginatedExportJobs:
        """One page of export jobs."""
        return self._r.call("exports.list", dict(limit=limit, page_token=page_token), _page)

    def list_all(self, *, limit: int | None = None) -> Iterator[ExportJob]:
        """Every export job, page after page."""
        return self._r.items("exports.list", dict(limit=limit), ExportJob)

    def get(self, export_id: str) -> ExportJob:
        """One export job."""
        return self._r.call("exports.get", dict(id=export_id), _job)

    def create(
        self,
        datastream_id: int,
        start_time: Timestamp,
        end_time: Timestamp,
        *,
        schema: SchemaRef | None = None,
        format: str | None = None,
        format_options: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ExportJob:
        """Starts an export of ``[start_time, end_time)`` (datetimes, naive ones UTC; int
        nanoseconds; or strings, sent exactly). ``schema``: ``"raw"`` (default), a built-in name,
        a ``sch_`` id or inline content whose items may be models or dicts. ``format``: ``"csv"``
        (default) or ``"parquet"``."""
        args = _create_args(datastream_id, start_time, end_time, schema, format, format_options, idempotency_key)
        return self._r.call("exports.create", args, _job)

    def get_download(self, export_id: str) -> ExportDownloadResponse:
        """Presigned URLs of a succeeded export's artifacts (valid for about 5 minutes)."""
        return self._r.call("exports.get_download", dict(id=export_id), _download)

    def delete(self, export_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes an export job (idempotent)."""
        return self._r.call("exports.delete", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    def cancel(self, export_id: str, *, idempotency_key: str | None = None) -> None:
        """Cancels a queued or running export (idempotent)."""
        return self._r.call("exports.cancel", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    def wait(self, export_id: str, timeout: float = 900.0, poll_interval: float = 1.0) -> ExportJob:
        """Polls with growing intervals until the export succeeded and returns it; raises
        ``ExportFailedError`` when it ends otherwise, ``APITimeoutError`` after ``timeout`` s."""
        args = dict(id=export_id, timeout=timeout, poll_interval=poll_interval)
        return self._r.call("exports.wait", args, _job)

    def download(
        self,
        export_id: str,
        dest_dir: str | os.PathLike[str],
        progress: DownloadProgress = None,
        *,
        overwrite: bool = False,
        concurrency: int | None = None,
        durable: bool = False,
    ) -> builtins.list[Path]:
        """Streams every artifact into ``dest_dir``; returns their paths.

        ``progress``: a callable ``(done_bytes, total_bytes)``, or ``True`` for a tqdm bar when
        tqdm is installed. ``durable=True`` flushes each file to the disk before renaming it.
        """
        report, close = progress_arg(progress)
        try:
            args = _download_args(export_id, dest_dir, overwrite, concurrency, durable)
            return self._r.call("exports.download", args, paths, report)
        finally:
            if close is not None:
                close()

    def iter_rows(self, export_id: str) -> Iterator[dict[str, str]]:
        """Every row of a succeeded export as a dict keyed by the CSV header, parsed in the core
        from the gzip artifacts without writing a file."""
        return self._r.rows("exports.rows", dict(id=export_id))

    def data(self, export_id: str, *, schema: DataSchema | None = None) -> ExportData:
        """The export's rows as Arrow data (``ExportData``), typed from ``schema``: a name
        (``"raw"``, ``"normalized"``, yours), a ``sch_`` id, inline content or a schema from
        ``export_schemas``. Decoded in the core while the artifacts download.

        ``pl.DataFrame(d)``, ``pa.table(d)``, ``duckdb.sql("select * from d")``, or
        ``d.to_polars()``, ``d.to_pandas()``, ``d.to_arrow()``, ``d.iter_batches()``,
        ``d.to_parquet(path)``.
        """
        return self._r.data(export_id, _data_schema(schema))


class AsyncExportsResource(AsyncResource):
    """Export jobs (``limit`` up to 100, default 50). Every write takes an ``idempotency_key``."""

    async def list(self, *, limit: int | None = None, page_token: str | None = None) -> PaginatedExportJobs:
        """One page of export jobs."""
        return await self._r.call("exports.list", dict(limit=limit, page_token=page_token), _page)

    def list_all(self, *, limit: int | None = None) -> AsyncIterator[ExportJob]:
        """Every export job, page after page: ``async for``."""
        return self._r.items("exports.list", dict(limit=limit), ExportJob)

    async def get(self, export_id: str) -> ExportJob:
        """One export job."""
        return await self._r.call("exports.get", dict(id=export_id), _job)

    async def create(
        self,
        datastream_id: int,
        start_time: Timestamp,
        end_time: Timestamp,
        *,
        schema: SchemaRef | None = None,
        format: str | None = None,
        format_options: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ExportJob:
        """Starts an export of ``[start_time, end_time)`` (datetimes, naive ones UTC; int
        nanoseconds; or strings, sent exactly). ``schema``: ``"raw"`` (default), a built-in name,
        a ``sch_`` id or inline content whose items may be models or dicts. ``format``: ``"csv"``
        (default) or ``"parquet"``."""
        args = _create_args(datastream_id, start_time, end_time, schema, format, format_options, idempotency_key)
        return await self._r.call("exports.create", args, _job)

    async def get_download(self, export_id: str) -> ExportDownloadResponse:
        """Presigned URLs of a succeeded export's artifacts (valid for about 5 minutes)."""
        return await self._r.call("exports.get_download", dict(id=export_id), _download)

    async def delete(self, export_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes an export job (idempotent)."""
        return await self._r.call("exports.delete", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    async def cancel(self, export_id: str, *, idempotency_key: str | None = None) -> None:
        """Cancels a queued or running export (idempotent)."""
        return await self._r.call("exports.cancel", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    async def wait(self, export_id: str, timeout: float = 900.0, poll_interval: float = 1.0) -> ExportJob:
        """Polls with growing intervals until the export succeeded and returns it; raises
        ``ExportFailedError`` when it ends otherwise, ``APITimeoutError`` after ``timeout`` s."""
        args = dict(id=export_id, timeout=timeout, poll_interval=poll_interval)
        return await self._r.call("exports.wait", args, _job)

    async def download(
        self,
        export_id: str,
        dest_dir: str | os.PathLike[str],
        progress: DownloadProgress = None,
        *,
        overwrite: bool = False,
        concurrency: int | None = None,
        durable: bool = False,
    ) -> builtins.list[Path]:
        """Streams every artifact into ``dest_dir``; returns their paths.

        ``progress``: a callable ``(done_bytes, total_bytes)``, or ``True`` for a tqdm bar when
        tqdm is installed. ``durable=True`` flushes each file to the disk before renaming it.
        """
        report, close = progress_arg(progress)
        try:
            args = _download_args(export_id, dest_dir, overwrite, concurrency, durable)
            return await self._r.call("exports.download", args, paths, report)
        finally:
            if close is not None:
                close()

    def iter_rows(self, export_id: str) -> AsyncIterator[dict[str, str]]:
        """Every row of a succeeded export as a dict keyed by the CSV header, parsed in the core
        from the gzip artifacts without writing a file: ``async for``."""
        return self._r.rows("exports.rows", dict(id=export_id))

    async def data(self, export_id: str, *, schema: DataSchema | None = None) -> ExportData:
        """The export's rows as Arrow data (``ExportData``), typed from ``schema``: a name
        (``"raw"``, ``"normalized"``, yours), a ``sch_`` id, inline content or a schema from
        ``export_schemas``. Decoded in the core while the artifacts download.
        """
        return await self._r.data(export_id, _data_schema(schema))
