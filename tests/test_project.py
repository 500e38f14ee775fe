"""Project-wide rules: settings from the environment, deploy checks, migrations, naming."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "k3Jv9-production-like-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "motcua.thainguyen.gov.vn",
    "DJANGO_SETTINGS_MODULE": "portal.settings",
}
MANAGED_VARS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "HTTPS",
                "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER", "PORTAL_DEMO")


def run_python(code: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in MANAGED_VARS}
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=120, check=False)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_python("import django; django.setup()", env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required" in result.stderr


def test_debug_is_off_unless_asked(tmp_path):
    result = run_python("import django; django.setup(); from django.conf import settings; "
                        "print(settings.DEBUG)", {"SECRET_KEY": "x" * 60}, tmp_path)
    assert result.stdout.strip() == "False", result.stderr


def test_embedded_defaults_need_no_server(tmp_path):
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']); "
        "print(s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])",
        {"SECRET_KEY": "x" * 60}, tmp_path)
    engine_line, broker_line = result.stdout.strip().splitlines()
    assert engine_line == f"django.db.backends.sqlite3 {tmp_path / 'portal.sqlite3'}"
    assert broker_line.startswith("filesystem:// ")
    assert (tmp_path / "broker" / "queue").is_dir()


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path):
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        {"SECRET_KEY": "x" * 60, "DATABASE_URL": "postgres://u@db:5432/cmc",
         "REDIS_URL": "redis://redis:6379/0"}, tmp_path)
    assert result.stdout.strip() == "django.db.backends.postgresql redis://redis:6379/0"


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrations_are_named():
    auto = [p.name for p in ROOT.glob("*/migrations/0*.py") if "_auto_" in p.name]
    assert auto == []


# STYLE.md §4.9: English identifiers; only the five app names are Vietnamese.
FORBIDDEN_IDENTIFIERS = re.compile(
    r"\b(ho_so|thu_tuc|tiep_nhan|bo_sung|lien_thong|co_quan|nguoi_dung|trang_thai|"
    r"ngay_lam_viec|linh_vuc|thanh_phan|ket_qua)\w*\b"
)


def test_identifiers_are_english():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            code = re.sub(r"([\"']).*?\1", "", code)  # strings may hold Vietnamese slugs
            if FORBIDDEN_IDENTIFIERS.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_docker_compose_has_the_production_services_with_health_checks():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "gunicorn" in services["web"]["command"]
    assert {"postgres-data", "redis-data", "portal-data"} <= set(compose["volumes"])


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[: readme.index("## Demo accounts")]
    assert "make run" in head
    assert "make test" in head
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    assert DEMO_PASSWORD in readme
    for account in DEMO_ACCOUNTS:
        assert account.username in readme
