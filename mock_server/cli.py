"""``rivya-mock``: serve the mock, print its OpenAPI document, or check a target."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
import typing
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any, Protocol

from rivya_contract.mock_server.config import ENV_PREFIX, MockConfig, field_docs
from rivya_contract.mock_server.config_sources import load


def _readable(value: Any) -> str:
    """Return a default as a person would write it: on/off, unset, none, 86400."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "unset"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict) and not value:
        return "none"
    return str(value)


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="a TOML file of settings (a [mock] table)"
    )
    docs = field_docs()
    hints = typing.get_type_hints(MockConfig)
    for field in dataclasses.fields(MockConfig):
        flag = "--" + field.name.replace("_", "-")
        env = ENV_PREFIX + field.name.upper()
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        described = f"{docs.get(field.name, '')} (env {env}; default: {_readable(default)})"
        if isinstance(default, bool):
            parser.add_argument(
                flag,
                dest=field.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=described.replace("%", "%%"),
            )
            continue
        choices = typing.get_args(hints[field.name])
        literal = typing.get_origin(hints[field.name]) is typing.Literal
        parser.add_argument(
            flag,
            dest=field.name,
            default=None,
            metavar="{" + ",".join(choices) + "}" if literal else field.name.split("_")[-1].upper(),
            help=described.replace("%", "%%"),
        )


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(MockConfig)}
    return {name: value for name, value in vars(args).items() if name in names}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rivya-mock", description="An offline mock of the Rivya Public API v1."
    )
    parser.add_argument("--version", action="version", version=f"rivya-mock {_version()}")
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


def _version() -> str:
    try:
        return version("rivya-contract")
    except PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return "0+unknown"


def serve(config: MockConfig) -> int:
    """Serve a mock built from ``config`` until Ctrl-C; return the exit status.

    Ctrl-C prints one line and returns 0; a port in use returns 2 with a hint. On an
    address beyond loopback without an admin token, one is generated and printed
    (``exposure.guarded``).
    """
    from rivya_contract.mock_server import logs
    from rivya_contract.mock_server.connections import Bounds
    from rivya_contract.mock_server.exposure import guarded
    from rivya_contract.mock_server.mock import Mock
    from rivya_contract.mock_server.serving import PortInUse, bind, serve_app

    logs.configure(config.log_level, config.log_format)
    config, generated = guarded(config)
    try:
        mock = Mock(config)
    except ValueError as error:  # a cassette (--replay) that cannot be used
        print(f"rivya-mock: {error}", file=sys.stderr)
        return 2
    try:
        sock = bind(config.host, config.port)
    except PortInUse as error:
        hint = "choose another with --port, or --port 0 for a free one"
        print(f"rivya-mock: {error}; {hint}", file=sys.stderr)
        return 2
    try:
        announce = functools.partial(_announce, config, generated)
        if config.workers > 1:
            from rivya_contract.mock_server.workers import serve_workers

            serve_workers(config, sock, announce)
        else:
            bounds = Bounds.of(config)
            serve_app(mock.app, config.host, config.port, announce, sock=sock, bounds=bounds)
    except KeyboardInterrupt:
        pass
    print("rivya-mock: stopped", flush=True)
    return 0


def _announce(config: MockConfig, generated: str | None, base_url: str) -> None:
    virtual = config.virtual_clock or config.replay is not None
    clock = "virtual (advance it via the control API)" if virtual else "real"
    lines = [
        f"rivya-mock {_version()} serving {base_url}/api/v1",
        f"  API key   : {config.api_key}",
        f"  credits   : {config.credits}",
        f"  clock     : {clock}",
        f"  store     : {_store_line(config)}",
    ]
    if config.replay is not None:
        lines.append(f"  replaying : {config.replay}")
    if config.control:
        guard = " (asks for the admin token)" if config.admin_token else ""
        lines += [
            f"  dashboard : {base_url}/__mock__/{guard}",
            f"  control   : {base_url}/__mock__/  (rivya-mock ctl --url {base_url})",
            f"  metrics   : {base_url}/__mock__/metrics",
        ]
        if generated is not None:
            lines += [
                f"  admin     : {generated}  (generated: {config.host} is reachable beyond this"
                " machine; set --admin-token to choose one)",
                f"  open      : {base_url}/__mock__/#token={generated}",
            ]
    else:
        lines.append("  dashboard : off (--no-control)")
    lines.append(
        f"  try       : curl -H 'Authorization: Bearer {config.api_key}' {base_url}/api/v1/credits"
    )
    print("\n".join(lines), flush=True)


def _store_line(config: MockConfig) -> str:
    from rivya_contract.mock_server.store_watch import store_name

    if config.store == "memory":
        return "memory (this process; lost when it stops)"
    workers = f", {config.workers} workers" if config.workers > 1 else ""
    return f"{store_name(config.store)} (namespace {config.namespace}{workers})"


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
    return serve(config)


if __name__ == "__main__":
    raise SystemExit(main())
