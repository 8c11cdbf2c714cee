"""A stand-in service for real-engine tests (no registry is reachable, so no real images).

    standin.py --listen PORT [--needs HOST:PORT ...]   wait until each need answers, then serve
    standin.py --check PORT                            health check: exit 0 if PORT answers
    standin.py [anything else]                         stand in for another image: just stay up

While serving, GET / answers JSON: this container's environment and when each need answered.
Everything it learns is also appended to /tmp/standin.log.
"""
import argparse
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def log(line: str) -> None:
    with open("/tmp/standin.log", "a") as f:
        f.write(f"{time.time():.3f} {line}\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int)
    parser.add_argument("--needs", nargs="*", default=[])
    parser.add_argument("--check", type=int)
    args, _ = parser.parse_known_args()  # another image's arguments are not ours to judge
    if args.check:
        return 0 if answers("127.0.0.1", args.check) else 1
    log("started")
    if args.listen is None:
        while True:
            time.sleep(3600)
    reached = {}
    for need in args.needs:
        host, port = need.rsplit(":", 1)
        while not answers(host, int(port)):
            time.sleep(0.5)
        reached[need] = time.time()
        log(f"reached {need}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"env": dict(os.environ), "reached": reached}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    log(f"listening on {args.listen}")
    HTTPServer(("0.0.0.0", args.listen), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
