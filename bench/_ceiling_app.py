"""The framework's ceiling for bench/status_poll: a trivial FastAPI endpoint on the same server stack."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
