"""Bearer-token authentication for ``/api/...``.

Tokens come from ``[api] tokens``; each is compared in constant time. The
token's name becomes the actor on the events a request writes, so the audit
trail says which integration changed a case.

The check is a pure ASGI middleware, not only a FastAPI dependency: FastAPI
reads and parses the body before it runs dependencies, so an anonymous caller
would otherwise learn whether its JSON was valid (400/422) before hearing it
may not ask (401), and would have its body buffered first. The dependencies
``reader`` and ``writer`` hand the principal to the routes and declare the
scheme in the OpenAPI document.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from casehub.api.problems import ApiProblem, problem
from casehub.settings import ApiSection, ApiToken

__all__ = ["BearerAuth", "Principal", "match_token", "principals", "reader", "writer"]

PREFIX = "/api/"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="casehub"'}


@dataclass(frozen=True)
class Principal:
    actor: str
    read_only: bool


def principals(api: ApiSection) -> list[tuple[bytes, Principal]]:
    """Each configured token with who it makes the caller; also the dashboard's login."""
    found = []
    for entry in api.tokens:
        if isinstance(entry, ApiToken):
            found.append((entry.token.get_secret_value().encode(), Principal(f"api:{entry.name}", entry.read_only)))
        else:
            found.append((entry.get_secret_value().encode(), Principal("api", False)))
    return found


def match_token(known: list[tuple[bytes, Principal]], offered: bytes) -> Principal | None:
    """The principal whose token is ``offered``, or None; every token is compared, in constant time."""
    match = None
    for token, principal in known:  # no early exit: the time taken does not say which token matched
        if secrets.compare_digest(offered, token):
            match = principal
    return match


class BearerAuth:
    def __init__(self, app: ASGIApp, api: ApiSection) -> None:
        self.app = app
        self.principals = principals(api)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            principal = self._authenticate(scope)
        except ApiProblem as refused:
            response = problem(refused.status, refused.detail, code=refused.code, headers=refused.headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _authenticate(self, scope: Scope) -> Principal:
        if not self.principals:
            raise ApiProblem(
                401,
                "the API has no tokens configured: add one to [api] tokens or set CASEHUB_API__TOKENS",
                code="no_tokens_configured",
                headers=_CHALLENGE,
            )
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, offered = header.partition(b" ")
        if scheme.lower() != b"bearer" or not offered.strip():
            raise ApiProblem(401, "send a bearer token: Authorization: Bearer <token>", code="missing_token",
                             headers=_CHALLENGE)
        match = match_token(self.principals, offered.strip())
        if match is None:
            raise ApiProblem(401, "the bearer token is not valid", code="invalid_token", headers=_CHALLENGE)
        if match.read_only and scope["method"] not in _SAFE:
            raise ApiProblem(403, f"{match.actor} has a read-only token and cannot change cases",
                             code="read_only_token")
        return match


class _Token(HTTPBearer):
    """The route's side of the check: hands the principal BearerAuth found to the route.

    An ``HTTPBearer`` so the OpenAPI document declares the scheme, with one
    dependency per route (each costs FastAPI a few percent of a request), and
    ``async`` although it does no I/O: FastAPI runs a plain ``def`` dependency
    in its thread pool.
    """

    def __init__(self, *, write: bool) -> None:
        super().__init__(auto_error=False, scheme_name="bearerAuth", description="A token from `[api] tokens`.")
        self.write = write

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        principal: Principal | None = request.scope.get("state", {}).get("principal")
        if principal is None:  # a route under /api/ served without BearerAuth in front: refuse, never allow
            raise ApiProblem(401, "this route needs a bearer token", code="missing_token", headers=_CHALLENGE)
        if self.write and principal.read_only:
            raise ApiProblem(403, f"{principal.actor} has a read-only token and cannot change cases",
                             code="read_only_token")
        return principal


reader = _Token(write=False)
writer = _Token(write=True)
