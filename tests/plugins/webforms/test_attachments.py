"""Files with a form post: stored with the case in its transaction, checked by content, downloaded as files."""

from __future__ import annotations

from sqlalchemy import func, select

from casehub.store.tables import attachments, cases
from casehub.testing import TEST_TOKEN

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FORM = {"required": ["email", "subject"], "attachments": {"max_files": 2, "max_bytes": 1000, "types": ["image/png", "text/plain"]}}
FIELDS = {"email": "ada@example.com", "subject": "Broken lamp"}


def stored(hub) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with hub.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(cases)).scalar_one(),
                conn.execute(select(func.count()).select_from(attachments)).scalar_one())  # fmt: skip


def test_files_are_stored_with_the_case_and_downloaded_as_files(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(photos=FORM)
    files = [("photo", ("../../etc/lamp.png", PNG, "image/png")), ("log", ("notes.txt", "Grüße\n".encode(), "text/plain"))]
    response = client.post("/forms/photos", data=FIELDS, files=files, headers={"Accept": "application/json"})
    assert response.status_code == 201
    case = hub.service.get(response.json()["id"])
    [created] = [e for e in hub.service.events(case.id) if e.type == "case.created"]
    shown = created.data["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in shown] == [("lamp.png", "image/png", len(PNG)), ("notes.txt", "text/plain", 8)]
    download = client.get(f"/api/v1/cases/{case.number}/attachments/{shown[0]['id']}", headers={"Authorization": f"Bearer {TEST_TOKEN}"})
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''lamp.png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/api/v1/cases/{case.number}/attachments/{shown[0]['id']}").status_code == 401
    missing = client.get(f"/api/v1/cases/{case.number}/attachments/999", headers={"Authorization": f"Bearer {TEST_TOKEN}"})
    assert missing.status_code == 404 and missing.json()["detail"] == f"case {case.number} has no attachment 999"


def test_bad_files_are_named_and_nothing_is_stored(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(photos=FORM)
    fake = client.post("/forms/photos", data=FIELDS, files=[("photo", ("x.png", b"<html><script>alert(1)</script>", "image/png"))],
                       headers={"Accept": "application/json"})  # fmt: skip
    assert fake.status_code == 422 and fake.json()["errors"]["photo"] == "x.png does not look like a image/png file"
    big = client.post("/forms/photos", data=FIELDS, files=[("photo", ("big.png", PNG + b"\x00" * 2000, "image/png"))],
                      headers={"Accept": "application/json"})  # fmt: skip
    assert "is too large" in big.json()["errors"]["photo"]
    exe = client.post("/forms/photos", data=FIELDS, files=[("photo", ("run.exe", b"MZ\x90", "application/x-msdownload"))],
                      headers={"Accept": "application/json"})  # fmt: skip
    assert "this form takes image/png, text/plain" in exe.json()["errors"]["photo"]
    many = client.post("/forms/photos", data=FIELDS, files=[("p", (f"{i}.png", PNG, "image/png")) for i in range(3)],
                       headers={"Accept": "application/json"})  # fmt: skip
    assert many.status_code == 422 and many.json()["errors"]["p"] == "3 files; this form takes at most 2"
    flood = client.post("/forms/photos", data=FIELDS, files=[("p", (f"{i}.png", PNG, "image/png")) for i in range(50)],
                        headers={"Accept": "application/json"})  # fmt: skip
    assert flood.status_code == 400 and "files" in flood.json()["errors"]["_form"].lower()  # refused without reading
    assert stored(hub) == (0, 0)


def test_a_form_without_attachments_refuses_files(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(plain={"required": ["subject"]})
    response = client.post("/forms/plain", data={"subject": "x"}, files=[("f", ("a.png", PNG, "image/png"))],
                           headers={"Accept": "application/json"})  # fmt: skip
    assert response.status_code == 415 and stored(hub) == (0, 0)
    empty_input = client.post("/forms/plain", data={"subject": "x"}, files=[("f", ("", b"", "application/octet-stream"))],
                              headers={"Accept": "application/json"})  # fmt: skip
    assert empty_input.status_code == 201, "an empty file input (nothing chosen) is not a file"


def test_the_form_page_offers_a_file_input(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(photos=FORM)
    html = client.get("/forms/photos").text
    assert 'enctype="multipart/form-data"' in html
    assert 'name="attachment" type="file" multiple accept="image/png,text/plain"' in html
