"""``rivya-mock``: serve the mock, print its OpenAPI document, or check a target."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from rivya_contract.mock_server.config import ENV_PREFIX, MockConfig, load


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="a TOML file of settings ([mock] table)")
    for field in dataclasses.fields(MockConfig):
        flag = "--" + field.name.replace("_", "-")
        env = ENV_PREFIX + field.name.upper()
        if field.type in ("bool",) or isinstance(field.default, bool):
            parser.add_argument(
                flag,
                dest=field.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"(env {env}; default {field.default})",
            )
            continue
        default = field.default if field.default is not dataclasses.MISSING else "{}"
        parser.add_argument(
            flag,
            dest=field.name,
            default=None,
            metavar="VALUE",
            help=f"(env {env}; default {default})",
        )


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(MockConfig)}
    return {name: value for name, value in vars(args).items() if name in names}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rivya-mock", description="An offline mock of the Rivya Public API v1."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    _add_config_flags(serve)
    openapi = commands.add_parser("openapi", help="print an OpenAPI document")
    openapi.add_argument(
        "--document",
        choices=("api", "control"),
        default="api",
        help="api: the Rivya API's (default); control: the mock's control API's",
    )
    _add_config_flags(openapi)
    for name, command in _commands().items():
        command.add_parser(commands, name)
    return parser


class Command(Protocol):
    """A subcommand another part of rivya-contract adds (entry point group ``COMMANDS``)."""

    def add_parser(self, commands: Any, name: str) -> None:
        """Add the subcommand's parser to ``commands`` (argparse subparsers)."""

    def run(self, args: argparse.Namespace) -> int:
        """Run it; return the exit status."""


COMMANDS = "rivya_contract.commands"
"""The entry point group of subcommands; the contract suite adds ``check`` there."""


@functools.cache
def _commands() -> dict[str, Command]:
    found: dict[str, Command] = {}
    for entry in entry_points(group=COMMANDS):
        found[entry.name] = entry.load()
    return found


def serve(config: MockConfig) -> None:
    """Serve a mock built from ``config`` under uvicorn until interrupted."""
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.serving import serve_app

    serve_app(Mock(config).app, config.host, config.port, functools.partial(_announce, config))


def _announce(config: MockConfig, base_url: str) -> None:
    clock = "virtual (advance it via the control API)" if config.virtual_clock else "real"
    print(f"rivya-mock serving {base_url}/api/v1", flush=True)
    print(f"  API key : {config.api_key}", flush=True)
    print(f"  credits : {config.credits}", flush=True)
    print(f"  clock   : {clock}", flush=True)
    print(
        f"  try     : curl -H 'Authorization: Bearer {config.api_key}' {base_url}/api/v1/credits",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rivya-mock`` command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command in _commands():
        return _commands()[args.command].run(args)
    try:
        config = load(flags=_flags(args), config_file=args.config)
    except (ValueError, OSError) as error:
        print(f"rivya-mock: {error}", file=sys.stderr)
        return 2
    if args.command == "openapi":
        from rivya_contract.mock_server.mock import Mock

        document = json.loads(Mock(config).backend.document(part=args.document))
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    serve(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
