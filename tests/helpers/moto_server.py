"""Start a moto server for tests that talk to "AWS" over HTTP.

``start_moto_server()`` runs moto in a thread of the test process (fast, ~0.3 s). Pass
``in_subprocess=True`` (and ``env``) when the server needs its own environment, e.g.
``MOTO_ECS_SERVICE_RUNNING=1``. Either way it returns ``(url, stop)``; ``stop`` is safe
to call twice. Set fake credentials with ``fake_aws_credentials()`` so that no test can
ever reach a real account.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def fake_aws_credentials() -> None:
    """Point boto3 at fake credentials (also inherited by child processes)."""
    os.environ.update(FAKE_CREDENTIALS)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)


def start_moto_server(
    *, in_subprocess: bool = False, env: Mapping[str, str] | None = None, serial: bool = False
) -> tuple[str, Callable[[], None]]:
    """Start moto in server mode on a free port of 127.0.0.1; returns (url, stop).

    ``serial``: answer one request at a time. DynamoDB applies a TransactWriteItems
    atomically ("TransactWriteItems is a synchronous write operation that groups up to
    100 action requests ... The actions are completed atomically so that either all of
    them succeed, or all of them fail", https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html);
    moto's threaded server does not (a failed transaction restores a copy of the whole
    table, wiping a concurrent one's write), so concurrency tests of our conditional
    writes ask for a serial server, which behaves as DynamoDB does there."""
    if serial:
        return _start_serial()
    if in_subprocess:
        return _start_subprocess(env or {})
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    stopped: list[bool] = []

    def stop() -> None:
        if not stopped:
            stopped.append(True)
            server.stop()

    return f"http://{host}:{port}", stop


def _start_serial() -> tuple[str, Callable[[], None]]:
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopped: list[bool] = []

    def stop() -> None:
        if not stopped:
            stopped.append(True)
            server.shutdown()
            thread.join(10)

    return f"http://127.0.0.1:{server.server_address[1]}", stop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_subprocess(env: Mapping[str, str]) -> tuple[str, Callable[[], None]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **FAKE_CREDENTIALS, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).close()
            return url, stop
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    stop()
    raise RuntimeError(f"moto server did not answer on {url} within 15 s")


def reset_moto(url: str) -> None:
    """Forget every resource the server holds (between tests that share a server)."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=5).close()
