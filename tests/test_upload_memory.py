"""Uploads hold bounded memory: buffers go when the request ends, big files spill to disk.

A mock in a child process, with a 100 MB file budget, takes 15 sequential and then 16
concurrent uploads of 49 MiB over real HTTP; its peak resident memory (``VmHWM``) must
stay within ``RSS_BOUND``, the bound docs/decisions.md gives, while another client's
requests keep being answered.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from support import API

from rivya_contract.mock_server import media

MIB = 1024 * 1024
FILE_BUDGET = 100_000_000
UPLOAD = media.sample("video/mp4") + b"\0" * (49 * MIB - len(media.sample("video/mp4")))
RSS_BOUND = 2 * FILE_BUDGET + 160 * MIB
"""Peak resident memory allowed: the kept files (the budget, and the newest one while the
oldest are dropped), the one upload being stored, and the interpreter itself."""

CHILD = """
import sys
from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread
server = ServerThread(Mock(MockConfig(max_file_bytes=BUDGET, body_timeout=120)))
print("serving", server.start(), flush=True)
sys.stdin.read()
server.stop()
""".replace("BUDGET", str(FILE_BUDGET))


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


async def _uploads(url: str, key: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, timeout=300, headers=headers) as client:

        async def one() -> int:
            files = {"file": ("clip.mp4", UPLOAD, "video/mp4")}
            response = await client.post(f"{API}/files", data={"kind": "video"}, files=files)
            return response.status_code

        return list(await asyncio.gather(*(one() for _ in range(count))))


def test_uploads_stay_within_the_memory_bound() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        url = process.stdout.readline().split()[1]
        key = "rvya_sk_mock_0000000000000000"
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, timeout=300, headers=headers) as client:
            for _ in range(15):
                files = {"file": ("clip.mp4", UPLOAD, "video/mp4")}
                response = client.post(f"{API}/files", data={"kind": "video"}, files=files)
                assert response.status_code == 201, response.text
            sequential = _peak_rss(process.pid)
            assert asyncio.run(_uploads(url, key, 16)) == [201] * 16
            assert client.get(f"{API}/credits").status_code == 200
        peak = _peak_rss(process.pid)
        print(f"peak RSS: {sequential // MIB} MiB sequential, {peak // MIB} MiB in all")
        assert sequential <= RSS_BOUND, sequential // MIB
        assert peak <= RSS_BOUND, peak // MIB
    finally:
        process.stdin.close()
        process.wait(timeout=30)
