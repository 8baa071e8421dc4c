"""`dragoman languages`: the language pairs the installed engine translates."""

from __future__ import annotations

from dragoman.cli.app import app, fail, open_service, stdout
from dragoman.cli.jobs import AsJson
from dragoman.cli.output import print_json
from dragoman.errors import ConfigError, ServiceError

__all__ = ["languages"]


@app.command()
def languages(as_json: AsJson = False) -> None:
    """Language pairs the installed engine translates."""
    try:
        service = open_service(reading=True)
        pairs = service.languages()
        if not pairs:
            from dragoman.config import setting_name

            raise ConfigError(
                f"no Apertium language pair is installed in {service.settings.apertium_modes_dir} "
                f"({setting_name('apertium_modes_dir')}). Install pairs with their Debian packages, named by "
                "three-letter codes, e.g. `apt install apertium-eng-spa` (`apt-cache search apertium-` lists them), "
                "or point the setting at the folder that holds their .mode files"
            )
    except ServiceError as exc:
        raise fail(exc) from None
    if as_json:
        print_json([{"source": pair.source, "target": pair.target} for pair in pairs])
        return
    for pair in pairs:
        stdout.print(f"{pair.source} -> {pair.target}")
