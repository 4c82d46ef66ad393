"""The web and capture containers' health check: GET /healthz on the local gunicorn, as the TLS proxy sends it.

Standard library only, so a check every 30 s costs no Django start-up. In production Django answers only for a
host in ALLOWED_HOSTS (400 otherwise) and redirects plain http to https (301): the request therefore names the
first allowed host and carries the X-Forwarded-Proto header of the proxy, so that /healthz's own answer, 200 or
503, is what decides.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe_host() -> str:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    # ".example.gov.cn" allows the domain and its subdomains; "*" allows anything.
    host = hosts[0].lstrip(".") if hosts else "localhost"
    return "localhost" if host == "*" else host


def main() -> int:
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": probe_host(), "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as error:
        print(f"/healthz unreachable: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(f"/healthz answered {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
