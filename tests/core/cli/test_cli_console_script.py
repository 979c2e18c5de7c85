"""The installed ``casehub`` command in a shell: init, check, cases, and a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

Shell = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def casehub() -> str:
    script = shutil.which("casehub", path=str(Path(sys.executable).parent)) or shutil.which("casehub")
    assert script, "the casehub console script is not installed next to this Python (pip install -e .)"
    return script


@pytest.fixture
def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CASEHUB_")}


@pytest.fixture
def shell(casehub: str, tmp_path: Path, clean_env: dict[str, str]) -> Shell:
    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [casehub, *args], cwd=tmp_path, env=clean_env, capture_output=True, text=True, timeout=60
        )

    return call


def test_init_check_create_list(shell: Shell) -> None:
    assert shell("--version").stdout.startswith("casehub ")
    assert shell("init").returncode == 0
    checked = shell("check")
    assert checked.returncode == 0 and "All good." in checked.stdout

    created = shell("cases", "create", "--subject", "From a shell", "--email", "ada@example.com", "--json")
    assert created.returncode == 0, created.stderr
    listed = shell("cases", "list", "--json")
    assert [c["subject"] for c in json.loads(listed.stdout)["items"]] == ["From a shell"]

    refused = shell("cases", "create", "--subject", "x", "--email", "nope")
    assert refused.returncode == 1 and "contact.email" in refused.stderr and "Traceback" not in refused.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_http_and_shares_the_database_with_the_cli(
    casehub: str, shell: Shell, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    shell("init")
    token = re.search(r'^tokens = \["([^"]+)"\]', (tmp_path / "casehub.toml").read_text(), re.MULTILINE)
    assert token
    port = free_port()
    server = subprocess.Popen(
        [casehub, "serve", "--port", str(port)], cwd=tmp_path, env=clean_env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "casehub serve did not answer /healthz within 30 s"
            time.sleep(0.1)
        created = httpx.post(f"{base}/api/v1/cases", json={"subject": "Over HTTP"},
                             headers={"Authorization": f"Bearer {token.group(1)}"})
        assert created.status_code == 201, created.text
        listed = shell("cases", "show", created.json()["number"], "--json")
        assert listed.returncode == 0 and '"subject": "Over HTTP"' in listed.stdout
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    assert server.returncode == 0, err
    assert f"casehub serving on http://127.0.0.1:{port}" in " ".join(out.split())
    assert "Traceback" not in err
