"""Export schemas: custom column layouts for exports, versioned, with a draft workflow."""

from __future__ import annotations

from ticksupply import _models as m
from ticksupply.models.schema import ExportSchemaListItem, ExportSchemaWithVersion, StreamCategory
from ticksupply.resources._shared import Columns, DeriveMap, UnfoldMap, category, content
from ticksupply.resources.base import AsyncResource, SyncResource

__all__ = [
    "AsyncExportSchemasResource",
    "AsyncResource",
    "Columns",
    "DeriveMap",
    "ExportSchemaListItem",
    "ExportSchemaWithVersion",
    "ExportSchemasResource",
    "StreamCategory",
    "SyncResource",
    "UnfoldMap",
]

_list = m.many(ExportSchemaListItem)
_schema = m.one(ExportSchemaWithVersion)


class ExportSchemasResource(SyncResource):
    """Custom export schemas. Change one atomically with ``update``, or through a draft
    (``create_draft`` -> ``update_draft`` -> ``publish_draft``). Built-in schemas are read-only.
    Columns, unfold and derive rules may be models (``CreateSchemaColumnRequest``, …) or dicts."""

    def list(self) -> m.ModelList[ExportSchemaListItem]:
        """Every schema the account sees: built-in and its own."""
        return self._r.call("export_schemas.list", {}, _list)

    def create(
        self,
        name: str,
        stream_category: StreamCategory | str,
        columns: Columns,
        *,
        unfold: UnfoldMap | None = None,
        derive: DeriveMap | None = None,
        idempotency_key: str | None = None,
    ) -> ExportSchemaWithVersion:
        """Creates a schema at version 1 (``name`` unique per account and stream category)."""
        args = dict(
            name=name,
            stream_category=category(stream_category),
            idempotency_key=idempotency_key,
            **content(columns, unfold, derive),
        )
        return self._r.call("export_schemas.create", args, _schema)

    def get(self, schema_id: str) -> ExportSchemaWithVersion:
        """A schema with its latest published version's content."""
        return self._r.call("export_schemas.get", dict(id=schema_id), _schema)

    def update(
        self, schema_id: str, columns: Columns, *, unfold: UnfoldMap | None = None, derive: DeriveMap | None = None
    ) -> ExportSchemaWithVersion:
        """Publishes new content as the next version (and discards any draft)."""
        args = dict(id=schema_id, **content(columns, unfold, derive))
        return self._r.call("export_schemas.update", args, _schema)

    def delete(self, schema_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes one of the account's schemas."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return self._r.call("export_schemas.delete", args, m.nothing)

    def create_draft(
        self,
        schema_id: str,
        *,
        columns: Columns | None = None,
        unfold: UnfoldMap | None = None,
        derive: DeriveMap | None = None,
        idempotency_key: str | None = None,
    ) -> ExportSchemaWithVersion:
        """Creates (or replaces) the draft: a copy of the latest version without ``columns``."""
        args = dict(id=schema_id, idempotency_key=idempotency_key, **content(columns, unfold, derive))
        return self._r.call("export_schemas.create_draft", args, _schema)

    def get_draft(self, schema_id: str) -> ExportSchemaWithVersion:
        """The current draft."""
        return self._r.call("export_schemas.get_draft", dict(id=schema_id), _schema)

    def update_draft(
        self, schema_id: str, columns: Columns, *, unfold: UnfoldMap | None = None, derive: DeriveMap | None = None
    ) -> ExportSchemaWithVersion:
        """Replaces the draft's content."""
        args = dict(id=schema_id, **content(columns, unfold, derive))
        return self._r.call("export_schemas.update_draft", args, _schema)

    def discard_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes the draft without publishing it."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return self._r.call("export_schemas.discard_draft", args, m.nothing)

    def publish_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> ExportSchemaWithVersion:
        """Publishes the draft as the next version."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return self._r.call("export_schemas.publish_draft", args, _schema)


class AsyncExportSchemasResource(AsyncResource):
    """Custom export schemas. Change one atomically with ``update``, or through a draft
    (``create_draft`` -> ``update_draft`` -> ``publish_draft``). Built-in schemas are read-only.
    Columns, unfold and derive rules may be models (``CreateSchemaColumnRequest``, …) or dicts."""

    async def list(self) -> m.ModelList[ExportSchemaListItem]:
        """Every schema the account sees: built-in and its own."""
        return await self._r.call("export_schemas.list", {}, _list)

    async def create(
        self,
        name: str,
        stream_category: StreamCategory | str,
        columns: Columns,
        *,
        unfold: UnfoldMap | None = None,
        derive: DeriveMap | None = None,
        idempotency_key: str | None = None,
    ) -> ExportSchemaWithVersion:
        """Creates a schema at version 1 (``name`` unique per account and stream category)."""
        args = dict(
            name=name,
            stream_category=category(stream_category),
            idempotency_key=idempotency_key,
            **content(columns, unfold, derive),
        )
        return await self._r.call("export_schemas.create", args, _schema)

    async def get(self, schema_id: str) -> ExportSchemaWithVersion:
        """A schema with its latest published version's content."""
        return await self._r.call("export_schemas.get", dict(id=schema_id), _schema)

    async def update(
        self, schema_id: str, columns: Columns, *, unfold: UnfoldMap | None = None, derive: DeriveMap | None = None
    ) -> ExportSchemaWithVersion:
        """Publishes new content as the next version (and discards any draft)."""
        args = dict(id=schema_id, **content(columns, unfold, derive))
        return await self._r.call("export_schemas.update", args, _schema)

    async def delete(self, schema_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes one of the account's schemas."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return await self._r.call("export_schemas.delete", args, m.nothing)

    async def create_draft(
        self,
        schema_id: str,
        *,
        columns: Columns | None = None,
        unfold: UnfoldMap | None = None,
        derive: DeriveMap | None = None,
        idempotency_key: str | None = None,
    ) -> ExportSchemaWithVersion:
        """Creates (or replaces) the draft: a copy of the latest version without ``columns``."""
        args = dict(id=schema_id, idempotency_key=idempotency_key, **content(columns, unfold, derive))
        return await self._r.call("export_schemas.create_draft", args, _schema)

    async def get_draft(self, schema_id: str) -> ExportSchemaWithVersion:
        """The current draft."""
        return await self._r.call("export_schemas.get_draft", dict(id=schema_id), _schema)

    async def update_draft(
        self, schema_id: str, columns: Columns, *, unfold: UnfoldMap | None = None, derive: DeriveMap | None = None
    ) -> ExportSchemaWithVersion:
        """Replaces the draft's content."""
        args = dict(id=schema_id, **content(columns, unfold, derive))
        return await self._r.call("export_schemas.update_draft", args, _schema)

    async def discard_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> None:
        """Deletes the draft without publishing it."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return await self._r.call("export_schemas.discard_draft", args, m.nothing)

    async def publish_draft(self, schema_id: str, *, idempotency_key: str | None = None) -> ExportSchemaWithVersion:
        """Publishes the draft as the next version."""
        args = dict(id=schema_id, idempotency_key=idempotency_key)
        return await self._r.call("export_schemas.publish_draft", args, _schema)
