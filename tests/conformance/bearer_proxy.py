"""A local proxy in front of `serve --demo` for the MCP conformance suite, whose server
scenarios cannot send a bearer token: it adds `Authorization: Bearer <key>` and forwards
everything else verbatim, `Host` and `Origin` included, so the suite's DNS-rebinding checks
still reach the server's own Host and Origin checks. (For the same reason `.ci/conformance`
starts the server with `--allow-origin` naming this proxy: the suite's ordinary requests
carry the proxy's address as their Host.)

The proxy must listen before the server starts (its port goes into `--allow-origin`), so it
learns where the server is from a file written once the server is up.

Usage: CONFORMANCE_BEARER=KEY python3 tests/conformance/bearer_proxy.py PORT_FILE UPSTREAM_FILE
  PORT_FILE      written with the port the proxy listens on (127.0.0.1, a free port)
  UPSTREAM_FILE  read at the first request: the server's base URL, like http://127.0.0.1:8000
"""

import http.client
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM_WAIT_SECONDS = 30
UPSTREAM_TIMEOUT_SECONDS = 60
# Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, not to the message.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class Upstream:
    """The server's address, read once from the file `.ci/conformance` writes."""

    def __init__(self, path):
        self.path = path
        self.address = None

    def get(self):
        deadline = time.monotonic() + UPSTREAM_WAIT_SECONDS
        while self.address is None:
            try:
                with open(self.path, encoding="utf-8") as file:
                    url = urllib.parse.urlsplit(file.read().strip())
                if url.hostname and url.port:
                    self.address = (url.hostname, url.port)
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no server address in {self.path} after {UPSTREAM_WAIT_SECONDS} s")
            time.sleep(0.1)
        return self.address


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: Upstream
    bearer: str

    def forward(self):
        body = self.read_body()
        host, port = self.upstream.get()
        connection = http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT_SECONDS)
        connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in HOP_BY_HOP or lower in ("authorization", "content-length"):
                continue
            connection.putheader(name, value)
        connection.putheader("Authorization", f"Bearer {self.bearer}")
        if body or self.command in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        self.log_request(answer.status)
        self.send_response_only(answer.status, answer.reason)
        length = answer.getheader("content-length")
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if length is None:
            # A stream of unknown length (server-sent events): its end is the connection's end.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        while chunk := answer.read1(65536):
            self.wfile.write(chunk)
            self.wfile.flush()
        connection.close()

    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = forward

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.log_date_time_string()} {self.headers.get('host')} {format % args}\n")


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up on a kept-alive connection (the suite's process ending) is
        # not a failure of the proxy; anything else is printed as usual.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    port_file, upstream_file = sys.argv[1], sys.argv[2]
    Forward.upstream = Upstream(upstream_file)
    Forward.bearer = os.environ["CONFORMANCE_BEARER"]
    server = Proxy(("127.0.0.1", 0), Forward)
    with open(port_file + ".tmp", "w", encoding="utf-8") as file:
        file.write(str(server.server_port))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
