"""``/api/v1/cases/{ref}/attachments/{id}``: a file that came with a case, as a download."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, Path, Request, Response

from casehub import attachments
from casehub.api.auth import Principal, reader
from casehub.api.common import READ, Ref, case_router, check_ref, hub_of
from casehub.api.problems import ApiProblem

__all__ = ["router"]

router = case_router()


@router.get(
    "/{ref}/attachments/{attachment_id}",
    summary="Download a file that came with the case",
    responses={**READ, 200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
    response_class=Response,
)
def download(
    ref: Ref, request: Request, attachment_id: int = Path(ge=1, le=2**63 - 1), _: Principal = Depends(reader)
) -> Response:
    """Always a download (``Content-Disposition: attachment``), never shown by the browser as a page."""
    hub = hub_of(request)
    case = hub.service.get(check_ref(ref))
    with hub.engine.connect() as conn:
        row = attachments.fetch(conn, case.id, attachment_id)
    if row is None:
        raise ApiProblem(404, f"case {case.number} has no attachment {attachment_id}", code="not_found")
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(bytes(row.data), media_type="application/octet-stream", headers=headers)
