"""The container image installs what `make prod-up` installs and runs the
same build steps and configuration (README, "Containers"): the image cannot
be built on the project's machines, so these files are compared instead."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
PROD_SH = (ROOT / "deploy" / "prod.sh").read_text()
COMPOSE = (ROOT / "compose.yaml").read_text()
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
RENDER = (ROOT / "deploy" / "render.sh").read_text()


def _make_variable(name: str) -> list[str]:
    match = re.search(rf"^{name} := (.*)$", MAKEFILE, re.MULTILINE)
    assert match, f"{name} is not set in the Makefile"
    words = []
    for word in match.group(1).split():
        if inner := re.fullmatch(r"\$\((\w+)\)", word):
            words += _make_variable(inner.group(1))
        else:
            words.append(word)
    return words


def _stages() -> dict[str, str]:
    """The Dockerfile's stages by name, with their instructions joined
    across line continuations."""
    text = DOCKERFILE.replace("\\\n", " ")
    parts = re.split(r"^FROM \S+ AS (\w+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _apt_packages(stage: str) -> list[str]:
    (line,) = re.findall(r"apt-get install[^&]*", _stages()[stage])
    return [w for w in line.split()[2:] if not w.startswith("-")]


def test_the_image_installs_the_debian_packages_of_the_makefile():
    assert _apt_packages("base") == _make_variable("APT_BASE")
    assert _apt_packages("proxy") == _make_variable("APT_PROXY")
    # `make prod-up` installs both lists (and supervisor, curl, psql).
    prod_up = re.search(r"^prod-up:.*?(?=^\S)", MAKEFILE, re.MULTILINE | re.DOTALL)
    assert "$(call apt_ensure,$(APT_BASE) $(APT_PROD))" in prod_up.group(0)
    assert set(_make_variable("APT_PROXY")) <= set(_make_variable("APT_PROD"))


def test_the_image_and_prod_up_run_the_same_build_script():
    stages = _stages()
    assert "deploy/build.sh" in stages["build"]
    assert re.search(r"^\s*STATIC_ROOT=\S+ deploy/build.sh$", PROD_SH, re.MULTILINE)
    assert "$(PROD) up" in MAKEFILE
    # The one place where the locked dependencies are installed.
    build = (ROOT / "deploy" / "build.sh").read_text()
    assert '"$UV" sync --frozen --no-dev' in build
    assert "uv sync" not in DOCKERFILE
    assert "sync --frozen --no-dev" not in PROD_SH
    # Both install uv the way `make install` does.
    assert (
        '.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.8,<1"'
        in (MAKEFILE)
    )
    assert (
        'pip install --quiet --disable-pip-version-check "uv>=0.8,<1"'
        in (stages["build"])
    )


def test_the_image_and_prod_up_run_gunicorn_and_nginx_with_the_same_files():
    stages = _stages()
    assert (
        '"gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"' in (stages["app"])
    )
    assert "gunicorn -c deploy/gunicorn.conf.py config.wsgi" in PROD_SH
    assert "deploy/nginx.conf" in stages["proxy"]
    assert "deploy/render.sh deploy/nginx.conf" in PROD_SH


def test_every_placeholder_of_the_nginx_template_is_filled_by_both():
    placeholders = set(re.findall(r"\$\{(\w+)\}", NGINX))
    assert placeholders == set(re.findall(r"\$\{(\w+)\}", RENDER))
    proxy_env = _stages()["proxy"]
    for name in sorted(placeholders):
        assert re.search(rf"\b{name}=", proxy_env), f"Dockerfile proxy: {name}"
        assert re.search(rf"\b{name}=", PROD_SH), f"deploy/prod.sh: {name}"


def test_the_image_runs_as_a_user_without_privileges():
    app = _stages()["app"]
    assert re.search(r"^USER portal$", app, re.MULTILINE)
    assert "useradd --system" in app


def test_compose_has_the_topology_of_prod_up():
    services = re.search(r"^services:\n(.*?)^\S", COMPOSE, re.MULTILINE | re.DOTALL)
    names = re.findall(r"^  ([\w-]+):$", services.group(1), re.MULTILINE)
    assert sorted(names) == sorted(
        [
            "postgres",
            "redis",
            "migrate",
            "web-1",
            "web-2",
            "worker-1",
            "worker-2",
            "beat",
            "proxy",
        ]
    )
    # The same programs as deploy/prod.sh's supervisord configuration.
    programs = set(re.findall(r"\[program:([\w$-]+)", PROD_SH))
    assert programs == {"proxy", "web-$i", "worker-$i", "beat"}


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_the_rendered_nginx_configuration_is_valid(tmp_path):
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    subprocess.run(
        [
            str(ROOT / "deploy" / "tls-selfsigned.sh"),
            str(tmp_path / "tls"),
            "localhost",
        ],
        check=True,
        capture_output=True,
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "NGINX_USER": "www-data",
        "NGINX_RUNTIME": str(tmp_path),
        "NGINX_ERROR_LOG": str(tmp_path / "error.log"),
        "NGINX_ACCESS_LOG": str(tmp_path / "access.log"),
        "UPSTREAM_SERVERS": "server 127.0.0.1:9 max_fails=1 fail_timeout=5s;",
        "PROXY_LISTEN": "127.0.0.1:9443",
        "PROXY_SERVER_NAME": "localhost",
        "TLS_CERT": str(tmp_path / "tls" / "cert.pem"),
        "TLS_KEY": str(tmp_path / "tls" / "key.pem"),
        "STATIC_ROOT": str(tmp_path),
        "PROXY_RETRY_POST": "non_idempotent",
    }
    rendered = subprocess.run(
        [str(ROOT / "deploy" / "render.sh"), str(ROOT / "deploy" / "nginx.conf")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "${" not in rendered
    assert "proxy_next_upstream error timeout non_idempotent;" in rendered
    (tmp_path / "nginx.conf").write_text(rendered)
    conf, log = tmp_path / "nginx.conf", tmp_path / "error.log"
    result = subprocess.run(
        [shutil.which("nginx"), "-t", "-q", "-p", tmp_path, "-c", conf, "-e", log],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
