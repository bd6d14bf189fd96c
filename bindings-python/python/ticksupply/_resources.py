"""Resources with the official client's method names and keyword arguments.

Each method names a core operation and how to wrap its result; the client's runner executes it
(blocking for ``Client``, awaitable for ``AsyncClient``). No HTTP rule lives here.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ticksupply import _models as m


def _time(v: Any) -> Any:
    if isinstance(v, bool):
        raise TypeError("a timestamp must be a datetime, an int of nanoseconds or a string")
    if isinstance(v, datetime):
        # Sent as ISO 8601 text: exact to the microsecond, no float arithmetic.
        # A naive datetime is taken as UTC, as the official client does.
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(v, (int, str)):
        return v
    raise TypeError("a timestamp must be a datetime, an int of nanoseconds or a string")


def _content(columns: Any, unfold: Any, derive: Any) -> dict[str, Any]:
    return {"columns": columns, "unfold": unfold, "derive": derive}


def _paths(data: Any, meta: Any) -> list[Path]:
    return [Path(p) for p in data]


def _progress(progress: Any) -> tuple[Any, Any]:
    """The callback to hand the core, and what closes it after the download (a tqdm bar)."""
    if progress is None or progress is False:
        return None, None
    if callable(progress):
        return progress, None
    if progress is True:
        try:
            from tqdm import tqdm
        except ImportError:
            return None, None
        bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="download")

        def report(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return report, bar.close
    raise TypeError("progress must be a callable (done_bytes, total_bytes), True or None")


async def _closing_after(awaitable: Any, close: Any) -> Any:
    try:
        return await awaitable
    finally:
        close()


class _Resource:
    def __init__(self, runner: Any) -> None:
        self._r = runner


class ExchangesResource(_Resource):
    def list(self) -> Any:
        return self._r.call("exchanges.list", {}, m.model_list)

    def list_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> Any:
        return self._r.call(
            "exchanges.list_instruments",
            dict(
                exchange=exchange,
                search=search,
                base=base,
                quote=quote,
                instrument_type=instrument_type,
                limit=limit,
                page_token=page_token,
            ),
            m.page,
        )

    def list_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> Any:
        return self._r.call(
            "exchanges.list_datastreams",
            dict(
                exchange=exchange,
                instrument=instrument,
                stream_type=stream_type,
                wire_format=wire_format,
                limit=limit,
                page_token=page_token,
            ),
            m.page,
        )

    def list_all_instruments(
        self,
        exchange: str,
        *,
        search: str | None = None,
        base: str | None = None,
        quote: str | None = None,
        instrument_type: str | None = None,
        limit: int | None = None,
    ) -> Any:
        return self._r.items(
            "exchanges.list_instruments",
            dict(
                exchange=exchange, search=search, base=base, quote=quote, instrument_type=instrument_type, limit=limit
            ),
        )

    def list_all_datastreams(
        self,
        exchange: str,
        instrument: str,
        *,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> Any:
        return self._r.items(
            "exchanges.list_datastreams",
            dict(
                exchange=exchange, instrument=instrument, stream_type=stream_type, wire_format=wire_format, limit=limit
            ),
        )


class DatastreamsResource(_Resource):
    def list(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = 100,
        page_token: str | None = None,
    ) -> Any:
        return self._r.call(
            "datastreams.list",
            dict(
                exchange=exchange,
                instrument=instrument,
                stream_type=stream_type,
                wire_format=wire_format,
                limit=limit,
                page_token=page_token,
            ),
            m.page,
        )

    def list_all(
        self,
        *,
        exchange: str | None = None,
        instrument: str | None = None,
        stream_type: str | None = None,
        wire_format: str | None = None,
        limit: int | None = None,
    ) -> Any:
        return self._r.items(
            "datastreams.list",
            dict(
                exchange=exchange, instrument=instrument, stream_type=stream_type, wire_format=wire_format, limit=limit
            ),
        )


class SubscriptionsResource(_Resource):
    def list(self, *, limit: int | None = None, page_token: str | None = None) -> Any:
        return self._r.call("subscriptions.list", dict(limit=limit, page_token=page_token), m.page)

    def list_all(self, *, limit: int | None = None) -> Any:
        return self._r.items("subscriptions.list", dict(limit=limit))

    def get(self, subscription_id: str) -> Any:
        return self._r.call("subscriptions.get", dict(id=subscription_id), m.model)

    def create(self, datastream_id: int, *, idempotency_key: str | None = None) -> Any:
        return self._r.call(
            "subscriptions.create", dict(datastream_id=datastream_id, idempotency_key=idempotency_key), m.model
        )

    def delete(self, subscription_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call(
            "subscriptions.delete", dict(id=subscription_id, idempotency_key=idempotency_key), m.nothing
        )

    def pause(self, subscription_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call("subscriptions.pause", dict(id=subscription_id, idempotency_key=idempotency_key), m.nothing)

    def resume(self, subscription_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call(
            "subscriptions.resume", dict(id=subscription_id, idempotency_key=idempotency_key), m.nothing
        )

    def list_spans(self, subscription_id: str) -> Any:
        return self._r.call("subscriptions.list_spans", dict(id=subscription_id), m.model_list)


class ExportsResource(_Resource):
    def list(self, *, limit: int | None = None, page_token: str | None = None) -> Any:
        return self._r.call("exports.list", dict(limit=limit, page_token=page_token), m.page)

    def list_all(self, *, limit: int | None = None) -> Any:
        return self._r.items("exports.list", dict(limit=limit))

    def get(self, export_id: str) -> Any:
        return self._r.call("exports.get", dict(id=export_id), m.model)

    def create(
        self,
        datastream_id: int,
        start_time: Any,
        end_time: Any,
        *,
        schema: Any = None,
        format: str | None = None,
        format_options: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return self._r.call(
            "exports.create",
            dict(
                datastream_id=datastream_id,
                start_time=_time(start_time),
                end_time=_time(end_time),
                schema=schema,
                format=format,
                format_options=format_options,
                idempotency_key=idempotency_key,
            ),
            m.model,
        )

    def get_download(self, export_id: str) -> Any:
        return self._r.call("exports.get_download", dict(id=export_id), m.model)

    def delete(self, export_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call("exports.delete", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    def cancel(self, export_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call("exports.cancel", dict(id=export_id, idempotency_key=idempotency_key), m.nothing)

    def wait(self, export_id: str, timeout: float = 900.0, poll_interval: float = 1.0) -> Any:
        return self._r.call("exports.wait", dict(id=export_id, timeout=timeout, poll_interval=poll_interval), m.model)

    def download(
        self,
        export_id: str,
        dest_dir: Any,
        progress: Any = None,
        *,
        overwrite: bool = False,
        concurrency: int | None = None,
    ) -> Any:
        """Streams every artifact into ``dest_dir``; returns their paths.

        ``progress``: a callable ``(done_bytes, total_bytes)``, or ``True`` for a tqdm bar when
        tqdm is installed.
        """
        report, close = _progress(progress)
        args = dict(id=export_id, dest_dir=str(dest_dir), overwrite=overwrite, concurrency=concurrency)
        result = self._r.call("exports.download", args, _paths, report)
        if close is None:
            return result
        if hasattr(result, "__await__"):
            return _closing_after(result, close)
        close()
        return result

    def iter_rows(self, export_id: str) -> Any:
        """Every row of a succeeded export as a dict keyed by the CSV header, parsed in the core
        from the gzip artifacts without writing a file (an async iterator on ``AsyncClient``)."""
        return self._r.rows("exports.rows", dict(id=export_id))

    def data(self, export_id: str, *, schema: Any = None) -> Any:
        """The export's rows as Arrow data (``ExportData``), typed from ``schema``: a name
        (``"raw"``, ``"normalized"``, yours), a ``sch_`` id or an inline schema dict. Decoded in
        the core while the artifacts download; awaitable on ``AsyncClient``.

        ``pl.DataFrame(d)``, ``pa.table(d)``, ``duckdb.sql("select * from d")``, or
        ``d.to_polars()``, ``d.to_pandas()``, ``d.to_arrow()``, ``d.iter_batches()``,
        ``d.to_parquet(path)``.
        """
        return self._r.data(export_id, schema)


class ExportSchemasResource(_Resource):
    def list(self) -> Any:
        return self._r.call("export_schemas.list", {}, m.model_list)

    def create(
        self,
        name: str,
        stream_category: str,
        columns: builtins.list[Any],
        *,
        unfold: Any = None,
        derive: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return self._r.call(
            "export_schemas.create",
            dict(
                name=name,
                stream_category=str(getattr(stream_category, "value", stream_category)),
                idempotency_key=idempotency_key,
                **_content(columns, unfold, derive),
            ),
            m.model,
        )

    def get(self, schema_id: str) -> Any:
        return self._r.call("export_schemas.get", dict(id=schema_id), m.model)

    def update(self, schema_id: str, columns: builtins.list[Any], *, unfold: Any = None, derive: Any = None) -> Any:
        return self._r.call("export_schemas.update", dict(id=schema_id, **_content(columns, unfold, derive)), m.model)

    def delete(self, schema_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call("export_schemas.delete", dict(id=schema_id, idempotency_key=idempotency_key), m.nothing)

    def create_draft(
        self,
        schema_id: str,
        *,
        columns: builtins.list[Any] | None = None,
        unfold: Any = None,
        derive: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return self._r.call(
            "export_schemas.create_draft",
            dict(id=schema_id, idempotency_key=idempotency_key, **_content(columns, unfold, derive)),
            m.model,
        )

    def get_draft(self, schema_id: str) -> Any:
        return self._r.call("export_schemas.get_draft", dict(id=schema_id), m.model)

    def update_draft(
        self, schema_id: str, columns: builtins.list[Any], *, unfold: Any = None, derive: Any = None
    ) -> Any:
        return self._r.call(
            "export_schemas.update_draft", dict(id=schema_id, **_content(columns, unfold, derive)), m.model
        )

    def discard_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call(
            "export_schemas.discard_draft", dict(id=schema_id, idempotency_key=idempotency_key), m.nothing
        )

    def publish_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> Any:
        return self._r.call(
            "export_schemas.publish_draft", dict(id=schema_id, idempotency_key=idempotency_key), m.model
        )


class AvailabilityResource(_Resource):
    def get(self, datastream_id: int) -> Any:
        return self._r.call("availability.get", dict(datastream_id=datastream_id), m.model)


class BillingResource(_Resource):
    def get_summary(self) -> Any:
        return self._r.call("billing.get_summary", {}, m.model)
