import http.server
import threading

import pytest
import requests
from controlplane import free_port

from odooops.errors import ValidationFailed
from odooops.proxy.nginx import ProxyError, Route


@pytest.fixture
def backend():
    """A real HTTP server standing in for an environment's Odoo."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"{self.path} host={self.headers['Host']} xff={self.headers['X-Forwarded-For']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def get(nginx, host, path="/"):
    return requests.get(f"http://127.0.0.1:{nginx.port}{path}", headers={"Host": host}, timeout=5)


def test_route_serves_the_environment_by_host(nginx_server, backend):
    route = Route("feature-x", ("feature-x.dev.example.com", "crm.customer.example"), backend, backend + 1)
    assert nginx_server.apply(route) is True
    r = get(nginx_server, "feature-x.dev.example.com", "/web/login")
    assert r.status_code == 200 and r.text.startswith("/web/login host=feature-x.dev.example.com")
    assert get(nginx_server, "crm.customer.example").status_code == 200
    assert get(nginx_server, "other.dev.example.com").status_code == 404
    assert nginx_server.apply(route) is False                         # unchanged: not rewritten
    assert nginx_server.keys() == ["feature-x"]
    assert nginx_server.remove("feature-x") is True
    assert get(nginx_server, "feature-x.dev.example.com").status_code == 404
    assert nginx_server.remove("feature-x") is False


def test_rejected_config_keeps_the_old_one_serving(nginx_server, backend, tmp_path):
    good = Route("stable", ("stable.dev.example.com",), backend, backend + 1)
    nginx_server.apply(good)
    broken = tmp_path / "broken.template"
    broken.write_text(nginx_server.template.read_text().replace("proxy_redirect off;", "proxy_redirect off"))
    nginx_server.template = broken
    with pytest.raises(ProxyError) as err:
        nginx_server.apply(Route("stable", ("stable.dev.example.com", "new.example.com"), backend, backend + 1))
    assert "nginx" in err.value.details
    assert "new.example.com" not in nginx_server.site_path("stable").read_text()
    assert get(nginx_server, "stable.dev.example.com").status_code == 200


@pytest.mark.parametrize("hostname", ["evil.com; include /etc/passwd", "a b", "x.com\nserver {", "-x.com", ""])
def test_hostile_hostnames_are_refused_before_nginx(hostname):
    with pytest.raises(ValidationFailed):
        Route("x", (hostname,), 20000, 20001)


def test_hostile_slugs_are_refused():
    with pytest.raises(ValidationFailed):
        Route("../../etc/nginx", ("x.com",), 20000, 20001)
