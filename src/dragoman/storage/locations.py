"""Remote storage locations, parsed once: the one place a caller's URL becomes scheme, host, port,
path and query, and the one place a host is compared with the hosts Dragoman may contact.

Why one parser: the 2026 hardening found that matching patterns against the raw `netloc` of
`http://127.0.0.1:8080\\@acct.blob.core.windows.net/c/x` said "an Azure host" while the HTTP stack
(which, like browsers, reads a backslash as the end of the authority) connected to 127.0.0.1. So a
URL is refused unless every reader would take it the same way: no backslash, no userinfo, no control
or non-ASCII characters, no empty or malformed host or port; and what is contacted is rebuilt from
the parsed parts (`Location.url`), never the caller's spelling.

Host rules (`HostRule`): `host` or `host:port` matches that host exactly (case-insensitive); a leading
`*.` matches any host that ends with `.rest` on a label boundary (one or more labels before it, never
the bare `rest`). A rule without a port allows only the scheme's default port (443 for https, 80 for
http). An IP literal is allowed only by a rule naming that exact address: a wildcard never matches one.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from dragoman.errors import AccessDenied

__all__ = ["HostRule", "Location", "http_url", "parse_host_rules", "parse_location", "remove_dot_segments"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?$"
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_MAX_URL_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed remote location. `path` is decoded (`/container/dir/name`), `query` kept as given."""

    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int  # explicit or the scheme's default
    path: str
    query: str

    @property
    def is_ip(self) -> bool:
        return _is_ip(self.host)

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS.get(self.scheme) else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        """`scheme://host[:port]`, for messages and for rebuilding URLs."""
        return f"{self.scheme}://{self.authority}"

    def url(self, *, with_query: bool = True) -> str:
        """The one spelling of this location: what is contacted, stored and compared."""
        text = self.origin + quote(self.path, safe="/")
        return text + (f"?{self.query}" if with_query and self.query else "")


def parse_location(url: str, *, schemes: tuple[str, ...] = ("http", "https")) -> Location:
    """Parse `url` strictly. Raises AccessDenied (saying why) for anything two URL readers could
    disagree on: backslashes, userinfo (`user@`), control, space or non-ASCII characters, a missing or
    malformed host or port, a fragment, or a scheme outside `schemes`."""
    if len(url) > _MAX_URL_LENGTH:
        raise AccessDenied(f"a storage URL may be at most {_MAX_URL_LENGTH} characters long")
    if any(ord(char) < 0x21 or ord(char) > 0x7E for char in url):
        raise AccessDenied("a storage URL may not contain spaces, control or non-ASCII characters")
    if "\\" in url:
        raise AccessDenied("a storage URL may not contain a backslash")
    match = _URL.match(url)
    if match is None:
        raise AccessDenied(f"{_shown(url)} is not an absolute URL of the form scheme://host/path")
    scheme = match["scheme"].lower()
    if scheme not in schemes:
        raise AccessDenied(f"{_shown(url)}: the scheme must be one of {', '.join(schemes)}")
    authority = match["authority"]
    if "@" in authority:
        raise AccessDenied(f"{_shown(url)}: user names or passwords in storage URLs are not accepted")
    host, port = _split_authority(authority, scheme, url)
    path = match["path"] or "/"
    decoded = unquote(path)
    if any(ord(char) < 0x20 or char == "\x7f" for char in decoded):
        raise AccessDenied(f"{_shown(url)}: the path may not contain control characters")
    # `.` and `..` segments (spelt plainly or percent-encoded) are resolved here, as the HTTP stack
    # would resolve them, so `c/d/./x.txt`, `c/d/e/../x.txt` and `c/d/x.txt` are one location.
    return Location(scheme, host, port, remove_dot_segments(decoded), match["query"] or "")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 on a decoded path: `/a/./b/../c` -> `/a/c`; never above the root."""
    output: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if len(output) > 1 or (output and output[0]):
                output.pop()
            continue
        output.append(segment)
    if path.startswith("/") and (not output or output[0]):
        output.insert(0, "")
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/".join(output)


def _split_authority(authority: str, scheme: str, url: str) -> tuple[str, int]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise AccessDenied(f"{_shown(url)}: malformed IPv6 address")
        host, rest = authority[1:end], authority[end + 1 :]
        if not _is_ip(host):
            raise AccessDenied(f"{_shown(url)}: malformed IPv6 address")
        if rest and not rest.startswith(":"):
            raise AccessDenied(f"{_shown(url)}: malformed host")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_text_or_empty = authority.partition(":")
        port_text = port_text_or_empty if colon else None
    host = host.lower()
    if not host:
        raise AccessDenied(f"{_shown(url)} names no host")
    if not _is_ip(host) and not _is_host_name(host):
        raise AccessDenied(f"{_shown(url)}: {host!r} is not a valid host name or IP address")
    if port_text is None:
        return host, _DEFAULT_PORTS.get(scheme, 0)
    if not _PORT.match(port_text) or not 0 < int(port_text) < 65536:
        raise AccessDenied(f"{_shown(url)}: {port_text!r} is not a valid port")
    return host, int(port_text)


def _is_host_name(host: str) -> bool:
    """Labels of letters, digits and inner hyphens, the last one not all digits: `127.1` or `0x7f.1`
    are IP addresses to some readers (inet_aton) and names to others, so they are neither."""
    labels = host.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit() and not host.startswith("0x")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _shown(url: str) -> str:
    """A URL fit for a message: no query (it may hold a SAS token), bounded length."""
    return url.split("?", 1)[0][:200]


@dataclass(frozen=True, slots=True)
class HostRule:
    """One allowed host: exact, or `*.suffix` on label boundaries; with a port, or the default one."""

    host: str
    port: int | None
    wildcard: bool

    @classmethod
    def parse(cls, text: str) -> HostRule:
        """`host`, `host:port`, `*.suffix` or `*.suffix:port`. Raises ValueError if malformed."""
        value = text.strip().lower()
        wildcard = value.startswith("*.")
        body = value[2:] if wildcard else value
        if body.startswith("["):
            end = body.find("]")
            host, rest = body[1:end], body[end + 1 :]
            port_text = rest[1:] if rest.startswith(":") else None
        else:
            host, colon, port_part = body.partition(":")
            port_text = port_part if colon else None
        if not host or "*" in host or (wildcard and _is_ip(host)):
            raise ValueError(f"{text!r} is not a host rule (use host, host:port or *.domain)")
        if not _is_ip(host) and not _is_host_name(host):
            raise ValueError(f"{text!r} is not a host rule: {host!r} is not a host name or IP address")
        if port_text is not None and (not _PORT.match(port_text) or not 0 < int(port_text) < 65536):
            raise ValueError(f"{text!r} is not a host rule: bad port")
        return cls(host, int(port_text) if port_text is not None else None, wildcard)

    def allows(self, location: Location) -> bool:
        port = self.port if self.port is not None else _DEFAULT_PORTS.get(location.scheme)
        if location.port != port:
            return False
        if self.wildcard:
            return not location.is_ip and location.host.endswith("." + self.host)
        return location.host == self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = ("*." if self.wildcard else "") + host
        return text if self.port is None else f"{text}:{self.port}"


def parse_host_rules(texts: list[str] | tuple[str, ...]) -> tuple[HostRule, ...]:
    """Host rules from configuration. Raises ValueError naming the first malformed one."""
    return tuple(HostRule.parse(text) for text in texts)


def http_url(value: str, what: str) -> str:
    """`value` if it is an http:// or https:// URL with a host (an endpoint, a base URL), else
    ValueError saying so of `what` (a name, or the value itself where it is no secret: a container
    URL may carry a SAS token)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} is not an http:// or https:// URL with a host")
    return value
