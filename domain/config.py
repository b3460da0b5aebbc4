"""Settings from the environment. Core reads env vars; the UI may add Streamlit secrets on top.

| variable                         | meaning                                              | default              |
|----------------------------------|------------------------------------------------------|----------------------|
| REVENUE_CONNECTOR_DATA           | data folder (SQLite file, demo files, secret key)    | ./data in the repo   |
| DATABASE_URL                     | any SQLAlchemy URL, e.g. postgresql+psycopg://...    | SQLite in data folder|
| REVENUE_CONNECTOR_SECRET_KEY     | Fernet key that encrypts connection secrets          | key file in data dir |
| REVENUE_CONNECTOR_DEMO           | "0" to start without the Demo workspace              | "1"                  |
| REVENUE_CONNECTOR_DEMO_MODULE    | module that installs the demo (its CRM emulator)     | sandbox.demo         |
| OPENAI_BASE_URL / OPENAI_API_KEY | OpenAI-compatible endpoint for suggestions (optional) | off                 |
| REVENUE_CONNECTOR_LLM_MODEL      | model name sent to that endpoint                     | off                  |
| REVENUE_CONNECTOR_AUTO_ACCEPT    | score at or above which a suggestion is auto-accept  | 0.90                 |
| REVENUE_CONNECTOR_REVIEW_FLOOR   | score below which a suggestion is in the reject band | 0.50                 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from domain.errors import ConfigurationError, DataFolderError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible endpoint; suggestions work without it."""

    base_url: str | None
    api_key: str | None
    model: str | None

    @property
    def configured(self) -> bool:
        return bool(self.model and (self.base_url or self.api_key))


@dataclass(frozen=True)
class Settings:
    """Where data lives and which services are configured."""

    data_dir: Path
    data_dir_explicit: bool
    database_url: str
    secret_key: str | None
    demo_enabled: bool
    llm: LLMSettings
    auto_accept: float = 0.90
    review_floor: float = 0.50
    # An aggregate of customer-linked amounts stays visible to masked roles only over at least this many accounts.
    mask_min_accounts: int = 5
    # A run that would remove more than this share of a domain's live rows stops unless forced (mass_deletion.py).
    mass_delete_share: float = 0.20
    # The demo is wired in here, by name: no product module imports the sandbox that provides it.
    demo_module: str = "sandbox.demo"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    raw_dir = env.get("REVENUE_CONNECTOR_DATA", "").strip()
    data_dir = Path(raw_dir).expanduser().resolve() if raw_dir else DEFAULT_DATA_DIR
    database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'revenue.db'}"
    return Settings(
        data_dir=data_dir,
        data_dir_explicit=bool(raw_dir),
        database_url=database_url,
        secret_key=env.get("REVENUE_CONNECTOR_SECRET_KEY") or None,
        demo_enabled=env.get("REVENUE_CONNECTOR_DEMO", "1").strip().lower() not in {"0", "false", "no", "off"},
        llm=LLMSettings(
            base_url=env.get("OPENAI_BASE_URL") or None,
            api_key=env.get("OPENAI_API_KEY") or None,
            model=env.get("REVENUE_CONNECTOR_LLM_MODEL") or None,
        ),
        auto_accept=_fraction(env, "REVENUE_CONNECTOR_AUTO_ACCEPT", 0.90),
        review_floor=_fraction(env, "REVENUE_CONNECTOR_REVIEW_FLOOR", 0.50),
        mask_min_accounts=_whole_number(env, "REVENUE_CONNECTOR_MASK_MIN_ACCOUNTS", 5),
        mass_delete_share=_fraction(env, "REVENUE_CONNECTOR_MASS_DELETE_SHARE", 0.20),
        demo_module=env.get("REVENUE_CONNECTOR_DEMO_MODULE", "").strip() or "sandbox.demo",
    )


def _whole_number(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number of at least 1.")
    return int(raw)


def _fraction(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={raw!r} is not a number between 0 and 1.") from exc
    if not 0 < value <= 1:
        raise ConfigurationError(f"{name}={raw} is outside 0..1.")
    return value


def ensure_data_dir(settings: Settings) -> Path:
    """Make sure the data folder is usable, creating only the default one.

    A folder the user named explicitly is never created silently: a missing path there is more
    often a typo or an unmounted disk than a wish for an empty workspace.
    """
    path = settings.data_dir
    if path.exists() and not path.is_dir():
        raise DataFolderError(
            f"The data folder {path} is a file, not a folder.",
            hint="Point REVENUE_CONNECTOR_DATA at a folder; the file was left untouched.",
        )
    if not path.exists():
        if settings.data_dir_explicit:
            raise DataFolderError(
                f"The data folder {path} does not exist.",
                hint="Create it, or fix REVENUE_CONNECTOR_DATA (nothing was created or deleted).",
            )
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataFolderError(
            f"The data folder {path} is not writable by this user.",
            hint="Fix its permissions; nothing in it was changed.",
        )
    return path
