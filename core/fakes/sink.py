"""A scriptable HTTP endpoint: records every request, answers as the test says.

The delivery engine's tests need a vendor that can be slow, rate-limit,
fail for a while or refuse data, reached over real HTTP so the real client
libraries' exceptions are what the engine classifies.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from casehub.fakes.server import Reply as Answer
from casehub.fakes.server import VendorServer, announce_until_ctrl_c

__all__ = ["RECEIVED_PATH", "Received", "Reply", "Sink", "main"]

RECEIVED_PATH = "/_sink/received"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float  # time.time() when the request arrived
    status: int  # what the sink answered


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Sink:
    """``with Sink() as sink:`` serves on ``sink.url`` until the block ends."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._defaults: dict[str, Reply] = {}
        self._lock = threading.Condition()
        self._server = VendorServer(0, self._serve, name="sink", content_type="application/json")

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> Sink:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    # -- scripting -------------------------------------------------------------

    def script(self, path: str, *replies: Reply) -> None:
        """The next requests to ``path`` get these replies, in order; then the default."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def default(self, path: str, reply: Reply) -> None:
        """Every request to ``path`` without a scripted reply gets ``reply``."""
        with self._lock:
            self._defaults[path] = reply

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, count: int, *, path: str | None = None, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests (to ``path``) arrived; fail with what did arrive."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [r for r in self.received if path is None or r.path == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} requests{f' to {path}' if path else ''}, got {len(got)}")
                self._lock.wait(left)

    def _summary(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"path": r.path, "at": r.at, "status": r.status, "body": r.body} for r in self.received]

    # -- serving ------------------------------------------------------------------

    def _reply_for(self, path: str) -> Reply:
        with self._lock:
            script = self._scripts.get(path)
            if script:
                return script.popleft()
            return self._defaults.get(path, Reply())

    def _record(self, received: Received) -> int:
        with self._lock:
            self.received.append(received)
            self._lock.notify_all()
            return len(self.received)

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = target.split("?", 1)[0]
        if path == RECEIVED_PATH:  # for a sink in another process: what it got so far
            return Answer(200, self._summary())
        reply = self._reply_for(path)
        number = self._record(Received(method, path, body, headers, time.time(), reply.status))
        if reply.delay:
            time.sleep(reply.delay)
        return Answer(reply.status, reply.body if reply.body is not None else {"id": f"R{number}"}, dict(reply.headers))


def main() -> None:
    """``python -m casehub.fakes.sink``: a sink in its own process (benchmarks); prints its URL."""
    with Sink() as sink:
        announce_until_ctrl_c([sink.url])


if __name__ == "__main__":
    main()
