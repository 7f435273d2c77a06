"""Configuration from environment variables, with embedded defaults that need no server."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("procurement", "inventory", "supplier_portal")
DEFAULT_PORTS = {"procurement": 5001, "inventory": 5002, "supplier_portal": 5003}
DEFAULT_SECRET = "dev-only-secret-change-me"
ENVIRONMENTS = ("development", "test", "production")
REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The environment describes a configuration that must not start."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEFAULT_SECRET
    var_dir: Path = REPO_ROOT / "var"
    database_urls: dict[str, str] = field(default_factory=dict)
    service_urls: dict[str, str] = field(default_factory=dict)
    broker_url: str = ""
    # Publishing right after commit keeps latency low; the periodic sweep is the guarantee.
    publish_after_commit: bool = True
    relay_interval_seconds: float = 5.0
    token_ttl_seconds: int = 3600
    max_content_length: int = 1024 * 1024
    school_timezone: str = "Asia/Shanghai"
    http_timeout_seconds: float = 5.0
    argon2_memory_kib: int = 65536
    # Outgoing mail: without SMTP_HOST (development, tests) mail is written as files under VAR_DIR/mail.
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "canteen-procurement@localhost"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def database_url(self, service: str) -> str:
        return self.database_urls.get(service) or f"sqlite:///{self.var_dir / (service + '.db')}"

    def service_url(self, service: str) -> str:
        return self.service_urls.get(service) or f"http://127.0.0.1:{DEFAULT_PORTS[service]}"

    @property
    def broker_folder(self) -> Path:
        return self.var_dir / "broker"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or "fsqueue://localhost/"

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        settings = cls(
            env=env.get("APP_ENV", "development"),
            secret_key=env.get("SECRET_KEY", DEFAULT_SECRET),
            var_dir=Path(env.get("VAR_DIR", REPO_ROOT / "var")).resolve(),
            database_urls={s: env[f"{s.upper()}_DATABASE_URL"]
                           for s in SERVICES if env.get(f"{s.upper()}_DATABASE_URL")},
            service_urls={s: env[f"{s.upper()}_URL"] for s in SERVICES if env.get(f"{s.upper()}_URL")},
            broker_url=env.get("BROKER_URL", ""),
            publish_after_commit=env.get("PUBLISH_AFTER_COMMIT", "1") != "0",
            relay_interval_seconds=float(env.get("RELAY_INTERVAL_SECONDS", 5.0)),
            token_ttl_seconds=int(env.get("TOKEN_TTL_SECONDS", 3600)),
            max_content_length=int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
            school_timezone=env.get("SCHOOL_TIMEZONE", "Asia/Shanghai"),
            argon2_memory_kib=int(env.get("ARGON2_MEMORY_KIB", 65536)),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=int(env.get("SMTP_PORT", 25)),
            mail_from=env.get("MAIL_FROM", cls.mail_from),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ConfigurationError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        if not self.is_production:
            return
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise ConfigurationError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        for service in SERVICES:
            if not self.database_urls.get(service):
                raise ConfigurationError(f"{service.upper()}_DATABASE_URL must be set in production")
        if not self.broker_url:
            raise ConfigurationError("BROKER_URL must be set in production")
        if not self.smtp_host or self.mail_from == Settings.mail_from:
            raise ConfigurationError("SMTP_HOST and MAIL_FROM must be set in production: suppliers are emailed")
        if self.argon2_memory_kib < 19456:
            raise ConfigurationError("ARGON2_MEMORY_KIB must be at least 19456 (19 MiB) in production")
