"""``rivya-mock ctl``: steer a running mock from a shell, over its control API.

For people without curl and jq: ``fault add|list|clear``, ``script``,
``clock advance``, ``keys issue|revoke|expire``, ``credits grant``, ``reset``
and ``journal [--follow]``, each printing a short sentence or a table.
``--url`` (or ``RIVYA_MOCK_URL``) names the mock, ``--admin-token`` (or
``RIVYA_MOCK_ADMIN_TOKEN``, the server's own variable) its admin token.
Exit status 0 on success, 1 when the mock refuses or cannot be reached.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
FOLLOW_SECONDS = 0.5
"""How often ``journal --follow`` asks for new entries."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?")
_UNIT = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


class CtlError(Exception):
    """The mock refused a request or could not be reached; the message says which."""


def seconds(text: str) -> float:
    """Parse ``60``, ``90s``, ``5m``, ``1.5h`` or ``200ms`` as seconds."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 60, 90s, 5m, 1h)")
    return float(found.group(1)) * _UNIT[found.group(2)]


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Return ``rows`` as aligned columns under ``headers``."""
    cells = [[str(header) for header in headers]]
    cells += [["" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    ]
    return "\n".join(lines)


class Control:
    """A client of one mock's control API."""

    def __init__(self, url: str, admin_token: str | None) -> None:
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url + "/__mock__/", headers=headers, timeout=10)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one control request; return its JSON answer or raise ``CtlError``."""
        try:
            reply = self._client.request(method, path, json=body)
        except httpx.TransportError as error:
            raise CtlError(f"no mock answers at {self.url} ({error})") from None
        try:
            data = reply.json()
        except ValueError:
            raise CtlError(f"{self.url} answered {reply.status_code}, not the mock") from None
        if reply.status_code >= 400:
            problem = data.get("error", {}) if isinstance(data, dict) else {}
            code = problem.get("code", reply.status_code)
            raise CtlError(f"{code}: {problem.get('message', '')}")
        return data

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _times(item: dict[str, Any]) -> str:
    left = item.get("remaining")
    return "until removed" if left is None else f"{left} more time{'s' if left != 1 else ''}"


def _fault_answer(fault: dict[str, Any]) -> str:
    parts = [str(fault[name]) for name in ("code", "status") if fault.get(name)]
    if fault.get("delay"):
        parts.append(f"delay {fault['delay']:g} s")
    if fault.get("drop"):
        parts.append("drop")
    return ", ".join(parts)


def _matching(item: dict[str, Any], names: Sequence[str]) -> str:
    found = [f"{name}={item[name]}" for name in names if item.get(name) is not None]
    return " ".join(found) or "any"


def fault_add(control: Control, args: argparse.Namespace) -> str:
    """Add a fault; say what it answers and for how many requests."""
    body = _given(args, "code", "status", "path", "method", "retry_after", "message", "delay")
    if args.drop:
        body["drop"] = True
    body["times"] = None if args.always else args.times
    fault = control.call("POST", "faults", body)
    return (
        f"{fault['id']}: {_fault_answer(fault)} on {_matching(fault, FAULT_MATCH)}, {_times(fault)}"
    )


FAULT_MATCH = ("method", "path", "account")


def fault_list(control: Control, args: argparse.Namespace) -> str:
    """List the faults in force."""
    faults = control.call("GET", "faults")["data"]
    if not faults:
        return "no faults in force"
    rows = [
        (f["id"], _fault_answer(f), _matching(f, FAULT_MATCH), f["used"], _times(f)) for f in faults
    ]
    return table(rows, ("id", "answers", "matches", "used", "left"))


def fault_clear(control: Control, args: argparse.Namespace) -> str:
    """Remove one fault, or every fault."""
    if args.id:
        control.call("DELETE", f"faults/{args.id}")
        return f"removed {args.id}"
    count = control.call("DELETE", "faults")["deleted"]
    return f"removed {count} fault{'s' if count != 1 else ''}"


def script(control: Control, args: argparse.Namespace) -> str:
    """Script the outcome of the next matching creates."""
    names = ("outcome", "code", "message", "queued", "processing", "model", "prompt_contains")
    body = _given(args, *names, "account")
    body["times"] = args.times
    made = control.call("POST", "scripts", body)
    outcome = made.get("outcome") or "succeeded"
    return f"{made['id']}: the next {args.times} matching task(s) end {outcome}"


def clock_advance(control: Control, args: argparse.Namespace) -> str:
    """Move a virtual clock forward."""
    clock = control.call("POST", "clock", {"advance": args.seconds})
    return f"clock now {clock['now']}"


def keys_issue(control: Control, args: argparse.Namespace) -> str:
    """Issue a key and print it."""
    body: dict[str, Any] = {"account_id": args.account}
    body.update(_given(args, "expires_in", "key"))
    if args.scope:
        body["scopes"] = args.scope
    if args.revoked:
        body["revoked"] = True
    return str(control.call("POST", "keys", body)["key"])


def _key_state(key: dict[str, Any]) -> str:
    if key["revoked"]:
        return "revoked"
    return "live" if key["expires_at"] is None else f"expires {key['expires_at']}"


def keys_change(action: str) -> Callable[[Control, argparse.Namespace], str]:
    """Return the command that revokes or expires a key."""

    def change(control: Control, args: argparse.Namespace) -> str:
        key = control.call("POST", f"keys/{args.key}/{action}")
        return f"{key['key']}: {action}d" if action == "expire" else f"{key['key']}: revoked"

    change.__doc__ = f"{action.capitalize()} a key."
    return change


def keys_list(control: Control, args: argparse.Namespace) -> str:
    """List every key."""
    rows = [
        (k["key"], k["account_id"], len(k["scopes"]), _key_state(k))
        for k in control.call("GET", "keys")["data"]
    ]
    return table(rows, ("key", "account", "scopes", "state"))


def credits_grant(control: Control, args: argparse.Namespace) -> str:
    """Add credits to an account."""
    account = control.call("POST", f"accounts/{args.account}/grant", {"credits": args.credits})
    return f"{account['id']}: balance {account['balance']} (granted {account['granted']})"


def reset(control: Control, args: argparse.Namespace) -> str:
    """Forget all state, scripts, faults and the journal."""
    control.call("POST", "reset")
    return "reset: accounts, keys, tasks, files, scripts, faults and the journal are fresh"


JOURNAL_HEADERS = ("time", "method", "path", "status", "code", "ms", "request id")


def _entry_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    path = entry["path"] + ("?" + entry["query"] if entry.get("query") else "")
    ms = entry.get("ms")
    return (
        entry["at"][11:23],
        entry["method"],
        path,
        entry["status"],
        entry["code"] or "-",
        "" if ms is None else f"{ms:.1f}",
        entry["request_id"],
    )


def _journal_path(args: argparse.Namespace) -> str:
    query = _given(args, "path", "status", "code", "method")
    query["limit"] = args.limit
    return "journal?" + str(httpx.QueryParams(query))


def journal(control: Control, args: argparse.Namespace) -> str:
    """Print the journal as a table; with ``--follow``, keep printing new requests."""
    entries = control.call("GET", _journal_path(args))["data"]
    if not args.follow:
        return table([_entry_row(e) for e in entries], JOURNAL_HEADERS)
    print(table([_entry_row(e) for e in entries], JOURNAL_HEADERS), flush=True)
    seen = {entry["request_id"] for entry in entries}
    try:
        while True:
            time.sleep(FOLLOW_SECONDS)
            for entry in control.call("GET", _journal_path(args))["data"]:
                if entry["request_id"] not in seen:
                    seen.add(entry["request_id"])
                    print("  ".join(str(cell) for cell in _entry_row(entry)), flush=True)
    except KeyboardInterrupt:
        return ""


def _subcommands(parser: argparse.ArgumentParser) -> None:
    groups = parser.add_subparsers(dest="ctl_command", required=True, metavar="COMMAND")
    fault = groups.add_parser("fault", help="add, list or clear faults").add_subparsers(
        dest="ctl_action", required=True
    )
    add = fault.add_parser("add", help="inject a fault: a documented code, a 5xx, delay or drop")
    add.add_argument("--code", help="a documented error code, e.g. rate_limited")
    add.add_argument("--status", type=int, help="a bare 5xx status instead of a code")
    add.add_argument("--path", help="an exact path, a route template or a prefix*")
    add.add_argument("--method", type=str.upper, help="only this method")
    add.add_argument("--retry-after", type=int, help="Retry-After seconds")
    add.add_argument("--message", help="the error's message")
    add.add_argument("--delay", type=seconds, help="added latency, e.g. 2s")
    add.add_argument("--drop", action="store_true", help="drop the connection")
    add.add_argument("--times", type=int, default=1, help="how many requests (default 1)")
    add.add_argument("--always", action="store_true", help="every matching request until cleared")
    add.set_defaults(ctl=fault_add)
    fault.add_parser("list", help="list the faults in force").set_defaults(ctl=fault_list)
    clear = fault.add_parser("clear", help="remove one fault by id, or all of them")
    clear.add_argument("id", nargs="?", help="a fault id; all faults without it")
    clear.set_defaults(ctl=fault_clear)

    scripted = groups.add_parser("script", help="script the outcome of the next task(s)")
    scripted.add_argument("outcome", choices=("succeeded", "failed", "processing"))
    scripted.add_argument("--code", help="the failed task's error code")
    scripted.add_argument("--message", help="the failed task's error message")
    scripted.add_argument("--queued", type=seconds, help="time queued, e.g. 5s")
    scripted.add_argument("--processing", type=seconds, help="time processing, e.g. 30s")
    scripted.add_argument("--model", help="only creates for this model")
    scripted.add_argument("--prompt-contains", help="only prompts containing this")
    scripted.add_argument("--account", help="only this account's creates")
    scripted.add_argument("--times", type=int, default=1, help="how many tasks (default 1)")
    scripted.set_defaults(ctl=script)

    clock = groups.add_parser("clock", help="move the virtual clock").add_subparsers(
        dest="ctl_action", required=True
    )
    advance = clock.add_parser("advance", help="move the clock forward, e.g. 60, 90s, 5m")
    advance.add_argument("seconds", type=seconds)
    advance.set_defaults(ctl=clock_advance)

    keys = groups.add_parser("keys", help="issue, revoke, expire or list keys").add_subparsers(
        dest="ctl_action", required=True
    )
    issue = keys.add_parser("issue", help="issue a key and print it")
    issue.add_argument("--account", default="acct_demo", help="its account (default acct_demo)")
    issue.add_argument("--scope", action="append", help="a scope (repeat); every scope without")
    issue.add_argument("--expires-in", type=seconds, help="expire after, e.g. 1h")
    issue.add_argument("--revoked", action="store_true", help="revoked already")
    issue.add_argument("--key", help="choose the secret (rvya_sk_...)")
    issue.set_defaults(ctl=keys_issue)
    for action in ("revoke", "expire"):
        changed = keys.add_parser(action, help=f"{action} a key now")
        changed.add_argument("key")
        changed.set_defaults(ctl=keys_change(action))
    keys.add_parser("list", help="list every key").set_defaults(ctl=keys_list)

    wallet = groups.add_parser("credits", help="grant credits").add_subparsers(
        dest="ctl_action", required=True
    )
    grant = wallet.add_parser("grant", help="add credits to an account's balance")
    grant.add_argument("credits", type=int)
    grant.add_argument("--account", default="acct_demo", help="the account (default acct_demo)")
    grant.set_defaults(ctl=credits_grant)

    groups.add_parser("reset", help="forget all state; the clock keeps its time").set_defaults(
        ctl=reset
    )
    entries = groups.add_parser("journal", help="print the requests the mock answered")
    entries.add_argument("--follow", "-f", action="store_true", help="keep printing new ones")
    entries.add_argument("--path", help="an exact path, a route template or a prefix*")
    entries.add_argument("--status", type=int, help="only this status")
    entries.add_argument("--code", help="only this error code")
    entries.add_argument("--method", type=str.upper, help="only this method")
    entries.add_argument("--limit", type=int, default=50, help="the last N (default 50)")
    entries.set_defaults(ctl=journal)


class CtlCommand:
    """``rivya-mock ctl``: registered under the ``rivya_contract.commands`` entry points."""

    def add_parser(self, commands: Any, name: str) -> None:
        """Add ``ctl``, its connection flags and its subcommands."""
        parser = commands.add_parser(name, help="steer a running mock (faults, clock, keys, ...)")
        parser.add_argument(
            "--url",
            default=os.environ.get("RIVYA_MOCK_URL", DEFAULT_URL),
            help=f"the mock's base URL (env RIVYA_MOCK_URL; default: {DEFAULT_URL})",
        )
        parser.add_argument(
            "--admin-token",
            default=os.environ.get("RIVYA_MOCK_ADMIN_TOKEN"),
            help="the mock's admin token, if it has one (env RIVYA_MOCK_ADMIN_TOKEN)",
        )
        _subcommands(parser)

    def run(self, args: argparse.Namespace) -> int:
        """Run one ctl command; return the exit status."""
        control = Control(args.url, args.admin_token)
        try:
            said = args.ctl(control, args)
        except CtlError as error:
            print(f"rivya-mock ctl: {error}", file=sys.stderr)
            return 1
        finally:
            control.close()
        if said:
            print(said, flush=True)
        return 0


command = CtlCommand()
"""The ``ctl`` subcommand of ``rivya-mock``."""
