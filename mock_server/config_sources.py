"""Where the config comes from: a TOML file, ``RIVYA_MOCK_*`` variables and flags.

``load`` applies them in that order over the embedded defaults and remembers where each
value was set, so a bad one is named by its file and line, its variable or its flag.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rivya_contract.mock_server.config import (
    ENV_PREFIX,
    FIELDS,
    MockConfig,
    convert,
    from_mapping,
)


def from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Return the config values set by ``RIVYA_MOCK_*`` variables in ``environ``."""
    return {
        key.removeprefix(ENV_PREFIX).lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key.removeprefix(ENV_PREFIX).lower() in FIELDS
    }


def _line_of(text: str, key: str, table: str | None) -> int | None:
    """Return the line number of ``key = ...`` (in ``[table]`` when given), or None."""
    current: str | None = None
    assignment = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        header = re.fullmatch(r"\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?", line)
        if header:
            current = header.group(1)
        elif current == table and assignment.match(line):
            return number
    return None


def from_toml(path: Path) -> dict[str, Any]:
    """Return the config values in a TOML file (top level, or a ``[mock]`` table).

    With a ``[mock]`` table, any other top-level key is an error naming its line.
    """
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: {error}") from None
    if "mock" in data:
        if not isinstance(data["mock"], dict):
            raise ValueError(f"{path}:{_line_of(text, 'mock', None)}: mock must be a table")
        for key in data:
            if key != "mock":
                line = _line_of(text, key, None)
                where = f"{path}:{line}" if line else str(path)
                raise ValueError(
                    f"{where}: {key} is outside the [mock] table; move it under [mock]"
                )
    table = data.get("mock", data)
    return {key.replace("-", "_"): value for key, value in table.items()}


def _sourced(path: Path) -> dict[str, str]:
    """Return where each key of a config file is set: ``file:line``."""
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    table = "mock" if "mock" in data else None
    found = {}
    for key in data["mock"] if table else data:
        line = _line_of(text, key, table)
        found[key.replace("-", "_")] = f"{path}:{line}" if line else str(path)
    return found


def load(
    *,
    flags: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> MockConfig:
    """Build the config: defaults, then the TOML file, then env, then flags (last wins).

    A bad value's error names where it was set: the file and line, the
    environment variable or the flag.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if config_file is not None:
        values.update(from_toml(config_file))
        sources.update(_sourced(config_file))
    env = from_env(os.environ if environ is None else environ)
    values.update(env)
    sources.update({name: ENV_PREFIX + name.upper() for name in env})
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    values.update(given)
    sources.update({name: "--" + name.replace("_", "-") for name in given})
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValueError(f"{sources.get(unknown[0], 'config')}: unknown config key {unknown[0]}")
    for name, value in values.items():
        try:
            convert(name, value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{sources[name]}: {name}: {error}") from None
    try:
        return from_mapping(values)
    except ValueError as error:
        problems = str(error).split("; ")
        named = [_with_source(problem, sources) for problem in problems]
        raise ValueError("; ".join(named)) from None


def _with_source(problem: str, sources: Mapping[str, str]) -> str:
    """Prefix a problem with where its field was set, when it was set at all."""
    field_name = re.split(r"[\s,:]", problem, maxsplit=1)[0]
    source = sources.get(field_name)
    return f"{source}: {problem}" if source else problem
