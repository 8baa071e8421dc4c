"""The interactive API description at `/docs`: Swagger UI 5, served from files shipped in the package
(`api/static/swagger/`, see its SOURCE.txt) at `/docs/assets/`, so the page needs no CDN and works
offline. It reads the OpenAPI document at `/openapi.json`. FastAPI's own `/docs` and `/redoc` load
their scripts from a CDN: the app turns them off (`create_app`), and there is no `/redoc`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "DOCS_PATH", "install_docs"]

DOCS_PATH = "/docs"
ASSETS_PATH = DOCS_PATH + "/assets"
_FILES = Path(__file__).parent / "static" / "swagger"


def install_docs(app: FastAPI) -> None:
    """Serve the Swagger UI page at /docs and its files at /docs/assets/."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_FILES), name="swagger-ui")

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        base = request.scope.get("root_path", "").rstrip("/")  # behind a proxy that strips a path prefix
        assets = base + ASSETS_PATH
        return get_swagger_ui_html(
            openapi_url=base + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} {app.version} - API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
        )
