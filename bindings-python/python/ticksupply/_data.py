"""Export data as Arrow: one object that polars, pyarrow, pandas and DuckDB all read.

``ExportData`` implements the Arrow PyCapsule interface, so ``pl.DataFrame(d)``,
``pa.table(d)`` and ``duckdb.sql("select * from d")`` work without pyarrow being a dependency of
this package. Decoding (inflate, CSV or Parquet, types from the export's schema) happens in the
Rust core while the artifacts download; memory is bounded by the batch size.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from ticksupply import _native

_EXTRAS = {"pyarrow": "arrow", "polars": "polars", "pandas": "pandas"}


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"this needs {module}: pip install {module} (or pip install 'ticksupply[{_EXTRAS[module]}]')"
        ) from None


def _schema_arg(schema: Any) -> Any:
    """A schema name or ``sch_`` id, an inline schema (a dict, or a model with ``model_dump``)."""
    if schema is None or isinstance(schema, str):
        return schema
    if isinstance(schema, Mapping) or callable(getattr(schema, "model_dump", None)):
        # Models inside a dict (columns built with CreateSchemaColumnRequest, …) become JSON.
        from ticksupply.resources._shared import jsonable

        return jsonable(schema)
    columns = getattr(schema, "columns", None)
    if columns is not None:
        return {
            "columns": columns,
            "unfold": getattr(schema, "unfold", None),
            "derive": getattr(schema, "derive", None),
        }
    raise TypeError("schema must be a name, a sch_ id, or an inline schema (a dict of columns)")


class ExportData:
    """The rows of an export (or of artifact files), typed from its schema.

    Making it resolves the schema and lists the artifacts (a missing export or an unknown
    schema fails right away) but reads nothing: each consumer (``to_arrow``, ``iter_batches``,
    polars, DuckDB, which may scan twice) starts its own read. Asking for the schema or the
    column names starts one to learn it, which the next consumer then reads; a consumer that
    reads in its own way (``to_parquet``, ``iter_batches(rows=...)``) stops that one first, so
    no artifact is downloaded twice at once.
    """

    def __init__(self, args: dict[str, Any], client: _native.NativeClient | None) -> None:
        self._prepared = _native.NativeData(json.dumps(args), client).prepare()
        self._opened: _native.NativeBatches | None = None
        self._schema_source: _native.NativeBatches | None = None

    def _open(self) -> _native.NativeBatches:
        opened, self._opened = self._opened, None
        return opened if opened is not None else self._prepared.open()

    def _close_unread(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None

    def _schema(self) -> _native.NativeBatches:
        if self._schema_source is None:
            self._opened = self._schema_source = self._prepared.open()
        return self._schema_source

    # -- the Arrow PyCapsule interface ---------------------------------------------------------

    def __arrow_c_schema__(self) -> Any:
        return self._schema().__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._open().__arrow_c_stream__(requested_schema)

    # -- conversions -----------------------------------------------------------------------------

    @staticmethod
    def _consume(batches: _native.NativeBatches, consume: Any) -> Any:
        """Runs a consumer over a stream; a core error that ended it is raised as this
        package's exception (consumers only carry its message)."""
        try:
            return consume(batches)
        except Exception as e:
            core = batches.take_error()
            if core is not None:
                raise core from e
            raise

    def to_arrow(self) -> Any:
        """A ``pyarrow.Table`` (needs pyarrow)."""
        pa = _require("pyarrow")
        return self._consume(self._open(), lambda b: pa.RecordBatchReader.from_stream(b).read_all())

    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` (needs polars ≥ 1.3); decimals stay exact."""
        pl = _require("polars")
        return self._consume(self._open(), pl.DataFrame)

    def to_pandas(self, *, decimals: str = "exact") -> Any:
        """A ``pandas.DataFrame`` (needs pandas and pyarrow).

        Timestamps are ``datetime64[ns, UTC]``. Decimals stay exact as ``pd.ArrowDtype``
        columns; ``decimals="float"`` gives ``float64`` instead.
        """
        if decimals not in ("exact", "float"):
            raise ValueError('decimals must be "exact" or "float"')
        pd = _require("pandas")
        pa = _require("pyarrow")
        table = self.to_arrow()
        if decimals == "float":
            fields = [pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema]
            table = table.cast(pa.schema(fields))

        def mapper(t: Any) -> Any:
            return pd.ArrowDtype(t) if pa.types.is_decimal(t) else None

        return table.to_pandas(types_mapper=mapper, coerce_temporal_nanoseconds=True)

    def iter_batches(self, rows: int | None = None) -> Iterator[Any]:
        """One ``pyarrow.RecordBatch`` at a time (needs pyarrow), ``rows`` rows each at most
        (default 65 536): memory stays bounded whatever the export's size."""
        pa = _require("pyarrow")
        if rows is None:
            batches = self._open()
        elif isinstance(rows, bool) or not isinstance(rows, int) or rows <= 0:
            raise ValueError("rows must be a positive integer")
        else:
            self._close_unread()
            batches = self._prepared.open(batch_rows=rows)
        reader = self._consume(batches, pa.RecordBatchReader.from_stream)
        while True:
            try:
                batch = self._consume(batches, lambda _: reader.read_next_batch())
            except StopIteration:
                return
            yield batch

    def to_parquet(self, path: str | os.PathLike[str]) -> int:
        """Writes one Parquet file (zstd) through ``<path>.part``, renamed into place when
        complete; returns the number of rows. Needs no pyarrow. Interrupted (Ctrl-C), it
        stops and leaves no file."""
        self._close_unread()
        rows, _bytes = self._prepared.to_parquet(os.fspath(path))
        return int(rows)

    @property
    def column_names(self) -> list[str]:
        return list(self._schema().column_names())

    def __repr__(self) -> str:
        return f"ExportData(columns={self.column_names})"


def export_data(client: _native.NativeClient, export_id: str, schema: Any = None) -> ExportData:
    return ExportData({"id": export_id, "schema": _schema_arg(schema)}, client)


def read_artifacts(paths: Any, *, schema: Any = None, client: Any = None) -> ExportData:
    """The rows of artifact files already on disk (``.csv.gz``, ``.csv``, ``.parquet``), in the
    order given, typed as ``exports.data`` types them. A schema name other than ``"raw"`` is
    looked up through ``client`` (a ``Client``); inline schemas need none."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    native_client = getattr(client, "_native", None)
    return ExportData({"paths": [os.fspath(p) for p in paths], "schema": _schema_arg(schema)}, native_client)
