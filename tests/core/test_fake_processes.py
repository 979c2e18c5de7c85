"""The fakes run as processes for demos and scripts (``python -m casehub.fakes.<name>``): Ctrl-C stops them cleanly.

A script reads the first line it needs and stops the fake at once, often while
the fake is still printing the rest; that must still be a clean exit (code 0,
no traceback), not a KeyboardInterrupt escaping from a print.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest


@pytest.mark.parametrize("name", ["slack", "jira", "salesforce", "sink"])
def test_ctrl_c_right_after_the_first_line_is_a_clean_stop(name: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", f"casehub.fakes.{name}"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip(), "the fake printed nothing"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
        errors = proc.stderr.read() if proc.stderr else ""
    assert code == 0, errors
    assert "Traceback" not in errors
