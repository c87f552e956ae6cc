"""Handlers stay thin: functions/*/app.py reach AWS only through the domain (the layering
contract; the packages' own contract is .importlinter, run by ``make lint``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a handler must not import: the data access layer, the vendors, the AWS SDK.
BELOW_THE_DOMAIN = ("partnercenter.dal", "partnercenter.vendors", "boto3", "botocore")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _reaches_below(module: str) -> bool:
    return any(module == low or module.startswith(low + ".") for low in BELOW_THE_DOMAIN)


def test_handlers_import_nothing_below_the_domain() -> None:
    handlers = sorted(ROOT.glob("functions/*/app.py"))
    assert len(handlers) >= 15
    wrong = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if _reaches_below(m))
        for path in handlers
    }
    assert {path: modules for path, modules in wrong.items() if modules} == {}


def test_the_check_sees_lazy_imports_too(tmp_path: Path) -> None:
    handler = tmp_path / "app.py"
    handler.write_text("def handler():\n    from partnercenter.dal import members\n")
    assert any(_reaches_below(m) for m in _imports(handler))
