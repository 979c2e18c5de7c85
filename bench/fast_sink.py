"""A vendor that answers at once, for the delivery benchmark: a bare ASGI app on uvicorn (httptools).

The test suite's :class:`casehub.fakes.sink.Sink` is built for scripting
failures, on the standard library's threaded server; at a thousand requests a
second it would be the thing measured. This one records what arrived and
answers ``{"id": ...}`` (or per-record results for a batch), nothing else.

    python bench/fast_sink.py      # prints its URL; GET /_sink/received returns what arrived
"""

from __future__ import annotations

import json
import socket
import sys
import time
from typing import Any

import uvicorn

received: list[dict[str, Any]] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/_sink/received":
        payload = json.dumps(received).encode()
    else:
        data = json.loads(body) if body else None
        received.append({"path": scope["path"], "at": time.time(), "status": 200, "body": data})
        if isinstance(data, dict) and "records" in data:
            answer: Any = {"results": [{"ok": True, "id": f"B{r['outbox_id']}"} for r in data["records"]]}
        else:
            answer = {"id": f"R{len(received)}"}
        payload = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})


def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, http="httptools", log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
