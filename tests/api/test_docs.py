"""The API description at /docs works offline: a real `dragoman serve` serves Swagger UI from its own
files, the page names no other host, and the OpenAPI document is still at /openapi.json."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import httpx
import pytest

from tests.processes import environment, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SWAGGER = ROOT / "src" / "dragoman" / "api" / "static" / "swagger"
_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")


def test_docs_page_and_its_assets_are_served_locally(tmp_path: Path) -> None:
    with serving(environment(tmp_path / "data", [tmp_path]), tmp_path / "server.log") as url:
        page = httpx.get(f"{url}/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        # Given every URL the page loads
        references = [a or b for a, b in _REFERENCE.findall(page.text)]
        assert {Path(reference).name for reference in references} == {
            "swagger-ui.css",
            "favicon-32x32.png",
            "swagger-ui-bundle.js",
            "openapi.json",
        }
        # Then none of them, and nothing else on the page, is on another host
        assert all(reference.startswith("/") and not reference.startswith("//") for reference in references)
        assert "http://" not in page.text and "https://" not in page.text and "cdn" not in page.text.lower()
        # ... and each is served here, as what it is
        types = {".css": "text/css", ".png": "image/png", ".js": "javascript", ".json": "application/json"}
        for reference in references:
            asset = httpx.get(url + reference)
            assert asset.status_code == 200, reference
            assert types[Path(reference).suffix] in asset.headers["content-type"], reference
            if reference.endswith(".js"):
                assert b"SwaggerUIBundle" in asset.content
        openapi = httpx.get(f"{url}/openapi.json").json()
        assert "/metrics" in openapi["paths"] and "/health" in openapi["paths"]
        assert "/docs" not in openapi["paths"]
        assert httpx.get(f"{url}/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN: none
        assert httpx.get(f"{url}/docs/assets/%2e%2e/%2e%2e/metrics.py").status_code == 404  # the package's source


def test_every_vendored_file_is_package_data() -> None:
    # Given the package data a wheel of the project ships
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    patterns = tool["setuptools"]["package-data"]["dragoman"]
    # Then each Swagger UI file is among it (an installed `dragoman serve` serves /docs too)
    files = [path.relative_to(ROOT / "src" / "dragoman").as_posix() for path in SWAGGER.iterdir()]
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"} <= {Path(name).name for name in files}
    assert all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in files), files
