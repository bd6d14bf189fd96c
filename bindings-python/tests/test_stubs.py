"""The hand-written stubs name exactly what the native module has."""

import ast
from pathlib import Path

import ticksupply._native as native

STUB = Path(native.__file__).with_name("_native.pyi")


def test_every_stub_name_exists_at_runtime():
    tree = ast.parse(STUB.read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
            cls = getattr(native, node.name)
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and member.name != "__init__":
                    assert hasattr(cls, member.name), f"{node.name}.{member.name}"
        elif isinstance(node, ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.append(node.target.id)
    for name in names:
        assert hasattr(native, name), name
    public = {n for n in dir(native) if not n.startswith("__")} - {"_native"}
    assert public <= set(names), f"missing from the stubs: {public - set(names)}"
