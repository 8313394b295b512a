"""Clients and models generated from the documents the mock serves, by independent tools.

``generate_client`` runs openapi-python-client and ``generate_models``
datamodel-code-generator, each in a subprocess, into a folder of the caller's;
``load_models`` imports the generated models module.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

GENERATOR_TIMEOUT = 180
CLIENT_CONFIG = "post_hooks: []\n"
"""openapi-python-client's settings: no formatter run afterwards (it is not needed to import)."""


def _run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, timeout=GENERATOR_TIMEOUT, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def generate_client(document: dict[str, Any], package: str, folder: Path) -> Path:
    """Generate a client package ``package`` under ``folder`` from ``document``; return ``folder``.

    Any generator warning (an operation or schema it had to leave out) fails it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{package}.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    config = folder / f"{package}.yaml"
    config.write_text(CLIENT_CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(source)]
    command += ["--meta", "none", "--output-path", str(folder / package), "--config", str(config)]
    _run([*command, "--fail-on-warning"], folder)
    return folder


def generate_models(document: dict[str, Any], folder: Path) -> Path:
    """Generate pydantic v2 models from ``document`` with datamodel-code-generator."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "document.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    output = folder / "generated_models.py"
    command = [sys.executable, "-m", "datamodel_code_generator", "--input", str(source)]
    command += ["--input-file-type", "openapi", "--output", str(output)]
    command += ["--output-model-type", "pydantic_v2.BaseModel", "--formatters", "builtin"]
    _run(command, folder)
    return output


def load_models(path: Path) -> ModuleType:
    """Import the generated models module at ``path``."""
    spec = importlib.util.spec_from_file_location("rivya_generated_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' names through it
    spec.loader.exec_module(module)
    return module
