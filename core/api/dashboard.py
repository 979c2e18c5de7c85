"""``/dashboard``: the reports' KPI tiles, charts and at-risk lists as a page, for people.

Server rendered (Jinja2, autoescaped) from the very data of
``GET /api/v1/reports/dashboard``, so page and API cannot disagree. The charts
are drawn by the bundled Chart.js from that data, embedded as JSON: no build
step, no CDN, and a Content-Security-Policy that lets the page load scripts and
styles from this app only.

Who may look: whoever holds an API token (read-only ones too), sent as a
bearer token by scripts, or typed once into ``/dashboard/login``. The session
cookie that login sets holds the token's name and an expiry, never the token,
and is signed with a key derived from all configured tokens: changing the
tokens ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from itsdangerous import BadData, URLSafeSerializer
from jinja2 import Environment, PackageLoader

from casehub import __version__
from casehub.api.auth import Principal, match_token, principals
from casehub.api.common import hub_of
from casehub.api.dashboard_view import view
from casehub.api.problems import ApiProblem
from casehub.api.reports import parse_query
from casehub.hub import Hub
from casehub.reports import dashboard

__all__ = ["COOKIE", "CSP", "Sessions", "router"]

COOKIE = "casehub_dashboard"
LIFETIME = timedelta(hours=8)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
# Figures about customers: not cached, not framed, the URL (with its filters) not sent elsewhere.
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "same-origin",
           "X-Content-Type-Options": "nosniff"}  # fmt: skip
STATIC = {"chart.umd.min.js": "text/javascript", "dashboard.js": "text/javascript", "dashboard.css": "text/css"}
_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_LIMITS = {"since": 40, "until": 40, "queue": 255, "channel": 255, "priority": 255}  # as /api/v1/reports/dashboard

_env = Environment(loader=PackageLoader("casehub", "templates/dashboard"), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True)  # fmt: skip
_env.globals["version"] = __version__

router = APIRouter(tags=["dashboard"], include_in_schema=False)


class Sessions:
    """Signs and reads the session cookie of the tokens configured now."""

    def __init__(self, known: list[tuple[bytes, Principal]]) -> None:
        material = b"".join(len(t).to_bytes(4, "big") + t for t in sorted(t for t, _ in known))
        key = hmac.new(b"casehub-dashboard-session", material, hashlib.sha256).digest()
        self._signer = URLSafeSerializer(key, salt="casehub-dashboard", signer_kwargs={"digest_method": hashlib.sha256})
        self._names = {p.actor for _, p in known}

    def issue(self, name: str, now: datetime) -> str:
        return self._signer.dumps({"name": name, "exp": int((now + LIFETIME).timestamp())})

    def read(self, cookie: str, now: datetime) -> str | None:
        """The name the cookie was issued to, or None when it is forged, expired or its token is gone."""
        try:
            data = self._signer.loads(cookie)
        except BadData:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] <= now.timestamp():
            return None
        name = data.get("name")
        return name if name in self._names else None


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _page(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def _message(title: str, text: str, status: int, **context: Any) -> _Refused:
    return _Refused(_page("message.html", status, title=title, text=text, **context))


def _no_tokens() -> _Refused:
    return _message("Dashboard not configured", "", 503, no_tokens=True)


def _authenticate(request: Request, hub: Hub) -> tuple[str, bool]:
    """Who is looking, and whether through a session (which can log out); a bearer token first, then the cookie."""
    known = principals(hub.settings.api)
    if not known:
        raise _no_tokens()
    scheme, _, offered = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and offered.strip():
        match = match_token(known, offered.strip().encode("latin-1", "replace"))
        if match is None:
            raise _message("Not signed in", "The bearer token is not valid.", 401,
                           headers={"WWW-Authenticate": 'Bearer realm="casehub"'})  # fmt: skip
        return match.actor, False
    name = Sessions(known).read(request.cookies.get(COOKIE, ""), hub.clock())
    if name is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise _Refused(RedirectResponse(f"/dashboard/login?next={quote(here, safe='')}", 303, headers=HEADERS))
    return name, True


def _query(request: Request, hub: Hub) -> tuple[Any, Any, dict[str, str]]:
    """The period and filters asked for (an empty form field means "all"), or a 422 page naming the bad ones."""
    asked = {name: value for name in _LIMITS if (value := request.query_params.get(name, "").strip())}
    errors = [{"field": name, "message": f"at most {limit} characters"}
              for name, limit in _LIMITS.items() if len(asked.get(name, "")) > limit]  # fmt: skip
    if not errors:
        filters = {name: asked.get(name) for name in ("queue", "channel", "priority")}
        try:
            period, scope = parse_query(hub, asked.get("since"), asked.get("until"), filters)
        except ApiProblem as problem:
            named = [(e["field"].removeprefix("query."), e["message"]) for e in problem.errors or []]
            errors = [{"field": field, "message": message.removeprefix(f"{field}: ")} for field, message in named]
        else:
            return period, scope, asked
    raise _message("Check the filters", "These parameters cannot be used:", 422, errors=errors)


@router.get("/dashboard", response_class=HTMLResponse)
def page(request: Request) -> Response:
    hub = hub_of(request)
    try:
        actor, session = _authenticate(request, hub)
        period, scope, asked = _query(request, hub)
    except _Refused as refused:
        return refused.response
    data = dashboard(hub, period, scope)
    return _page("dashboard.html", title="Dashboard", actor=actor, session=session, **view(data, asked, hub.clock()))


def _next(value: str) -> str:
    """Where to go after login: a page of the dashboard, never another site."""
    ok = value.startswith("/dashboard") and value.isprintable() and "\\" not in value and "//" not in value
    return value if ok else "/dashboard"


@router.get("/dashboard/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/dashboard") -> Response:
    if not principals(hub_of(request).settings.api):
        return _no_tokens().response
    return _page("login.html", title="Sign in", next=_next(next))


@router.post("/dashboard/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    hub = hub_of(request)
    known = principals(hub.settings.api)
    if not known:
        return _no_tokens().response
    try:
        fields = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        fields = {}
    target = _next(fields.get("next", "/dashboard"))
    token = fields.get("token", "").strip()
    match = match_token(known, token.encode()) if 0 < len(token) <= 1024 else None
    if match is None:
        return _page("login.html", 401, title="Sign in", next=target, error="That token is not valid. Use a token from [api] tokens.")
    response = RedirectResponse(target, 303, headers=HEADERS)
    response.set_cookie(COOKIE, Sessions(known).issue(match.actor, hub.clock()), max_age=int(LIFETIME.total_seconds()),
                        path="/dashboard", httponly=True, samesite="strict", secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.api_route("/dashboard/logout", methods=["GET", "POST"], response_class=HTMLResponse)
def logout(request: Request) -> Response:
    response = RedirectResponse("/dashboard/login", 303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The dashboard's script, style sheet and Chart.js: a fixed list, so no path from the URL reaches the disk."""
    if name not in STATIC:
        return Response("not found", 404, media_type="text/plain")
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return FileResponse(_STATIC_DIR / name, media_type=STATIC[name], headers=headers)
