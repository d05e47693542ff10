"""What an install brings: every module imports, and every package the code imports is
a declared dependency (an undeclared one works on a developer's machine and fails on a
user's fresh install)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import annotations
import reader

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (reader, annotations)


def all_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if not module.name.endswith(".__main__"):  # that one runs the app
                names.append(module.name)
    return sorted(names)


def declared() -> set[str]:
    """The runtime dependencies named in pyproject.toml, normalised."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        normalised(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def third_party_imports() -> dict[str, set[str]]:
    """Top-level names of non-standard modules imported by the code, with where."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in Path(package.__path__[0]).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ("reader", "annotations"):
                        found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


@pytest.mark.parametrize("name", all_modules())
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_every_imported_package_is_declared() -> None:
    imports = third_party_imports()
    assert {"textual", "sqlite_utils", "trafilatura"} <= set(imports)  # the scan found them
    distributions = packages_distributions()
    wanted = declared()
    missing = {
        name: sorted(where)
        for name, where in imports.items()
        if not any(normalised(d) in wanted for d in distributions.get(name, [name]))
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
