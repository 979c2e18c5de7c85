"""Bearer-token authentication for ``/api/v1``.

Tokens come from ``[api] tokens``; each is compared in constant time. The
token's name becomes the actor on the events a request writes, so the audit
trail says which integration changed a case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from casehub.api.problems import ApiProblem
from casehub.settings import ApiToken

__all__ = ["Principal", "reader", "writer"]

_bearer = HTTPBearer(auto_error=False, description="A token from `[api] tokens`.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="casehub"'}


@dataclass(frozen=True)
class Principal:
    actor: str
    read_only: bool


def _principals(request: Request) -> list[tuple[bytes, Principal]]:
    cached = getattr(request.app.state, "principals", None)
    if cached is None:
        cached = []
        for n, entry in enumerate(request.app.state.hub.settings.api.tokens):
            if isinstance(entry, ApiToken):
                cached.append((entry.token.get_secret_value().encode(), Principal(f"api:{entry.name}", entry.read_only)))
            else:
                cached.append((entry.get_secret_value().encode(), Principal("api", False)))
        request.app.state.principals = cached
    return cached


def reader(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    principals = _principals(request)
    if not principals:
        raise ApiProblem(
            401,
            "the API has no tokens configured: add one to [api] tokens or set CASEHUB_API__TOKENS",
            code="no_tokens_configured",
            headers=_CHALLENGE,
        )
    if credentials is None:
        raise ApiProblem(401, "send a bearer token: Authorization: Bearer <token>", code="missing_token", headers=_CHALLENGE)
    offered = credentials.credentials.encode()
    match = None
    for token, principal in principals:  # no early exit: the time taken does not depend on which token matched
        if secrets.compare_digest(offered, token):
            match = principal
    if match is None:
        raise ApiProblem(401, "the bearer token is not valid", code="invalid_token", headers=_CHALLENGE)
    return match


def writer(principal: Principal = Depends(reader)) -> Principal:
    if principal.read_only:
        raise ApiProblem(403, f"{principal.actor} has a read-only token and cannot change cases", code="read_only_token")
    return principal
