"""Strapi 5 (a real headless CMS, from npm) for the connector's end-to-end tests: the fixture app in
tests/strapi/ (a `products` collection with localized `title` and `description`, locales en, es, ca),
installed by `make test` into .tools/strapi, started on a free loopback port with an empty database.

Each start gets its own folder holding a copy of the app's files and a link to the installed
node_modules, so two test workers can each run one (Strapi writes generated types into its app)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.processes import free_port

ROOT = Path(__file__).parents[1]
INSTALLED = ROOT / ".tools" / "strapi"
APP_FILES = ["package.json", "favicon.png", "config", "src", "public"]


@dataclass
class Strapi:
    url: str
    token: str
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def create(self, locale: str = "en", **data: Any) -> dict[str, Any]:
        """A new product in `locale`: its document as Strapi answers it."""
        with self.client() as client:
            answer = client.post("/api/products", params={"locale": locale}, json={"data": data})
        assert answer.status_code in (200, 201), answer.text
        document: dict[str, Any] = answer.json()["data"]
        return document

    def update(self, document_id: str, locale: str, **data: Any) -> dict[str, Any]:
        """Change (or create) the product's `locale` version, as an editor would."""
        with self.client() as client:
            answer = client.put(f"/api/products/{document_id}", params={"locale": locale}, json={"data": data})
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()["data"]
        return document

    def get(self, document_id: str, locale: str) -> dict[str, Any] | None:
        with self.client() as client:
            answer = client.get(f"/api/products/{document_id}", params={"locale": locale})
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()["data"]
        return document

    def source_table(self, name: str = "cms", **options: Any) -> dict[str, Any]:
        """A DRAGOMAN_CONNECTOR_SOURCES table for this Strapi."""
        return {
            "kind": "strapi", "url": self.url, "token": self.token, "collection": "products",
            "fields": ["title", "description"], **options,
        }  # fmt: skip


@contextmanager
def running_strapi(folder: Path) -> Iterator[Strapi]:
    """Strapi with an empty database under `folder`; yields it once it answers with its API token."""
    assert (INSTALLED / ".installed").exists(), "Strapi is missing: run `make test` (it installs it into .tools/)"
    app = folder / "app"
    app.mkdir(parents=True)
    for name in APP_FILES:
        source = ROOT / "tests" / "strapi" / name
        if source.is_dir():
            shutil.copytree(source, app / name)
        else:
            shutil.copy2(source, app / name)
    (app / "node_modules").symlink_to(INSTALLED / "node_modules")
    port, token_file, log = free_port(), folder / "token", folder / "strapi.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_FILENAME": str(folder / "data.db"),
        "DRAGOMAN_STRAPI_TOKEN_FILE": str(token_file),
        "APP_KEYS": ",".join(secrets.token_urlsafe(16) for _ in range(2)),
        "ADMIN_JWT_SECRET": secrets.token_urlsafe(16),
        "API_TOKEN_SALT": secrets.token_urlsafe(16),
        "TRANSFER_TOKEN_SALT": secrets.token_urlsafe(16),
        "ENCRYPTION_KEY": secrets.token_urlsafe(16),
        "JWT_SECRET": secrets.token_urlsafe(16),
        "STRAPI_TELEMETRY_DISABLED": "true",
        "NODE_ENV": "development",
    }
    with log.open("wb") as handle:
        strapi = subprocess.Popen(
            [str(INSTALLED / "node_modules" / ".bin" / "strapi"), "develop", "--no-watch-admin", "--no-build-admin"],
            cwd=app, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert strapi.poll() is None, f"Strapi exited early:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"Strapi did not start:\n{log.read_text()[-3000:]}"
            if token_file.exists() and token_file.read_text():
                try:
                    if httpx.get(f"{url}/_health", timeout=2).status_code < 300:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        yield Strapi(url, token_file.read_text().strip(), log)
    finally:
        os.killpg(strapi.pid, signal.SIGTERM)
        try:
            strapi.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(strapi.pid, signal.SIGKILL)
            strapi.wait()
