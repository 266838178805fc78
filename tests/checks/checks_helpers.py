"""Shared helpers of the checks tests: a topology builder and a loopback HTTP server that
serves a fixed JSON health document (a real ``http.server``, standing in for the SomaAgent01
gateway, which is not available here)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from somastack_deploy.config_contract.topology import Topology


def topology_with(services: dict, *, mode: str = "StandAlone", env: str = "DEV", stack: str = "test") -> Topology:
    """A version-1 topology with the given ``services`` entries (dicts)."""
    return Topology.model_validate({"version": 1, "stack": stack,
                                    "dimensions": {"software_mode": mode, "environment": env, "saas_bridge": False,
                                                   "target": "LOCAL"},
                                    "services": services})


class HealthServer:
    """``ThreadingHTTPServer`` on 127.0.0.1 (ephemeral port) answering ``path`` with
    ``status`` and the JSON ``body`` (mutable between requests); ``delay_s`` sleeps first."""

    def __init__(self, body, *, path: str = "/api/v1/health", status: int = 200, delay_s: float = 0.0):
        self.body, self.path, self.status, self.delay_s = body, path, status, delay_s
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                import time

                time.sleep(outer.delay_s)
                if self.path != outer.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(outer.body).encode() if not isinstance(outer.body, bytes) else outer.body
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle(self):
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the probe gave up (timeout test)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
