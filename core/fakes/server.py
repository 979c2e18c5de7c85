"""What every vendor fake serves with: a threaded HTTP(S) server on 127.0.0.1 that answers JSON.

A fake only says how it answers one request (:class:`Reply` from method,
path, headers and raw body); connection handling is here, once: keep-alive,
TLS done in the connection's own thread (a slow or plain-HTTP client never
stalls the accept loop), and closing the fake also ends the clients' idle
keep-alive connections.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Reply", "VendorServer", "announce_until_ctrl_c"]


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON; ``None`` (or a 204) sends no body
    headers: dict[str, str] = field(default_factory=dict)


Serve = Callable[[str, str, dict[str, str], bytes], Reply]


class VendorServer(ThreadingHTTPServer):
    """``VendorServer(port, serve, tls=context)``: answers every request with ``serve(method, target, headers, raw)``."""

    daemon_threads = True

    def __init__(self, port: int, serve: Serve, *, tls: ssl.SSLContext | None = None, name: str = "fake",
                 content_type: str = "application/json;charset=UTF-8") -> None:  # fmt: skip
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _handler(serve, tls is not None, content_type))
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name=name, daemon=True)

    def start(self) -> None:
        """Serve from a thread of its own."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every connection (also when it was never started)."""
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never ran
            self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self.connections_lock:
            for connection in list(self.connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed handshakes (plain HTTP, an untrusted CA) and dropped connections are the client's business


def _handler(serve: Serve, tls: bool, content_type: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
        timeout = 30  # idle keep-alive connections end

        def setup(self) -> None:
            if tls:
                self.request.settimeout(10)
                self.request.do_handshake()
            super().setup()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            reply = serve(self.command, self.path, dict(self.headers), raw)
            payload = b"" if reply.status == 204 or reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            if payload:
                self.send_header("Content-Type", content_type)
            if reply.status != 204:
                self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


def announce_until_ctrl_c(lines: list[str]) -> None:
    """Print how to reach a fake, then block its ``main`` until Ctrl-C.

    A script reads the lines it needs and may stop the fake at once, while the
    last lines are still being written: Ctrl-C stops it cleanly then too.
    """
    try:
        for line in lines:
            print(line, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
