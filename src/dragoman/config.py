"""Settings: built once at start-up from defaults, an optional TOML file and DRAGOMAN_* variables."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dragoman.errors import ConfigError

__all__ = ["Settings", "load_settings"]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dragoman"


def _default_roots() -> list[Path]:
    return [Path.home(), Path(tempfile.gettempdir())]


class Settings(BaseSettings):
    """Every knob, with the zero-configuration default for one machine."""

    model_config = SettingsConfigDict(env_prefix="DRAGOMAN_", frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite state file lives.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=_default_roots, description="Folders documents may be read from and written to."
    )
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    apertium_modes_dir: Path = Path("/usr/share/apertium/modes")
    max_document_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    lease_seconds: float = Field(default=30.0, gt=0)
    stall_seconds: float = Field(default=60.0, gt=0, description="Recycle a pipeline silent this long.")

    @field_validator("roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.split(os.pathsep) if part]
        return value

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'dragoman.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get("DRAGOMAN_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and DRAGOMAN_CONFIG's TOML file), or ConfigError saying what is wrong."""
    config_file = os.environ.get("DRAGOMAN_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"DRAGOMAN_CONFIG names {config_file}, which is not a file")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    except (ValueError, OSError) as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
