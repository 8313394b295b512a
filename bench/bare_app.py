"""A bare Starlette JSON endpoint, served the way ``rivya-mock serve`` serves the mock.

It is the baseline of the HTTP benchmark: the same framework, server and
settings, with no work of its own. It answers every path with a small
task-shaped JSON object (202 to POST, 200 otherwise) after reading the body.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rivya_contract.mock_server.serving import serve_app

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
TASK: dict[str, Any] = {
    "id": "task_00000000000000000000abcd",
    "status": "queued",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 0,
    "created_at": "2026-05-11T00:00:00.000Z",
    "updated_at": "2026-05-11T00:00:00.000Z",
    "result": None,
    "error": None,
}
"""A task-shaped answer (the bare app gives each its own id; the peers answer it as it is)."""


def build_app() -> Starlette:
    """Return the bare app: one catch-all route answering a fixed JSON object."""
    counter = itertools.count()

    async def endpoint(request: Request) -> Response:
        await request.body()
        task = {**TASK, "id": f"task_{next(counter):024x}"}
        status = 202 if request.method == "POST" else 200
        return JSONResponse(task, status)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)])


def serve(host: str, port: int) -> None:
    """Serve the bare app under uvicorn with the mock's server settings; print the URL."""
    serve_app(
        build_app(), host, port, lambda base_url: print(f"bare app serving {base_url}", flush=True)
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``--host`` and ``--port`` and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
