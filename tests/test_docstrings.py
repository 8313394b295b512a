"""The examples in the package's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("rivya_contract.schemas", "rivya_contract.mock_server", "rivya_contract.plugin")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        names += [f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_package_docstrings_hold_examples() -> None:
    attempted = sum(
        doctest.testmod(importlib.import_module(name)).attempted
        for name in ("rivya_contract.schemas", "rivya_contract.mock_server")
    )
    assert attempted >= 5
