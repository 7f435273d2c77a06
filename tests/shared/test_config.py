"""shared.config: embedded defaults for development; production refuses an unsafe environment."""
from pathlib import Path

import pytest

from shared.config import DEFAULT_SECRET, REPO_ROOT, SERVICES, ConfigurationError, Settings

STRONG_SECRET = "s" * 32
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_SECRET,
    "PROCUREMENT_DATABASE_URL": "postgresql+psycopg://app@db/procurement",
    "INVENTORY_DATABASE_URL": "postgresql+psycopg://app@db/inventory",
    "SUPPLIER_PORTAL_DATABASE_URL": "postgresql+psycopg://app@db/supplier_portal",
    "BROKER_URL": "amqp://app@rabbit//",
    "SMTP_HOST": "smtp.example.cn",
    "MAIL_FROM": "canteen@example.cn",
}


def without(key: str) -> dict:
    return {name: value for name, value in PRODUCTION.items() if name != key}


def test_a_complete_production_environment_is_accepted():
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production
    assert settings.database_url("inventory") == "postgresql+psycopg://app@db/inventory"
    assert settings.effective_broker_url == "amqp://app@rabbit//"


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET, "short", "s" * 31])
def test_production_refuses_the_default_or_a_short_secret(secret):
    environ = without("SECRET_KEY") if secret is None else {**PRODUCTION, "SECRET_KEY": secret}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env(environ)


@pytest.mark.parametrize("service", SERVICES)
def test_production_refuses_a_missing_database_url(service):
    variable = f"{service.upper()}_DATABASE_URL"
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env(without(variable))
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({**PRODUCTION, variable: ""})


def test_production_refuses_a_missing_broker_url():
    with pytest.raises(ConfigurationError, match="BROKER_URL"):
        Settings.from_env(without("BROKER_URL"))


@pytest.mark.parametrize("variable", ["SMTP_HOST", "MAIL_FROM"])
def test_production_refuses_to_start_without_a_mail_server_and_sender(variable):
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env(without(variable))


def test_settings_made_directly_are_checked_too():
    with pytest.raises(ConfigurationError):
        Settings(env="production").check()
    Settings(env="development").check()


def test_development_defaults_need_no_server_and_live_under_var():
    settings = Settings.from_env({})
    assert settings.env == "development" and not settings.is_production
    assert settings.var_dir == (REPO_ROOT / "var").resolve()
    for service in SERVICES:
        assert settings.database_url(service) == f"sqlite:///{settings.var_dir / (service + '.db')}"
    assert settings.broker_folder == settings.var_dir / "broker"
    assert settings.effective_broker_url == "fsqueue://localhost/"
    assert settings.secret_key == DEFAULT_SECRET
    assert settings.service_url("procurement") == "http://127.0.0.1:5001"
    assert settings.service_url("inventory") == "http://127.0.0.1:5002"
    assert settings.service_url("supplier_portal") == "http://127.0.0.1:5003"


def test_var_dir_moves_every_default_file_with_it(tmp_path):
    settings = Settings.from_env({"VAR_DIR": str(tmp_path)})
    assert settings.database_url("procurement") == f"sqlite:///{tmp_path / 'procurement.db'}"
    assert settings.broker_folder == tmp_path / "broker"


def test_a_relative_var_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"VAR_DIR": "data"}).var_dir == tmp_path / "data"
    assert Path(Settings.from_env({"VAR_DIR": "data"}).database_url("inventory").removeprefix("sqlite:///")).is_absolute()


def test_the_environment_overrides_each_setting():
    settings = Settings.from_env({
        "INVENTORY_URL": "http://inventory:8000", "PUBLISH_AFTER_COMMIT": "0", "RELAY_INTERVAL_SECONDS": "0.5",
        "TOKEN_TTL_SECONDS": "120", "MAX_CONTENT_LENGTH": "2048", "SCHOOL_TIMEZONE": "Asia/Urumqi",
        "INVENTORY_DATABASE_URL": "sqlite:////tmp/x.db"})
    assert settings.service_url("inventory") == "http://inventory:8000"
    assert settings.service_url("procurement") == "http://127.0.0.1:5001"
    assert settings.database_url("inventory") == "sqlite:////tmp/x.db"
    assert (settings.publish_after_commit, settings.relay_interval_seconds, settings.token_ttl_seconds,
            settings.max_content_length, settings.school_timezone) == (False, 0.5, 120, 2048, "Asia/Urumqi")


def test_the_default_request_size_limit_is_one_mebibyte():
    assert Settings().max_content_length == 1024 * 1024


@pytest.mark.parametrize("env", ["prod", "Production", "production ", "staging"])
def test_an_unknown_app_env_is_refused_rather_than_silently_skipping_the_production_checks(env):
    """A typo in APP_ENV must not start production with the default secret and SQLite files."""
    with pytest.raises(ConfigurationError, match="APP_ENV"):
        Settings.from_env({"APP_ENV": env})


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_environments_start_on_the_defaults(env):
    assert Settings.from_env({"APP_ENV": env}).env == env


def test_production_refuses_a_password_hash_weaker_than_19_mebibytes():
    with pytest.raises(ConfigurationError, match="ARGON2_MEMORY_KIB"):
        Settings.from_env({**PRODUCTION, "ARGON2_MEMORY_KIB": "1024"})
    assert Settings.from_env({**PRODUCTION, "ARGON2_MEMORY_KIB": "19456"}).argon2_memory_kib == 19456
