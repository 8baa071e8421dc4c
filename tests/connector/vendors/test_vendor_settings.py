"""Vendor settings refused when they are loaded (src/dragoman/config.py, connector/vendors/registry.py):
a vendor name longer than a connector job can record, and an agency's key that is not its own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dragoman.config import load_settings
from dragoman.connector.schema import connector_jobs
from dragoman.connector.vendors.registry import MAX_NAME
from dragoman.errors import ConfigError
from tests.processes import DRAGOMAN, environment

TENANTS = {"acme": {"azure_keys": ["acme-azure-key"], "aws_keys": {"AKIAACMEACME00000001": "acme-secret"}}}
AGENCY = {"kind": "human", "keys": ["agency-key"]}
# variables -> what the one-line message says
REFUSED: list[tuple[dict[str, object], list[str]]] = [
    (
        {"DRAGOMAN_CONNECTOR_VENDORS": {"a" * (MAX_NAME + 1): AGENCY}},
        ["DRAGOMAN_CONNECTOR_VENDORS", f"is not 1 to {MAX_NAME} lowercase letters"],
    ),
    (  # a tenant's Azure key given to an agency too
        {"DRAGOMAN_CONNECTOR_VENDORS": {"agency": {"kind": "human", "keys": ["other", "acme-azure-key"]}}},
        ["DRAGOMAN_CONNECTOR_VENDORS at agency.keys", "also a key of tenant 'acme' (DRAGOMAN_TENANTS)"],
    ),
    (  # a tenant's AWS access key id given to an agency too
        {"DRAGOMAN_CONNECTOR_VENDORS": {"agency": {"kind": "human", "keys": ["AKIAACMEACME00000001"]}}},
        ["DRAGOMAN_CONNECTOR_VENDORS at agency.keys", "also a key of tenant 'acme'"],
    ),
    (  # one key, two agencies
        {"DRAGOMAN_CONNECTOR_VENDORS": {"agency": AGENCY, "bureau": {"kind": "human", "keys": ["b", "agency-key"]}}},
        ["DRAGOMAN_CONNECTOR_VENDORS at bureau.keys", "given to both human vendor 'agency' and 'bureau'"],
    ),
]
SECRETS = ("acme-azure-key", "AKIAACMEACME00000001", "agency-key", "acme-secret")


def variables(given: dict[str, object]) -> dict[str, str]:
    return {name: json.dumps(value) for name, value in {"DRAGOMAN_TENANTS": TENANTS, **given}.items()}


def test_a_vendor_name_fits_the_column_connector_jobs_record_it_in() -> None:
    assert connector_jobs.c.vendor.type.length == MAX_NAME  # type: ignore[attr-defined]


@pytest.mark.parametrize(("given", "messages"), REFUSED)
def test_load_settings_refuses_a_long_vendor_name_or_an_agency_key_that_is_not_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: dict[str, object], messages: list[str]
) -> None:
    monkeypatch.delenv("DRAGOMAN_CONFIG", raising=False)
    monkeypatch.setenv("DRAGOMAN_DATA_DIR", str(tmp_path))
    for name, value in variables(given).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    for message in messages:
        assert message in refused.value.message
    assert not any(secret in refused.value.message for secret in SECRETS)


def test_keys_of_their_own_and_a_name_of_the_longest_length_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DRAGOMAN_CONFIG", raising=False)
    monkeypatch.setenv("DRAGOMAN_DATA_DIR", str(tmp_path))
    vendors = {"a" * MAX_NAME: AGENCY, "bureau": {"kind": "human", "keys": ["bureau-key"]}}
    for name, value in variables({"DRAGOMAN_CONNECTOR_VENDORS": vendors}).items():
        monkeypatch.setenv(name, value)
    assert sorted(load_settings().connector_vendors) == ["a" * MAX_NAME, "bureau"]


@pytest.mark.slow
@pytest.mark.parametrize(("given", "messages"), [REFUSED[0], REFUSED[1], REFUSED[3]])
def test_the_command_line_exits_1_with_one_line_naming_the_setting(
    tmp_path: Path, given: dict[str, object], messages: list[str]
) -> None:
    (tmp_path / "docs").mkdir()
    env = environment(tmp_path / "data", [tmp_path / "docs"], **variables(given))
    env.pop("DRAGOMAN_CONFIG", None)
    result = subprocess.run([DRAGOMAN, "jobs", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for message in messages:
        assert message in lines[0], lines[0]
    assert not any(secret in result.stderr for secret in SECRETS)
