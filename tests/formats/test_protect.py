"""What is not prose, hidden from the engine and given back (formats/protect.py)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from dragoman.formats.plaintext import escape
from dragoman.formats.protect import protect, unprotect
from dragoman.formats.stream import visible_text


def kept(text: str) -> list[str]:
    """The stretches `protect` hid, as a reader sees them."""
    found = re.findall(r"\[dragoman-keep:(?:[^\]\\]|\\.)*\]", protect(escape(text)))
    return [visible_text(unprotect(superblank)) for superblank in found]


def test_urls_addresses_handles_hashtags_paths_and_tildes_are_hidden_whole() -> None:
    assert kept("Open ~/docs now.") == ["~/docs"]
    assert kept("We love #holiday and @river_news.") == ["#holiday", "@river_news"]
    assert kept("See https://example.com/a_b?q=1#frag, then www.example.org/x.") == [
        "https://example.com/a_b?q=1#frag",
        "www.example.org/x",
    ]
    assert kept("Mail me@example.org or run ./build.sh and ../up/x.") == ["me@example.org", "./build.sh", "../up/x"]
    assert kept("cd ~ then ~bob/notes") == ["~", "~bob/notes"]


def test_prose_with_slashes_signs_and_entities_is_left_to_the_engine() -> None:
    for text in ["and/or", "3/4 of 1/2", "50% off a+b", "C# and F#", "Tom&#39;s", "x*y"]:
        assert kept(text) == [], text


def test_the_documents_own_blanks_are_never_cut() -> None:
    segment = "See [[t:a:Q1]]https:\\/\\/x.org\\/a[[/]] and [<b>]#tag[<\\/b>] now"
    protected = protect(segment)
    assert "[<b>]" in protected and "[<\\/b>]" in protected  # superblanks untouched
    assert "[dragoman-keep:\\[\\[t:a:Q1\\]\\]https" in protected  # a link that is all URL is kept with its marks
    assert unprotect(protected) == segment


@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=80))
def test_unprotect_gives_back_exactly_what_protect_was_given(text: str) -> None:
    stream = escape(text)
    assert unprotect(protect(stream)) == stream


def test_an_element_kept_verbatim_is_hidden_whole_with_what_it_holds() -> None:
    segment = "Press [[t:kbd:A1]]Ctrl [[t:b:B2]]C[[/]][[/]] then [[t:b:C3]]go[[/]] to [[t:var:D4]]x[[/]]."
    protected = protect(segment)
    assert protected.count("[dragoman-keep:") == 2 and "[[t:b:C3]]go[[/]]" in protected
    assert unprotect(protected) == segment


def test_a_span_with_no_letter_or_digit_is_hidden_whole_as_the_engine_would_drop_it() -> None:
    # Given a footnote's back link "↩" and an arrow link, which Apertium drops, marks and all
    segment = "The end.[[t:a:x1]]↩[[/]] Next [[t:a:x2]]→[[/]] and [[t:b:x3]]red[[/]] [[t:a:x4]]1[[/]]"
    protected = protect(segment)
    # Then both are hidden whole; a span with a word or a number is left to the engine
    assert [unprotect(found) for found in re.findall(r"\[dragoman-keep:(?:[^\]\\]|\\.)*\]", protected)] == [
        "[[t:a:x1]]↩[[/]]",
        "[[t:a:x2]]→[[/]]",
    ]
    assert "[[t:b:x3]]red[[/]]" in protected and "[[t:a:x4]]1[[/]]" in protected
    # And a span holding a piece a format hid before comes back whole, that piece too
    nested = "See [[dragoman-md:5b:5d]][dragoman-keep:`ls`][[/]] now"
    assert unprotect(protect(nested)) == "See [[dragoman-md:5b:5d]]`ls`[[/]] now"


def test_code_paths_options_identifiers_placeholders_and_template_syntax_are_hidden_whole() -> None:
    """What a red team found translated in running text ("docs/cogiendo-empezado", "--seco-corrido",
    "{{ petición.Ruta_info }}", "10:30 soy")."""
    assert kept(r"Open C:\Users\john\Documents\report.docx now.") == [r"C:\Users\john\Documents\report.docx"]
    assert kept(r"Share \\server\share\Reports\x.docx.") == [r"\\server\share\Reports\x.docx"]
    assert kept("See docs/getting-started/index.md and src/main/java/App.java.") == [
        "docs/getting-started/index.md",
        "src/main/java/App.java",
    ]
    assert kept("Run with --dry-run and --out=x here.") == ["--dry-run", "--out=x"]
    assert kept("Call get_user_name() then run().") == ["get_user_name()", "run()"]
    assert kept("Call user.getName() first.") == ["user.getName()"]
    assert kept("Press Ctrl+Shift+Esc.") == ["Ctrl+Shift+Esc"]
    assert kept("At 10:30 am or 5 pm.") == ["10:30 am", "5 pm"]
    assert kept("The screen is 27 in wide, the frame 2.5 in.") == ["27 in", "2.5 in"]  # inches, not "en"
    assert kept("Edit $HOME/.config/app/settings.json or %APPDATA%\\logs\\today.log.") == [
        "$HOME/.config/app/settings.json",
        "%APPDATA%\\logs\\today.log",
    ]
    assert kept("Hi {name}, you have %(count)d cats.") == ["{name}", "%(count)d"]
    assert kept("The %s result for %1$s, %.2f in all, a 50% discount, 100% sure.") == ["%s", "%1$s", "%.2f"]
    assert kept("Hi {% comment %}The note for the team{% endcomment %} there.") == [
        "{% comment %}The note for the team{% endcomment %}"
    ]
    assert kept("{{ request.path_info }} and {% if reason and resolved %}") == [
        "{{ request.path_info }}",
        "{% if reason and resolved %}",
    ]


def test_prose_that_looks_a_little_like_code_is_still_translated() -> None:
    for text in ["and/or input/output km/h", "a 50% discount", "the e-mail is here", "I am here", "a+b", "C++",
                 "born in 1990 in Paris", "put 3 in the box"]:  # fmt: skip
        assert kept(text) == [], text


def test_a_kept_stretch_holding_a_caret_or_a_dollar_does_not_stall_the_engine() -> None:
    """A URL with `^` in a .txt failed after 60 s: the doubled backslash of its escape left a bare `^`,
    which opens a lexical unit in Apertium's stream."""
    from dragoman.engines.apertium import ApertiumEngine
    from dragoman.formats.plaintext import escape

    segment = escape("Visit https://e.com/a^b$c now.")
    assert "^" not in protect(segment).replace("\\^", "")
    with ApertiumEngine() as engine:
        [translated] = engine.translate([protect(segment)], "en", "es")
    assert "https://e.com/a^b$c" in unprotect(translated).replace("\\", "")


def test_a_span_holding_only_symbols_beside_what_is_kept_is_kept_whole() -> None:
    """The engine drops a word-bound span with no word in it: "‹ {{ title }}" in a link was lost."""
    for segment in ("[[t:a:x]]‹ \\{name\\}[[/]]", "[[t:a:x]]→ https://x.com/a ←[[/]] now"):
        protected = protect(segment)
        assert protected.startswith("[dragoman-keep:\\[\\[t:a:x") and unprotect(protected) == segment
    assert protect("[[t:a:x]]See https://x.com/a[[/]]").startswith("[[t:a:x]]See ")  # a word: the span stays
