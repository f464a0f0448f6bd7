"""Production mode: the README's variables pass `check --deploy`, and HTTPS mode does what it says."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PROBE = """
from django.test import Client
plain = Client().get("/login/")
print("plain", plain.status_code, plain.get("Location"))
secure = Client(HTTP_X_FORWARDED_PROTO="https").get("/login/")
print("secure", secure.status_code, secure.get("Strict-Transport-Security"))
print("cookie", secure.cookies["csrftoken"]["secure"])
"""


def readme_production_variables() -> dict[str, str]:
    """The ``export`` lines of the README's "Serving in production" section (SECRET_KEY excepted)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Serving in production", 1)[1].split("\n## ", 1)[0]
    found = dict(re.findall(r"^export (\w+)=(\S+)$", section, flags=re.M))
    assert "SOMATIZE_HTTPS" in found
    return found


def test_check_deploy_with_the_readmes_production_variables_prints_no_warning(project):
    project.env.update(readme_production_variables())
    result = project.run("check", "--deploy", "--fail-level", "WARNING")
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_https_mode_redirects_plain_http_and_sends_secure_cookies_and_hsts(project):
    project.env.update(readme_production_variables(), ALLOWED_HOSTS="testserver")
    lines = project.run("shell", "-c", PROBE).stdout.split("\n")
    assert "plain 301 https://testserver/login/" in lines
    assert "secure 200 max-age=31536000; includeSubDomains; preload" in lines
    assert "cookie True" in lines


def test_bad_production_values_stop_start_up_naming_the_variable(project):
    for name, value, words in [
        ("SECURE_HSTS_SECONDS", "a-year", "SECURE_HSTS_SECONDS='a-year' is not an integer"),
        ("CSRF_TRUSTED_ORIGINS", "studies.example.org", "write it as https://host"),
        ("SOMATIZE_HTTPS", "yes please", "SOMATIZE_HTTPS='yes please' is not a boolean"),
    ]:
        env = {**readme_production_variables(), name: value}
        project.env.update(env)
        result = project.run("check", check=False)
        assert result.returncode != 0 and words in result.stderr, (name, result.stderr[-1000:])
