"""Request bodies are read as strict RFC 8259 JSON, without NUL characters.

Python's parser also accepts ``NaN``, ``Infinity`` and numbers too large for a
float (read as infinity). No JSON client sends them on purpose, and PostgreSQL
refuses them in a JSON column, so letting them through would turn a client's
mistake into a 500 half-way through a write: they are a 400 at the door.
PostgreSQL refuses NUL in any text too; the models refuse it field by field,
and this is the net under any field that forgets to (a 422 naming the field).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

__all__ = ["NotJson", "StrictJsonRoute"]


class NotJson(HTTPException):
    """A starlette ``HTTPException``, because FastAPI passes only those on from reading the body."""

    def __init__(self, detail: str, *, status: int = 400, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(status, detail)
        self.errors = errors or []


def _constant(name: str) -> Any:
    raise NotJson(f"the request body is not valid JSON: {name} is not a JSON value; send a number or null")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJson(f"the request body is not valid JSON: the number {text[:40]} is out of range")
    return value


def _nul_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield path or "body"
            else:
                yield from _nul_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{n}" if path else str(n))


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            parsed = json.loads(body, parse_constant=_constant, parse_float=_float)
            if b"\\u0000" in body:  # JSON can carry NUL only escaped: the walk is for the rare body that has one
                fields = list(dict.fromkeys(_nul_paths(parsed)))
                if fields:
                    raise NotJson(
                        f"the request is not valid: {', '.join(fields[:5])}: must not contain NUL characters",
                        status=422,
                        errors=[{"field": field, "message": "must not contain NUL characters"} for field in fields],
                    )
            self._json = parsed
        return self._json


class StrictJsonRoute(APIRoute):
    """Use as ``APIRouter(route_class=StrictJsonRoute)``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
