"""The machinery of result models: typed, lazy views over the API's JSON.

Each result class (``ExportJob``, ``Instrument``, …) declares its fields with annotations, as
the official client's pydantic models do. A result wraps the dict the native layer parsed
(``json``'s C scanner) without copying or validating it: a field is read from the dict when it
is accessed and converted then (datetimes, enums, nested models), so a page of 1000 items costs
1000 small objects, not 1000 validations. Nested models and lists of them are built once per
result and cached.

Unknown fields are kept (``model_extra``, ``model_dump()``, ``to_dict()``, attribute access at
run time); an enum value this version does not know stays a plain ``str``.
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, Union, get_args, get_origin

from ticksupply._native import Meta

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:
    try:
        from typing import dataclass_transform
    except ImportError:  # Python 3.10: only type checkers read it

        def dataclass_transform(**_: Any) -> Any:
            return lambda cls: cls


__all__ = ["BaseAPIModel", "Field", "Model", "ModelList", "RateLimit"]

_T = TypeVar("_T")
_new = object.__new__


class _Required:
    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


class _FieldSpec:
    __slots__ = ("default", "alias")

    def __init__(self, default: Any, alias: str | None) -> None:
        self.default = default
        self.alias = alias


def Field(default: Any = _REQUIRED, *, alias: str | None = None) -> Any:  # noqa: N802 (pydantic's name)
    """A field's default and JSON name, where they differ from a plain annotation
    (``from_ns: int = Field(alias="from")``)."""
    return _FieldSpec(default, alias)


# -- enums ---------------------------------------------------------------------------------------


class _StrEnum(str, Enum):
    """A ``str`` enum: members equal the API's strings, and ``str()``/f-strings give the value."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)


# -- conversions -----------------------------------------------------------------------------------

_FRACTION = re.compile(r"(\.\d{6})\d+")


def _datetime(v: Any) -> Any:
    """An RFC 3339 string as an aware datetime; anything else (or text that is not one) as is."""
    if not isinstance(v, str):
        return v
    text = v.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:  # nanosecond fractions: datetime keeps microseconds
        return datetime.fromisoformat(_FRACTION.sub(r"\1", text))
    except ValueError:
        return v


def _json_value(v: Any) -> Any:
    """A value given by a user (models, enums, datetimes, decimals, containers) as JSON data."""
    if isinstance(v, BaseAPIModel):
        return _copy(v._d)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, datetime):
        if v.tzinfo is not None and v.utcoffset() == timezone.utc.utcoffset(None):
            return v.replace(tzinfo=None).isoformat() + "Z"
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, Mapping):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    return v


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return frozenset((k, _freeze(x)) for k, x in v.items())
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


# A field's shape, from its annotation: None (JSON as is), ("dt",), ("ns",), ("enum", E),
# ("model", M), ("list", shape) or ("dict", shape).
_Shape = Any

# Fields of nanoseconds since the epoch (as the core's `is_nanos_field`): the core's own
# serialization of a job (`exports.wait`, `list_all` pages) gives them as decimal strings.
_NANOS_KEYS = frozenset({"start_time", "end_time", "from", "to"})


def _nanos(v: Any) -> Any:
    if type(v) is str:
        try:
            return int(v)
        except ValueError:
            return v
    return v


def _field_shape(tp: Any, key: str) -> _Shape:
    if tp is int and (key in _NANOS_KEYS or key.endswith("_ns")):
        return ("ns",)
    return _shape(tp)


def _shape(tp: Any) -> _Shape:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(tp) if a is not type(None)]
        for a in args:
            if isinstance(a, type) and issubclass(a, Enum):
                return ("enum", a)
        return _shape(args[0]) if len(args) == 1 else None
    if tp is datetime:
        return ("dt",)
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return ("enum", tp)
        if issubclass(tp, BaseAPIModel):
            return ("model", tp)
    if origin is list:
        inner = _shape(get_args(tp)[0])
        return None if inner is None else ("list", inner)
    if origin is dict:
        inner = _shape(get_args(tp)[1])
        return None if inner is None else ("dict", inner)
    return None


def _converter(shape: _Shape) -> Callable[[Any], Any]:
    """Raw JSON -> the attribute's value (None stays None; a value of another JSON type than
    expected is returned as is, never an exception)."""
    kind = shape[0]
    if kind == "dt":
        return _datetime
    if kind == "ns":
        return _nanos
    if kind == "enum":
        members = shape[1]._value2member_map_

        def enum(v: Any) -> Any:
            try:
                return members.get(v, v)
            except TypeError:  # unhashable
                return v

        return enum
    if kind == "model":
        cls = shape[1]

        def model(v: Any) -> Any:
            return cls._from(v) if type(v) is dict else v

        return model
    if kind == "list" and shape[1][0] == "model":  # a page's items: the hot path
        item_cls = shape[1][1]
        return lambda v: wrap_items(item_cls, v) if type(v) is list else v
    inner = _converter(shape[1])
    if kind == "list":
        return lambda v: [inner(x) for x in v] if type(v) is list else v
    return lambda v: {k: inner(x) for k, x in v.items()} if type(v) is dict else v


def _cached(shape: _Shape) -> bool:
    return shape is not None and shape[0] in ("model", "list", "dict")


def _python_value(shape: _Shape, v: Any, opts: _DumpOptions) -> Any:
    if v is None:
        return None
    if shape is None:
        return _copy(v)
    kind = shape[0]
    if kind == "model":
        return _dump_dict(shape[1], v, opts) if type(v) is dict else _copy(v)
    if kind == "list":
        return [_python_value(shape[1], x, opts) for x in v] if type(v) is list else _copy(v)
    if kind == "dict":
        return {k: _python_value(shape[1], x, opts) for k, x in v.items()} if type(v) is dict else _copy(v)
    if opts.json and kind != "ns":
        return v  # datetimes and enums: the API's text, exactly as received
    return _converter(shape)(v)


class _DumpOptions:
    __slots__ = ("json", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none")

    def __init__(
        self, json: bool, by_alias: bool, exclude_unset: bool, exclude_defaults: bool, exclude_none: bool
    ) -> None:
        self.json = json
        self.by_alias = by_alias
        self.exclude_unset = exclude_unset
        self.exclude_defaults = exclude_defaults
        self.exclude_none = exclude_none


def _dump_dict(
    cls: type[BaseAPIModel],
    d: dict[str, Any],
    opts: _DumpOptions,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> dict[str, Any]:
    inc = None if include is None else set(include)
    exc = set() if exclude is None else set(exclude)
    out: dict[str, Any] = {}
    for f in cls._fields:
        if f.name in exc or (inc is not None and f.name not in inc):
            continue
        if f.key in d:
            raw = d[f.key]
            if opts.exclude_defaults and f.default is not _REQUIRED and raw == f.default:
                continue
        elif opts.exclude_unset or opts.exclude_defaults or f.default is _REQUIRED:
            continue
        else:
            raw = f.default
        if raw is None and opts.exclude_none:
            continue
        out[f.key if opts.by_alias else f.name] = _python_value(f.shape, raw, opts)
    keys = cls._keys
    for k, v in d.items():  # fields this version does not know: kept as received
        if k in keys or k in exc or (inc is not None and k not in inc) or (v is None and opts.exclude_none):
            continue
        out[k] = _copy(v)
    return out


def _normalize(cls: type[BaseAPIModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """User-given values (by field name or JSON name, models, enums, datetimes) as the JSON
    dict a result of ``cls`` wraps."""
    out: dict[str, Any] = {}
    by_name = cls._by_name
    for name, v in data.items():
        f = by_name.get(name)
        if f is None:
            out[str(name)] = _json_value(v)
        else:
            out[f.key] = _normalize_shape(f.shape, v)
    return out


def _normalize_shape(shape: _Shape, v: Any) -> Any:
    if shape is not None and v is not None:
        kind = shape[0]
        if kind == "model" and isinstance(v, Mapping) and not isinstance(v, BaseAPIModel):
            return _normalize(shape[1], v)
        if kind == "list" and isinstance(v, (list, tuple)):
            return [_normalize_shape(shape[1], x) for x in v]
        if kind == "dict" and isinstance(v, Mapping):
            return {str(k): _normalize_shape(shape[1], x) for k, x in v.items()}
    return _json_value(v)


# -- fields ------------------------------------------------------------------------------------------


class _Field:
    """One declared field: its attribute name, JSON key, shape and default."""

    __slots__ = ("name", "key", "shape", "default", "annotation")

    def __init__(self, name: str, key: str, shape: _Shape, default: Any, annotation: Any) -> None:
        self.name = name
        self.key = key
        self.shape = shape
        self.default = default
        self.annotation = annotation

    @property
    def is_required(self) -> bool:
        return self.default is _REQUIRED

    def __repr__(self) -> str:
        alias = "" if self.key == self.name else f", alias={self.key!r}"
        default = "" if self.default is _REQUIRED else f", default={self.default!r}"
        return f"Field(annotation={self.annotation!r}{default}{alias})"


def _property(f: _Field, absent_is_none: bool) -> property:
    key, name = f.key, f.name
    default = None if absent_is_none and f.default is _REQUIRED else f.default

    def absent(self: BaseAPIModel) -> Any:
        if default is _REQUIRED:
            raise AttributeError(name)  # __getattr__ then says which field is absent
        return default

    shape = f.shape
    if shape is None:

        def get(self: BaseAPIModel) -> Any:
            try:
                return self._d[key]
            except KeyError:
                return absent(self)

    elif not _cached(shape):
        convert = _converter(shape)

        def get(self: BaseAPIModel) -> Any:
            try:
                v = self._d[key]
            except KeyError:
                return absent(self)
            return None if v is None else convert(v)

    else:
        convert = _converter(shape)

        def get(self: BaseAPIModel) -> Any:
            c = self._c
            if c is not None and key in c:
                return c[key]
            try:
                v = self._d[key]
            except KeyError:
                return absent(self)
            if v is None:
                return None
            v = convert(v)
            if c is None:
                self._c = {key: v}
            else:
                c[key] = v
            return v

    get.__name__ = name
    return property(get, doc=f"The API's ``{key}``.")


# -- the base class ------------------------------------------------------------------------------


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field,))
class BaseAPIModel:
    """Base of every result model: a read-only, typed view of one JSON object of the API.

    Carries the ``request_id`` and ``rate_limit`` of the response it came from; keeps fields
    this version does not know (``model_extra``). Construct with keyword arguments
    (``JsonExtraction(path="data.p", type="decimal(18)")``) or ``model_validate(dict)``.
    """

    __slots__ = ("_d", "_meta", "_c")

    if TYPE_CHECKING:
        _d: dict[str, Any]
        _meta: Meta | None
        _c: dict[str, Any] | None

    # Filled in for each class by __init_subclass__.
    _fields: ClassVar[tuple[_Field, ...]] = ()
    _by_name: ClassVar[dict[str, _Field]] = {}
    _keys: ClassVar[frozenset[str]] = frozenset()
    # Fields the API promises that an older or odd server may leave out: None when absent.
    _absent_is_none: ClassVar[frozenset[str]] = frozenset()
    model_fields: ClassVar[dict[str, _Field]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__annotations__") or getattr(cls, "__annotations__", None) or {}
        module_globals = vars(sys.modules[cls.__module__])
        fields = [f for f in cls._fields if f.name not in own]  # inherited, in their order
        for name, annotation in own.items():
            tp = _evaluate(annotation, module_globals)
            if name.startswith("_") or get_origin(tp) is ClassVar or tp is ClassVar:
                continue
            raw_default = cls.__dict__.get(name, _REQUIRED)
            alias = None
            if isinstance(raw_default, _FieldSpec):
                alias, raw_default = raw_default.alias, raw_default.default
            f = _Field(name, alias or name, _field_shape(tp, alias or name), raw_default, tp)
            fields.append(f)
            setattr(cls, name, _property(f, name in cls._absent_is_none))
        cls._fields = tuple(fields)
        cls.model_fields = {f.name: f for f in fields}
        cls._by_name = {**{f.key: f for f in fields}, **{f.name: f for f in fields}}
        cls._keys = frozenset(f.key for f in fields)

    # -- construction ------------------------------------------------------------------------

    def __init__(self, /, **data: Any) -> None:
        d = _normalize(type(self), data)
        missing = [f.name for f in self._fields if f.default is _REQUIRED and f.key not in d]
        if missing:
            raise TypeError(f"{type(self).__name__}() missing required field(s): {', '.join(missing)}")
        self._d = d
        self._meta = None
        self._c = None

    @classmethod
    def _from(cls, data: dict[str, Any], meta: Meta | None = None) -> Self:
        """Wraps a parsed JSON object as it is: no copy, no validation (the hot path)."""
        o = _new(cls)
        o._d = data
        o._meta = meta
        o._c = None
        return o

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        from_attributes: bool | None = None,
        context: Any = None,
    ) -> Self:
        """A model from a dict (JSON names or field names; nested dicts, models, enums and
        datetimes accepted) or from another model. Fields are converted when read, as for
        results: nothing is rejected here but a value that is not a mapping."""
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, BaseAPIModel):
            return cls._from(_copy(obj._d))
        if isinstance(obj, Mapping):
            return cls._from(_normalize(cls, obj))
        raise TypeError(f"{cls.__name__}.model_validate takes a dict or a model, not {type(obj).__name__}")

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *, strict: bool | None = None, context: Any = None
    ) -> Self:
        """A model from JSON text (the API's field names)."""
        data = json.loads(json_data)
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}.model_validate_json takes a JSON object")
        return cls._from(data)

    @classmethod
    def model_construct(cls, _fields_set: set[str] | None = None, **values: Any) -> Self:
        """A model from field values, without checking that required ones are given."""
        return cls._from(_normalize(cls, values))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with ``update`` (field names or JSON names) applied."""
        d = _copy(self._d) if deep else dict(self._d)
        if update:
            d.update(_normalize(type(self), update))
        return type(self)._from(d, self._meta)

    # -- response metadata ---------------------------------------------------------------------

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` of the response this came from (None for nested objects)."""
        meta = self._meta
        return None if meta is None else meta.request_id

    @property
    def rate_limit(self) -> RateLimit | None:
        """The response's ``X-RateLimit-*`` headers (None for nested objects)."""
        meta = self._meta
        return None if meta is None else RateLimit(meta.rate_limit)

    # -- serialization ---------------------------------------------------------------------------

    def model_dump(
        self,
        *,
        mode: str = "python",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        context: Any = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | str = True,
        serialize_as_any: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, pydantic's way: field names (``by_alias=True``: the API's names),
        every declared field (absent optional ones as their default) and the unknown ones.
        ``mode="python"`` gives datetimes and enums; ``mode="json"`` gives JSON data, with times
        as the API's text."""
        if mode not in ("python", "json"):
            raise ValueError(f'mode must be "python" or "json", not {mode!r}')
        opts = _DumpOptions(mode == "json", bool(by_alias), exclude_unset, exclude_defaults, exclude_none)
        return _dump_dict(type(self), self._d, opts, include, exclude)

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        context: Any = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | str = True,
        serialize_as_any: bool = False,
    ) -> str:
        """``model_dump(mode="json", ...)`` as JSON text (compact unless ``indent``)."""
        data = self.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )
        separators = (",", ":") if indent is None else None
        return json.dumps(data, indent=indent, separators=separators, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as received (a copy)."""
        copy: dict[str, Any] = _copy(self._d)
        return copy

    @property
    def model_extra(self) -> dict[str, Any]:
        """The fields this version does not declare, as received."""
        keys = self._keys
        return {k: _copy(v) for k, v in self._d.items() if k not in keys}

    @property
    def model_fields_set(self) -> set[str]:
        """The declared fields present in the data."""
        d = self._d
        return {f.name for f in self._fields if f.key in d}

    # -- object protocol -------------------------------------------------------------------------

    if not TYPE_CHECKING:  # type checkers keep rejecting unknown attributes

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):  # an unset slot or a protocol lookup: never an API field
                raise AttributeError(name)
            d = self._d
            if name in d:
                return _wrap_unknown(d[name])
            if name in self.model_fields:
                raise AttributeError(f"{type(self).__name__}: field {name!r} is absent from this data")
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._d, self._meta))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BaseAPIModel):
            return type(self) is type(other) and self._d == other._d
        if isinstance(other, dict):
            return self._d == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, _freeze(self._d)))

    def __repr__(self) -> str:
        parts = []
        d = self._d
        for f in self._fields:
            if f.key in d or f.default is not _REQUIRED:
                parts.append(f"{f.name}={getattr(self, f.name)!r}")
        keys = self._keys
        parts += [f"{k}={v!r}" for k, v in d.items() if k not in keys]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __dir__(self) -> list[str]:
        extra = {k for k in self._d if k.isidentifier() and k not in self._keys}
        return sorted(set(super().__dir__()) | extra)


_CODE: dict[str, Any] = {}


def _evaluate(annotation: Any, module_globals: dict[str, Any]) -> Any:
    """A field's annotation as a type (``typing.get_type_hints`` for one class, with each
    annotation's text compiled once: it costs most of an import otherwise)."""
    if not isinstance(annotation, str):
        return annotation
    code = _CODE.get(annotation)
    if code is None:
        code = _CODE[annotation] = compile(annotation, "<annotation>", "eval")
    return eval(code, module_globals)  # noqa: S307 (the package's own annotations)


def _rebuild(cls: type[BaseAPIModel], data: dict[str, Any], meta: Meta | None) -> BaseAPIModel:
    return cls._from(data, meta)


class Model(BaseAPIModel):
    """A JSON object of a field this version does not know: its fields by attribute access,
    ``to_dict()``, ``model_dump()``."""

    __slots__ = ()


def _wrap_unknown(v: Any) -> Any:
    if type(v) is dict:
        return Model._from(v)
    if type(v) is list:
        return [_wrap_unknown(x) for x in v]
    return v


# -- list results and rate limits ---------------------------------------------------------------


class ModelList(list[_T], Generic[_T]):
    """A list result (exchanges, spans, schemas) with the response's ``request_id`` and
    ``rate_limit``."""

    _meta: Meta

    def __init__(self, items: Iterable[_T], meta: Meta) -> None:
        super().__init__(items)
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

    limit_minute: int | None
    remaining_minute: int | None
    reset_minute: int | None
    limit_hour: int | None
    remaining_hour: int | None
    reset_hour: int | None

    def __init__(self, d: Mapping[str, int | None]) -> None:
        for k in self.__slots__:
            setattr(self, k, d.get(k))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RateLimit):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "RateLimit(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


# -- wrapping replies (the resources' ``wrap`` functions) ----------------------------------------

_M = TypeVar("_M", bound=BaseAPIModel)


def one(cls: type[_M]) -> Callable[[Any, Meta], _M]:
    """Wraps a reply that is one object of ``cls``."""
    make = cls._from

    def wrap(data: Any, meta: Meta) -> _M:
        return make(data, meta) if type(data) is dict else data

    return wrap


def many(cls: type[_M]) -> Callable[[Any, Meta], ModelList[_M]]:
    """Wraps a reply that is a JSON array of ``cls`` objects."""

    def wrap(data: Any, meta: Meta) -> ModelList[_M]:
        return ModelList(wrap_items(cls, data), meta)

    return wrap


def wrap_items(cls: type[_M], items: Any) -> list[_M]:
    out: list[Any] = []
    append = out.append
    for x in items or ():
        if type(x) is dict:
            o = _new(cls)
            o._d = x
            o._meta = None
            o._c = None
            append(o)
        else:
            append(x)
    return out


def nothing(data: Any, meta: Meta) -> None:
    return None
