"""A request with a Host header we do not serve costs one log line, not a traceback."""

from __future__ import annotations

import http.client
import time


def test_a_bad_host_header_is_logged_in_one_line(project, start_daphne):
    daphne = start_daphne(project)
    for _ in range(3):
        connection = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=10)
        connection.request("GET", "/login/", headers={"Host": "evil.example"})
        assert connection.getresponse().status == 400
        connection.close()
    time.sleep(0.5)  # let the server flush its log
    log = daphne.log.read_text()
    assert "Traceback" not in log
    lines = [line for line in log.splitlines() if "evil.example" in line and "DisallowedHost" in line]
    assert len(lines) == 3, log[-3000:]
    assert lines[0].startswith("ERROR django.security.DisallowedHost: Invalid HTTP_HOST header: 'evil.example'")
