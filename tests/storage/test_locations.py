"""Remote locations are parsed once, strictly, and hosts compared exactly (storage.locations)."""

from __future__ import annotations

import pytest

from dragoman.errors import AccessDenied
from dragoman.storage.azure_blob import AzureBlobStorage
from dragoman.storage.locations import HostRule, parse_host_rules, parse_location


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080\\@acct.blob.core.windows.net/c/x",  # the backslash attack of the 2026 review
        "https://acct.blob.core.windows.net\\@127.0.0.1/c",
        "https://user:pass@acct.blob.core.windows.net/c",
        "https://127.0.0.1@acct.blob.core.windows.net/c",
        "https://acct.blob.core.windows.net%2f@127.0.0.1/c",
        "https://acct.blob.core.windows.net /c",
        "https://acct.blob.core.windows.net\t/c",
        "https://acct.blob.core.windows.net/c\nx",
        "https://acct.blob.core.windows.net/c%0ax",
        "https://аcct.blob.core.windows.net/c",  # a Cyrillic 'а'
        "https://acct.blob.core.windows.net:99999/c",
        "https://acct.blob.core.windows.net:80a/c",
        "https://acct.blob.core.windows.net:/c",
        "https:///c/x",
        "https://acct..windows.net/c",
        "https://acct.blob.core.windows.net/c#frag",
        "ftp://acct.blob.core.windows.net/c",
        "//acct.blob.core.windows.net/c",
        "https://[::1/c",
        "http://127.1/c",  # 127.0.0.1 to inet_aton, a name to others
        "http://2130706433/c",
        "http://0x7f.0.0.1/c",
    ],
)
def test_urls_two_readers_could_take_differently_are_refused(url: str) -> None:
    with pytest.raises(AccessDenied):
        parse_location(url)


def test_a_location_is_rebuilt_from_its_parts() -> None:
    location = parse_location("HTTPS://Acct.Blob.Core.Windows.Net:443/c/a%20b.txt?sv=1&sig=x%2By")
    assert (location.scheme, location.host, location.port, location.path) == (
        "https",
        "acct.blob.core.windows.net",
        443,
        "/c/a b.txt",
    )
    assert location.url() == "https://acct.blob.core.windows.net/c/a%20b.txt?sv=1&sig=x%2By"
    assert parse_location("http://[::1]:10000/a/c").url() == "http://[::1]:10000/a/c"


@pytest.mark.parametrize(
    ("rule", "url", "allowed"),
    [
        ("*.blob.core.windows.net", "https://acct.blob.core.windows.net/c", True),
        ("*.blob.core.windows.net", "https://a.b.blob.core.windows.net/c", True),
        ("*.blob.core.windows.net", "https://blob.core.windows.net/c", False),  # the bare suffix is not a subdomain
        ("*.blob.core.windows.net", "https://evilblob.core.windows.net/c", False),  # label boundary
        ("*.blob.core.windows.net", "https://acct.blob.core.windows.net.evil.com/c", False),
        ("*.blob.core.windows.net", "https://acct.blob.core.windows.net:8443/c", False),  # default port only
        ("*.blob.core.windows.net", "http://acct.blob.core.windows.net/c", True),
        ("acct.blob.core.windows.net", "https://acct.blob.core.windows.net/c", True),
        ("acct.blob.core.windows.net", "https://other.blob.core.windows.net/c", False),
        ("127.0.0.1:10000", "http://127.0.0.1:10000/a/c", True),
        ("127.0.0.1:10000", "http://127.0.0.1:10001/a/c", False),
        ("127.0.0.1:10000", "http://127.0.0.2:10000/a/c", False),
        ("localhost:10000", "http://127.0.0.1:10000/a/c", False),  # names are compared, not resolved
        ("*.0.0.1", "http://127.0.0.1/a/c", None),  # a wildcard never names an IP literal: the rule is refused
    ],
)
def test_hosts_are_compared_exactly_or_on_label_boundaries(rule: str, url: str, allowed: bool | None) -> None:
    if allowed is None:
        with pytest.raises(ValueError):
            HostRule.parse(rule)
        return
    assert HostRule.parse(rule).allows(parse_location(url)) is allowed


def test_blob_storage_contacts_only_allowed_hosts_and_uses_the_parsed_url() -> None:
    storage = AzureBlobStorage(["*.blob.core.windows.net"])
    with pytest.raises(AccessDenied, match="not an allowed blob storage host"):
        storage.canonical("http://127.0.0.1:8080/devstoreaccount1/c/x.txt")
    with pytest.raises(AccessDenied, match="backslash"):
        storage.canonical("http://127.0.0.1:8080\\@acct.blob.core.windows.net/c/x.txt")
    assert (
        storage.canonical("https://ACCT.blob.core.windows.net:443/c/dir/x%2Etxt?sig=s")
        == "https://acct.blob.core.windows.net/c/dir/x.txt?sig=s"
    )


def test_malformed_host_rules_are_refused() -> None:
    for text in ("", "*", "*.", "a*.b.com", "host:0", "host:x", "bad_host.com"):
        with pytest.raises(ValueError):
            parse_host_rules([text])


def test_dot_segments_are_resolved_so_one_blob_has_one_spelling() -> None:
    storage = AzureBlobStorage(["*.blob.core.windows.net"])
    plain = storage.canonical("https://acct.blob.core.windows.net/c/d/x.txt?sig=a")
    for spelling in ("c/d/./x.txt", "c/d/e/../x.txt", "c/d/%2E/x.txt", "c/d/e/%2e%2E/x.txt", "c/./d/x.txt"):
        assert storage.canonical(f"https://acct.blob.core.windows.net/{spelling}?sig=a") == plain
    # `..` may leave a container, never the host: the container is read after the segments are resolved
    assert storage.canonical("https://acct.blob.core.windows.net/c/../other/x.txt") == (
        "https://acct.blob.core.windows.net/other/x.txt"
    )
