"""Settings: built once at start-up from defaults, an optional TOML file and DRAGOMAN_* variables."""

from __future__ import annotations

import hmac
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dragoman.cpus import available_cpus
from dragoman.errors import ConfigError
from dragoman.storage.locations import http_url, parse_host_rules

__all__ = ["DEFAULT_AZURE_KEY", "Settings", "StorageScope", "Tenant", "load_settings", "setting_name"]

DEFAULT_AZURE_KEY = "dragoman-local-key"
DEFAULT_AWS_ACCESS_KEY_ID = "AKIADRAGOMANLOCAL000"
DEFAULT_AWS_SECRET = "dragoman-local-secret"


class Tenant(BaseModel):
    """Who may call the front doors: a tenant sees and cancels only its own jobs, whatever the door."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    azure_keys: list[SecretStr] = Field(default_factory=list, description="Ocp-Apim-Subscription-Key values.")
    aws_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="AWS access key id -> secret access key, for Signature Version 4."
    )
    aws_account: str = Field(default="000000000000", pattern=r"^[0-9]{12}$", description="Account id in AWS output.")
    # Storage scope (README "Security"). Unset: the global setting when this is the only tenant,
    # nothing at all when there are several (tenants never share a scope unless it is configured so).
    roots: list[Path] | None = Field(
        default=None, description="Folders this tenant's documents may be read from and written to."
    )
    azure_blob_hosts: list[str] | None = Field(default=None, description="Blob hosts this tenant may use.")
    s3_buckets: list[str] | None = Field(default=None, description="S3 buckets this tenant may use.")
    s3_endpoint_url: str | None = Field(default=None, description="This tenant's S3 endpoint (default: global).")
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(default=None, description="This tenant's S3 credentials (default: global).")
    s3_secret_access_key: SecretStr | None = None

    @field_validator("azure_blob_hosts")
    @classmethod
    def _tenant_host_rules(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            parse_host_rules(value)
        return value


@dataclass(frozen=True, slots=True)
class StorageScope:
    """Where one tenant's documents may be: local roots, blob host rules, S3 endpoint, credentials
    and buckets (None: any bucket the credentials reach)."""

    roots: tuple[Path, ...]
    azure_blob_hosts: tuple[str, ...]
    s3_endpoint_url: str | None
    s3_region: str
    s3_access_key_id: str | None
    s3_secret_access_key: str | None = field(repr=False)
    s3_buckets: frozenset[str] | None


def _default_tenants() -> dict[str, Tenant]:
    return {
        "default": Tenant(
            azure_keys=[SecretStr(DEFAULT_AZURE_KEY)],
            aws_keys={DEFAULT_AWS_ACCESS_KEY_ID: SecretStr(DEFAULT_AWS_SECRET)},
        )
    }


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dragoman"


def _default_roots() -> list[Path]:
    return [Path.home(), Path(tempfile.gettempdir())]


def _in_memory(url: str) -> bool:
    """Whether a SQLite URL names a database in memory: no file (`sqlite://`, `sqlite:///`),
    `:memory:`, or SQLite's URI forms of it (`file::memory:`, `mode=memory`), whatever the driver."""
    path, _, query = url.partition("://")[2].partition("?")
    name = path.removeprefix("/")
    return name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in query + path


MAX_WORKERS = 256  # tasks one runner runs at once, at most


class Settings(BaseSettings):
    """Every knob, with the zero-configuration default for one machine."""

    model_config = SettingsConfigDict(env_prefix="DRAGOMAN_", frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite state file lives.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=_default_roots, description="Folders documents may be read from and written to."
    )
    # Eight tasks at a time per core, sixteen per engine pipeline (one per two cores): a pipeline's
    # dozen stages stay busy only while documents wait to go in, and a task spends part of its time
    # reading, taking apart, writing and committing, with nothing there. 1 MB job of 250 documents,
    # 2 cores, in a running service: 0.82 of raw apertium with 2 tasks, 0.85-0.87 with 3, 0.89-0.90
    # with 6, 0.91-0.92 with 10 and 16-24 (bench/throughput.py, bench/cli.py). Each task holds its
    # document (at most max_document_bytes) and maybe a converter process: lower it on a small machine.
    workers: int = Field(default_factory=lambda: min(8 * available_cpus(), MAX_WORKERS), ge=1, le=MAX_WORKERS)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    apertium_modes_dir: Path = Path("/usr/share/apertium/modes")
    max_document_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    # Hostile documents (issue 9 item 3): limits on what one document may cost once opened.
    max_inflated_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1, description="Total uncompressed bytes a zipped document may hold."
    )
    max_inflation_ratio: float = Field(
        default=500.0, gt=1, description="Largest uncompressed/compressed ratio of a zipped document or member."
    )
    max_archive_members: int = Field(default=10_000, ge=1, description="Most files a zipped document may hold.")
    max_word_characters: int = Field(
        default=1000, ge=100, description="Longest word or run of spaces in a document (converters are quadratic)."
    )
    converter_seconds: float = Field(
        default=120.0, gt=0, description="Wall-clock (and CPU) seconds one document converter may run."
    )
    converter_memory_bytes: int = Field(
        default=2 * 1024**3, ge=64 * 1024**2, description="Address space of each converter or engine process."
    )
    storage_call_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Most seconds one blob storage call (listing, download, upload) may take.",
    )
    sync_requests_per_tenant: int = Field(
        default=4, ge=1, le=1000, description="Synchronous translations one tenant may have in progress."
    )
    storage_requests_per_tenant: int = Field(
        default=4, ge=1, le=1000, description="Requests reaching remote storage one tenant may have in progress."
    )
    lease_seconds: float = Field(default=30.0, gt=0)
    recovery_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often a runner recovers lost tasks and retries owed job output."
    )
    stall_seconds: float = Field(default=60.0, gt=0, description="Recycle a pipeline silent this long.")
    tenants: dict[str, Tenant] = Field(
        default_factory=_default_tenants,
        description="Tenants and their API keys (JSON in DRAGOMAN_TENANTS). Default: one local tenant, local keys.",
    )
    public_url: str | None = Field(
        default=None, description="Base URL clients reach the service at; default: taken from each request."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Bearer token a scraper of GET /metrics must send (Authorization: Bearer <token>); default: "
        "none, /metrics is open like /health (it shows counts and timings only: no tenant, job or document).",
    )
    azure_blob_hosts: list[str] = Field(
        default_factory=lambda: ["*.blob.core.windows.net"],
        description="Hosts (host or host:port, leading * wildcard) that Azure Blob URLs may point at.",
    )
    # Front doors (issue 9 items 2 and 7): request bodies are capped before they are read; SigV4 scope.
    max_request_bytes_azure_batch: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest body of a /translator request (JSON), in bytes."
    )
    max_request_bytes_azure_document: int = Field(
        default=12 * 1024 * 1024,
        ge=1024,
        description="Largest POST /translator/document:translate body (multipart; Azure: 10 MB file, 1 MB glossary).",
    )
    max_request_bytes_aws: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest AWS JSON 1.1 body on POST / (TranslateDocument: 100 KB in base64).",
    )
    max_request_bytes_connector: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest body of a /connector request (an entity import, JSON or CSV), in bytes.",
    )
    # The content connector (issue 12)
    connector_poll_seconds: float = Field(
        default=10.0,
        ge=0,
        le=86400,
        description="Seconds between `dragoman serve`'s polls of the vendors holding connector jobs; 0: never.",
    )
    connector_import: Literal["auto", "review"] = Field(
        default="auto",
        description="auto: `dragoman serve` imports each target language of a connector job as soon as the "
        "vendor has delivered it; review: delivered jobs wait in ready_for_import until imported by hand.",
    )
    connector_send_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Attempts `dragoman serve` makes to send a connector job a vendor could not take, on its own.",
    )
    connector_send_retry_seconds: float = Field(
        default=30.0,
        ge=0,
        le=86400,
        description="Seconds before the first automatic retry of a failed send; each next one waits twice as long.",
    )
    connector_lease_seconds: float = Field(
        default=120.0,
        ge=1,
        le=86400,
        description="How long a process polling or importing a connector job holds it before another may "
        "take it over (after a crash).",
    )
    connector_vendors: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Connector vendors by name, each a table with its `kind` (local, azure, amazon, human) and "
        "that kind's options (JSON in DRAGOMAN_CONNECTOR_VENDORS). `local` is always offered.",
    )
    connector_sources: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Connector source systems by name, each a table with its `kind` (strapi) and that kind's "
        "options (JSON in DRAGOMAN_CONNECTOR_SOURCES).",
    )
    connector_rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Automatic sending rules by name (JSON in DRAGOMAN_CONNECTOR_RULES): each selects entities "
        "(all, changed, or a field's value) of a tenant's source system or embedded catalogue, and `dragoman "
        "serve` sends them to a vendor every `every_seconds` (`connector.rules`).",
    )
    aws_regions: list[Annotated[str, Field(pattern=r"^(\*|[a-z0-9-]{1,64})$")]] = Field(
        default_factory=lambda: ["us-east-1"],
        min_length=1,
        description="Regions a SigV4 credential scope may name on the Amazon door; '*' accepts any region.",
    )

    # Many machines (issue 15)
    queue: Literal["none", "procrastinate"] = Field(
        default="none",
        description="procrastinate: every task is also a Procrastinate message in the PostgreSQL state database, "
        "for `dragoman worker` processes on any machine (set it on every process of the deployment); none: "
        "`dragoman serve` and the command line run tasks themselves.",
    )
    engine: str = Field(
        default="apertium",
        description="The translation engine: apertium, or module:callable returning an Engine given the settings.",
    )
    # The web dashboard (issue 14)
    web_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the dashboard's session cookies; default: one made once and kept in data_dir "
        "(set the same one on every `dragoman serve` sharing a database).",
    )
    web_session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a dashboard sign-in lasts, in hours."
    )

    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint for s3:// locations; default: AWS S3."
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = Field(default=None, description="Default: boto3's own credential chain.")
    s3_secret_access_key: SecretStr | None = None

    @model_validator(mode="after")
    def _database_outlives_the_process(self) -> Settings:
        url = (self.database_url or "").strip()
        if url.startswith("sqlite") and _in_memory(url):
            raise ValueError(
                f"{setting_name('database_url')}={url} is a database in memory, which is gone when the process "
                "ends, with every job in it: name a file (sqlite:////path/to/dragoman.db), or leave it unset"
            )
        return self

    @model_validator(mode="after")
    def _queue_needs_postgresql(self) -> Settings:
        if self.queue == "procrastinate" and not (self.database_url or "").startswith("postgres"):
            raise ValueError(
                f"{setting_name('queue')}=procrastinate needs a PostgreSQL state database "
                f"({setting_name('database_url')}=postgresql+psycopg://...)"
            )
        return self

    @model_validator(mode="after")
    def _keys_are_unique(self) -> Settings:
        seen: dict[str, str] = {}
        for name, tenant in self.tenants.items():
            for key in [k.get_secret_value() for k in tenant.azure_keys] + list(tenant.aws_keys):
                if not key:
                    raise ValueError(f"tenant {name!r} has an empty key")
                if key in seen and seen[key] != name:
                    raise ValueError(f"a key is given to both tenant {seen[key]!r} and tenant {name!r}")
                seen[key] = name
        # a translation agency's key (a human vendor's `keys`) is its own: no tenant's, no other agency's
        agencies: dict[str, str] = {}
        for vendor, table in self.connector_vendors.items():
            if table.get("kind") != "human":
                continue
            where = f"{setting_name('connector_vendors')} at {vendor}.keys"
            for candidate in table.get("keys") or []:
                key = candidate.get_secret_value() if isinstance(candidate, SecretStr) else str(candidate)
                if key in seen:
                    raise ValueError(
                        f"{where}: a key of human vendor {vendor!r} is also a key of tenant {seen[key]!r} "
                        f"({setting_name('tenants')}); an agency's key must be its own"
                    )
                if key in agencies and agencies[key] != vendor:
                    raise ValueError(f"{where}: a key is given to both human vendor {agencies[key]!r} and {vendor!r}")
                agencies[key] = vendor
        return self

    @field_validator("connector_vendors", "connector_sources", "connector_rules")
    @classmethod
    def _connector_tables(cls, value: dict[str, dict[str, Any]], info: ValidationInfo) -> dict[str, dict[str, Any]]:
        """Each vendor, source system or rule table as its own module reads it (imported only when
        some are configured)."""
        if value:
            from dragoman.connector import rules
            from dragoman.connector.sources import registry as sources
            from dragoman.connector.vendors import registry as vendors

            check = {"connector_vendors": vendors.check, "connector_sources": sources.check}.get(
                info.field_name or "", rules.check
            )
            for name, table in value.items():
                check(name, table)
        return value

    @model_validator(mode="after")
    def _rules_name_what_is_configured(self) -> Settings:
        """Each rule's source system and vendor are configured, and its source belongs to its tenant."""
        if not self.connector_rules:
            return self
        from dragoman.connector.rules import check

        where = setting_name("connector_rules")
        for name, table in self.connector_rules.items():
            rule = check(name, table)
            if rule.source is not None:
                source = self.connector_sources.get(rule.source)
                if source is None:
                    raise ValueError(
                        f"{where} at {name}.source: no source system {rule.source!r} is configured in "
                        f"{setting_name('connector_sources')}"
                    )
                owner = source.get("tenant", "default")
                if owner != rule.tenant:
                    raise ValueError(
                        f"{where} at {name}.source: the source system {rule.source!r} belongs to tenant "
                        f"{owner!r}, not to the rule's tenant {rule.tenant!r}"
                    )
            if rule.vendor != "local" and rule.vendor not in self.connector_vendors:
                raise ValueError(
                    f"{where} at {name}.vendor: no vendor {rule.vendor!r} is configured in "
                    f"{setting_name('connector_vendors')} (local is always there)"
                )
        return self

    @field_validator("azure_blob_hosts")
    @classmethod
    def _host_rules(cls, value: list[str]) -> list[str]:
        parse_host_rules(value)
        return value

    def storage_scope(self, tenant: str) -> StorageScope:
        """The storage scope of `tenant`. A tenant's own settings win; a setting it leaves unset is the
        global one when it is the only tenant (or a name no front door can authenticate, as the CLI's
        local user), and empty when several tenants are configured: no tenant reaches another's
        documents unless the configuration says so."""
        own = self.tenants.get(tenant)
        shared = own is None or len(self.tenants) == 1

        def pick(mine: Any, everyone: Any, nobody: Any) -> Any:
            if own is not None and mine is not None:
                return mine
            return everyone if shared else nobody

        # S3 credentials and endpoint fall back to the global ones: the buckets are what is scoped.
        s3_secret = (own and own.s3_secret_access_key) or self.s3_secret_access_key
        buckets = pick(own and own.s3_buckets, None, [])
        return StorageScope(
            # and always its own connector work folder, where the local vendor keeps its documents
            roots=(*pick(own and own.roots, self.roots, []), self.connector_work_dir(tenant)),
            azure_blob_hosts=tuple(pick(own and own.azure_blob_hosts, self.azure_blob_hosts, [])),
            s3_endpoint_url=(own and own.s3_endpoint_url) or self.s3_endpoint_url,
            s3_region=(own and own.s3_region) or self.s3_region,
            s3_access_key_id=(own and own.s3_access_key_id) or self.s3_access_key_id,
            s3_secret_access_key=s3_secret.get_secret_value() if s3_secret is not None else None,
            s3_buckets=None if buckets is None else frozenset(buckets),
        )

    def connector_work_dir(self, tenant: str) -> Path:
        """The content connector's work folder for `tenant` (its local vendor's documents), inside the
        data directory; each tenant's storage scope holds its own, and no other tenant's."""
        folder = "".join(char if char.isalnum() or char in "-_." else "_" for char in tenant).lstrip(".") or "_"
        return self.data_dir / "connector" / folder

    def tenant_for_aws_key(self, access_key: str) -> tuple[str, str] | None:
        """(tenant, secret access key) for an AWS access key id."""
        for name, tenant in self.tenants.items():
            secret = tenant.aws_keys.get(access_key)
            if secret is not None:
                return name, secret.get_secret_value()
        return None

    def tenant_for_azure_key(self, key: str) -> str | None:
        """The tenant owning an Azure subscription key, compared in constant time."""
        found: str | None = None
        for name, tenant in self.tenants.items():
            for candidate in tenant.azure_keys:
                if hmac.compare_digest(candidate.get_secret_value().encode(), key.encode()):
                    found = name
        return found

    @field_validator("roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.split(os.pathsep) if part]
        return value

    @field_validator("public_url", "s3_endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """A base URL: http:// or https://, and a host."""
        if value is None or not value.strip():
            return None
        return http_url(value.strip(), repr(value))

    @field_validator("roots")
    @classmethod
    def _absolute_roots(cls, value: list[Path]) -> list[Path]:
        """At least one folder, each named from `/`: a relative root would mean another folder in
        each process (the current one of whoever starts it)."""
        if not value:
            raise ValueError("no folder is named: name at least one, or leave it unset for the default (home and /tmp)")
        for root in value:
            if not root.expanduser().is_absolute():
                raise ValueError(f"{root} is not a full path: name each folder from / (say {Path.cwd() / root})")
        return [root.expanduser() for root in value]

    @property
    def state_paths(self) -> list[Path]:
        """What holds this service's own state on disk, never a document: the data directory (its own
        files), the configuration file (DRAGOMAN_CONFIG) and, for a SQLite database elsewhere, its file
        and the files SQLite and Dragoman keep beside it."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        paths = [self.data_dir]
        if os.environ.get("DRAGOMAN_CONFIG"):  # its tenants' keys
            paths.append(Path(os.environ["DRAGOMAN_CONFIG"]))
        try:
            url = make_url(self.database)  # any spelling: `sqlite+pysqlite:///`, a query string
        except (ArgumentError, ValueError):
            return paths
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            paths += [Path(url.database + suffix) for suffix in ("", "-wal", "-shm", "-journal", ".migrate-lock")]
        return paths

    @property
    def database(self) -> str:
        """The state database's SQLAlchemy URL. A PostgreSQL URL that names no driver
        (`postgresql://`, or `postgres://` as many hosts write it) is read with psycopg 3, the driver
        the `postgresql` extra installs, not SQLAlchemy's default psycopg2."""
        if not self.database_url:  # unset, or set empty
            return f"sqlite:///{self.data_dir / 'dragoman.db'}"
        scheme, separator, rest = self.database_url.partition("://")
        if separator and scheme in ("postgresql", "postgres"):
            return f"postgresql+psycopg://{rest}"
        return self.database_url

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


def setting_name(field: str) -> str:
    """How a user names a setting, for messages: its environment variable, and its key in the
    DRAGOMAN_CONFIG file when that file may be what set it."""
    variable = f"DRAGOMAN_{field.upper()}"
    config_file = os.environ.get("DRAGOMAN_CONFIG")
    if config_file and variable not in os.environ:
        return f"{variable} ({field} in {config_file})"
    return variable


def _problem(error: Any) -> str:
    """One pydantic error as a user reads it: the setting they set, and what is wrong, in our words
    where we have them (a validator's own message, without pydantic's "Value error, ")."""
    location = [str(part) for part in error["loc"]]
    context = error.get("ctx", {})
    message = error["msg"]
    if error["type"] == "value_error" and "error" in context:
        message = str(context["error"])
    elif error["type"] == "too_short" and "min_length" in context:  # a token: "at least 16 items" said pydantic
        message = f"too short: at least {context['min_length']} characters"
    if not location:
        return f"settings: {message}"
    if error["type"] == "extra_forbidden" and len(location) == 1:  # a key of the file that is no setting
        config_file = os.environ.get("DRAGOMAN_CONFIG")
        where = f"{location[0]} in {config_file}" if config_file else location[0]
        return f"{where}: no setting has this name (the README's Configuration section lists them)"
    where = setting_name(location[0])
    if len(location) > 1:
        where += f" at {'.'.join(location[1:])}"
    return f"{where}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and DRAGOMAN_CONFIG's TOML file), or ConfigError saying what is
    wrong and naming the setting (its environment variable) that says it."""
    config_file = os.environ.get("DRAGOMAN_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"DRAGOMAN_CONFIG names {config_file}, which is not a file")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"DRAGOMAN_CONFIG names {config_file}, which is not valid TOML: {exc}") from None
    except (ValueError, OSError) as exc:
        field = re.search(r'error parsing value for field "(\w+)"', str(exc))
        if field is not None:  # pydantic-settings could not parse a complex value (JSON) from the environment
            raise ConfigError(
                f"invalid configuration: {setting_name(field.group(1))} is not valid JSON ({exc.__cause__ or exc})"
            ) from None
        raise ConfigError(f"invalid configuration: {exc}") from None
