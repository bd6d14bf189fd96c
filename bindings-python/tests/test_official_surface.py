"""Every public name of the official ``ticksupply`` 0.2.0 package exists here, module by module.

Set ``TICKSUPPLY_OFFICIAL_PYTHON`` to a Python that has the official package installed (``make
test`` uses ``.venv-official/bin/python``). That interpreter lists the public names of each
public module of the official package; each must import from this package's module of the same
path. A module's public names are its ``__all__``, and its other names that do not start with
``_``, less what it merely imported from outside the package's public modules (``Any``,
``BaseModel``, ``httpx``, helpers of ``ticksupply._base``)."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from datetime import datetime

import pytest

LIST_NAMES = r"""
import __future__, importlib, json, pkgutil, types, typing

def public(module_name):
    return not any(part.startswith("_") for part in module_name.split("."))

def names(mod):
    out = set(getattr(mod, "__all__", ()))
    for name in dir(mod):
        if name.startswith("_"):
            continue
        v = getattr(mod, name)
        if isinstance(v, (types.ModuleType, __future__._Feature)) or getattr(typing, name, object()) is v:
            continue
        if isinstance(v, (type, types.FunctionType, types.BuiltinFunctionType, typing.TypeVar)):
            owner = getattr(v, "__module__", None) or ""
            if owner.split(".")[0] != "ticksupply" or not public(owner):
                continue  # imported from elsewhere (typing, pydantic) or from a private module
        out.add(name)
    return sorted(out)

import ticksupply
modules = ["ticksupply"] + [m.name for m in pkgutil.walk_packages(ticksupply.__path__, "ticksupply.") if public(m.name)]
print(json.dumps({"version": ticksupply.__version__,
                  "modules": {m: names(importlib.import_module(m)) for m in modules}}))
"""


@pytest.fixture(scope="module")
def official() -> dict:
    python = os.environ.get("TICKSUPPLY_OFFICIAL_PYTHON")
    if not python:
        pytest.skip("TICKSUPPLY_OFFICIAL_PYTHON is not set (a python with the official ticksupply 0.2.0 installed)")
    out = subprocess.run([python, "-c", LIST_NAMES], capture_output=True, text=True, timeout=120, cwd="/")
    assert out.returncode == 0, f"{python} could not list the official package's names:\n{out.stderr}"
    return json.loads(out.stdout)


def test_the_official_package_is_0_2_0(official):
    assert official["version"] == "0.2.0"


def test_every_official_public_module_and_name_exists_here(official):
    missing = {}
    for module_name, names in official["modules"].items():
        try:
            ours = importlib.import_module(module_name)
        except ImportError as e:
            missing[module_name] = f"module missing ({e})"
            continue
        absent = [n for n in names if not hasattr(ours, n)]
        if absent:
            missing[module_name] = absent
    assert not missing, f"official names missing here: {json.dumps(missing, indent=1)}"
    assert len(official["modules"]) >= 20, "the official package's modules were not all listed"


def test_official_all_lists_are_covered_by_ours(official):
    """Where a module declares ``__all__`` here, it names at least what the official one lists
    (``from ticksupply.models import *`` gives the same classes)."""
    for module_name, names in official["modules"].items():
        ours = importlib.import_module(module_name)
        if hasattr(ours, "__all__"):
            assert set(names) <= set(ours.__all__), (module_name, set(names) - set(ours.__all__))


DUMP = r"""
import json, sys
import ticksupply.models as models
out = []
for cls, payload in json.load(sys.stdin):
    m = getattr(models, cls).model_validate(payload)
    out.append([m.model_dump(mode="json"), m.model_dump(mode="json", by_alias=True, exclude_none=True)])
print(json.dumps(out))
"""

# Fields this package declares that the official models do not have (ExportJob's).
ADDED_FIELDS = {"format_options"}


TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _comparable(v):
    """Without the fields only this package has; times as instants (in JSON mode, ours keep the
    API's text, ``.000000Z``, where pydantic rewrites it, ``Z``)."""
    if isinstance(v, dict):
        return {k: _comparable(x) for k, x in v.items() if k not in ADDED_FIELDS}
    if isinstance(v, list):
        return [_comparable(x) for x in v]
    if isinstance(v, str) and TIME.match(v):
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    return v


def test_models_read_the_mocks_responses_as_the_official_models_do(official, mock, key):
    """The same JSON, read by both packages' classes, dumps to the same fields and values."""
    import ticksupply.models as models
    from ticksupply import Client

    c = Client(api_key=key, base_url=mock.base_url)
    sub = c.subscriptions.create(1)
    job = c.exports.wait(c.exports.create(1, 0, 10**9).id, timeout=10, poll_interval=0.05)
    results = [
        c.exchanges.list()[0],
        c.exchanges.list_instruments("binance", limit=3),
        c.exchanges.list_datastreams("binance", "BTCUSDT"),
        c.datastreams.list(limit=3),
        sub,
        c.subscriptions.get(sub.id),
        c.subscriptions.list(),
        c.subscriptions.list_spans(sub.id)[0],
        job,
        c.exports.list(),
        c.exports.get_download(job.id),
        c.export_schemas.list()[0],
        c.export_schemas.get("sch_00000000000000000000000000000003"),
        c.availability.get(1),
        c.billing.get_summary(),
    ]
    payload = [[type(r).__name__, r.to_dict()] for r in results]
    out = subprocess.run(
        [os.environ["TICKSUPPLY_OFFICIAL_PYTHON"], "-c", DUMP],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    for (name, data), (plain, by_alias) in zip(payload, json.loads(out.stdout), strict=True):
        ours = getattr(models, name).model_validate(data)
        assert _comparable(ours.model_dump(mode="json")) == _comparable(plain), name
        assert _comparable(ours.model_dump(mode="json", by_alias=True, exclude_none=True)) == _comparable(by_alias), (
            name
        )
