"""The last resort for a bug: a generic 500 problem, the error logged once, the connection kept.

Starlette's own last resort re-raises after answering, so the server logs the
error a second time and closes the connection, which a keep-alive client then
sees as a reset on its next, unrelated request.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casehub.api.problems import INTERNAL_DETAIL, problem

__all__ = ["CatchUnexpected"]

log = logging.getLogger("casehub.api")

class CatchUnexpected:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:  # part of a response is out: only closing the connection can tell the client
                raise
            await problem(500, INTERNAL_DETAIL, code="internal_error")(scope, receive, send)
