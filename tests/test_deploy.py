"""The deployment files agree with each other and with the server's settings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from app.serve import ENVIRONMENT_PREFIX, parser
from benchmarks.cluster import NGINX, NGINX_CONF, nginx_config

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
DOCKERFILE = (REPO / "Dockerfile").read_text()


def test_nginx_routes_to_exactly_the_compose_labs_and_keeps_websockets():
    config = NGINX_CONF.read_text()
    upstream = re.search(r"upstream newton_lab \{(.*?)\}", config, re.S).group(1)
    servers = re.findall(r"server (\S+);", upstream)
    labs = sorted(name for name in COMPOSE["services"] if name.startswith("lab"))
    assert sorted(servers) == [f"{name}:5006" for name in labs]
    assert "hash $affinity consistent;" in upstream  # a student's page and websocket reach one lab
    for header in ("Upgrade $http_upgrade", "Connection $connection_upgrade", "Host $http_host"):
        assert f"proxy_set_header {header};" in config
    assert any(port.endswith(":80") for port in COMPOSE["services"]["nginx"]["ports"])


def test_compose_labs_never_allow_every_origin():
    for name, service in COMPOSE["services"].items():
        if name.startswith("lab"):
            origins = service["environment"]["NEWTON_LAB_ALLOWED_ORIGINS"]
            assert "*" not in origins and origins


def test_dockerfile_builds_from_a_base_argument_runs_unprivileged_and_checks_liveness():
    assert DOCKERFILE.split("ARG BASE=python:3.12-slim", 1)[0].strip().startswith("#")  # comments only before
    assert "FROM ${BASE}" in DOCKERFILE and "EXPOSE 5006" in DOCKERFILE
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"HEALTHCHECK .*liveness", DOCKERFILE, re.S)
    assert 'CMD ["python", "-m", "app.serve"]' in DOCKERFILE


def test_every_server_setting_has_an_environment_variable_and_a_safe_default():
    options = parser().parse_args([])
    assert options.address == "127.0.0.1" and options.allowed_origins == "" and options.basic_auth == ""
    documented = (REPO / "docs" / "deploy.md").read_text()
    for action in parser()._actions:
        if action.dest != "help":
            variable = ENVIRONMENT_PREFIX + {"num_procs": "PROCESSES"}.get(action.dest, action.dest.upper())
            assert variable in documented, variable


@pytest.mark.skipif(not Path(NGINX).exists(), reason="no nginx on this machine")
def test_nginx_accepts_the_configuration(tmp_path):
    (tmp_path / "logs").mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(["127.0.0.1:5006", "127.0.0.1:5007"], 8080))
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(config), "-g",
                              f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log;"],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
