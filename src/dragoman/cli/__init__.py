"""`dragoman`: translate documents, follow and cancel jobs, run the service.

One module per command group: `translate`, `jobs`, `languages`, `serve`, `worker`, `connector`; `app` holds the typer
application, `follow` and `progress` what following a job shows, `output` the `--json` documents,
`ids` how job ids are read. Importing this package registers every command and loads nothing heavy.
"""

from __future__ import annotations

from dragoman.cli import connector, jobs, languages, serve, translate, worker
from dragoman.cli.app import app, main

__all__ = ["app", "connector", "jobs", "languages", "main", "serve", "translate", "worker"]
