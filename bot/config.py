"""Every environment variable the project reads, in one place (README, "Configuration").

Nothing else in the package reads os.environ: it receives a Settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    public_url: str
    action_server_url: str
    twilio_account_sid: Optional[str]
    twilio_auth_token: Optional[str]
    twilio_api_url: str
    link_secret: Optional[str]
    link_ttl_days: int
    model_path: Path
    action_server_token: Optional[str] = None
    tracker_store_url: Optional[str] = None
    lock_store_url: Optional[str] = None
    console_port: int = 5006
    console_url: str = "http://localhost:5006"
    console_secret: Optional[str] = None
    console_idle_minutes: int = 30
    console_rate_limit_url: str = "memory://"
    console_proxies: int = 0
    takeover_hours: float = 24.0
    data_key: Optional[str] = None
    acuity_api_url: str = "https://acuityscheduling.com"

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def console_https(self) -> bool:
        """Secure cookies (and HSTS) when the console, or the deployment as a whole, is
        reached over https: a cookie that must not travel in clear never does."""
        return self.console_url.startswith("https://") or self.public_url.startswith("https://")


def from_env(environ: Optional[Mapping[str, str]] = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("AFTERCARE_DATA_DIR", str(PROJECT_ROOT / "var")))
    console_port = int(env.get("CONSOLE_PORT") or 5006)
    return Settings(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'aftercare.db'}",
        data_dir=data_dir,
        public_url=env.get("PUBLIC_URL", "http://localhost:5005").rstrip("/"),
        action_server_url=env.get("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        twilio_api_url=env.get("TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
        link_secret=env.get("AFTERCARE_LINK_SECRET") or None,
        link_ttl_days=int(env.get("AFTERCARE_LINK_TTL_DAYS", "14")),
        model_path=Path(env.get("AFTERCARE_MODEL", str(PROJECT_ROOT / "models"))),
        action_server_token=env.get("ACTION_SERVER_TOKEN") or None,
        tracker_store_url=env.get("RASA_TRACKER_STORE_URL") or None,
        lock_store_url=env.get("RASA_LOCK_STORE_URL") or None,
        console_port=console_port,
        console_url=(env.get("CONSOLE_URL") or f"http://localhost:{console_port}").rstrip("/"),
        console_secret=env.get("AFTERCARE_CONSOLE_SECRET") or None,
        console_idle_minutes=int(env.get("CONSOLE_IDLE_MINUTES") or 30),
        console_rate_limit_url=env.get("CONSOLE_RATE_LIMIT_URL") or "memory://",
        console_proxies=int(env.get("CONSOLE_PROXIES_COUNT") or 0),
        takeover_hours=_positive(env.get("CONSOLE_TAKEOVER_HOURS"), 24.0, "CONSOLE_TAKEOVER_HOURS"),
        data_key=env.get("AFTERCARE_DATA_KEY") or None,
        acuity_api_url=(env.get("ACUITY_API_URL") or "https://acuityscheduling.com").rstrip("/"),
    )


def _positive(raw: Optional[str], default: float, name: str) -> float:
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of hours, not {raw!r}") from None
    if not 0 < value <= 24 * 30:
        raise ValueError(f"{name} must be more than 0 and at most 720 hours, not {raw!r}")
    return value
