"""Markdown: text translated, structure and code kept (formats/markdown.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dragoman.engines.apertium import ApertiumEngine
from dragoman.errors import DocumentTooComplex
from dragoman.formats.documents import extract, format_for, format_of_content_type, inject
from dragoman.formats.markdown import MAX_NESTING, rebuild, take_apart
from dragoman.formats.protect import unprotect

DOCUMENT = """---
title: The black cat
---
# The red house

The cat is **black** and [the dog](http://x.org "The dog") is `the cat`.
I like dogs.

> The red **house** is big.

1. The house is *red*.
2. See <https://example.com> and ![the cat](cat.png).

| A cat | Number |
|---|---:|
| The red house | 1 |

```python
print("The cat is black.")
```

    indented code: the cat

The big dog
-----------
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[ApertiumEngine]:
    with ApertiumEngine() as apertium:
        yield apertium


def translated(engine: ApertiumEngine) -> str:
    document = extract(DOCUMENT.encode(), format_for("README.md"))
    return inject(document, engine.translate(document.segments, "en", "es")).decode()


def test_text_is_translated_and_front_matter_code_and_markers_are_kept(engine: ApertiumEngine) -> None:
    out = translated(engine)
    assert out.startswith("---\ntitle: El gato negro\n---\n# La casa roja\n")  # the title's value, not its key
    assert '```python\nprint("The cat is black.")\n```\n' in out
    assert "    indented code: the cat\n" in out
    assert "| Un gato | Número |\n|---|---:|\n| La casa roja | 1 |\n" in out
    assert "1. La casa es *roja*.\n" in out
    assert "2. Ve <https://example.com> y ![el gato](cat.png).\n" in out  # the alternative text translated
    assert "El perro grande\n-----------\n" in out
    assert format_of_content_type("text/markdown") == format_for("a.md")


def test_links_and_emphasis_follow_their_words(engine: ApertiumEngine) -> None:
    out = translated(engine)
    assert 'El gato es **negro** y [el perro](http://x.org "El perro") es `the cat`. Me gustan los perros.\n' in out
    assert "> La casa **roja** es grande." not in out  # the emphasis was on "house", not "red"
    assert "> La **casa** roja es grande.\n" in out


def test_put_back_untranslated_a_document_of_one_line_paragraphs_is_the_same() -> None:
    source = DOCUMENT.replace("`.\nI like dogs.", "`. I like dogs.")
    skeleton, segments, _ = take_apart(source)
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == source


def test_a_reference_link_whose_text_is_its_label_still_refers_to_it_once_translated(engine: ApertiumEngine) -> None:
    # Given shortcut, collapsed and full reference links (as Python-Markdown's own documentation writes them),
    # one whose text is inline code, and brackets that are no link
    source = (
        "See the [Smarty Extension] and the [Change Log][] and the [`linenums`][linenums] keyword [not a link].\n\n"
        "[Smarty Extension]: smarty.md\n[change log]: index.md\n[linenums]: code.md\n"
    )
    document = extract(source.encode(), format_for("a.md"))
    out = inject(document, engine.translate(document.segments, "en", "es")).decode()
    # Then each translated link text refers to its definition by label, the code is kept, and nothing of ours leaks
    assert "[Smarty Prórroga][Smarty Extension]" in out
    assert "][Change Log]" in out and "[`linenums`][linenums]" in out and "[no un enlace]" in out
    assert "dragoman" not in out
    assert out.endswith("[Smarty Extension]: smarty.md\n[change log]: index.md\n[linenums]: code.md\n")


def test_nesting_real_documents_reach_is_read_and_nesting_past_the_parsers_limit_is_refused() -> None:
    # Given twenty nested lists (markdown-it's own limit stopped at ten, silently dropping their text)
    lists = "".join("  " * depth + f"- Item {depth}\n" for depth in range(20))
    document = extract(lists.encode(), format_for("a.md"))
    assert "Item 19" in document.segments[-1]
    # When blocks nest past MAX_NESTING, the document is refused, not translated in part
    quotes = "> " * MAX_NESTING + "The cat is black.\n\nThe dog.\n"
    with pytest.raises(DocumentTooComplex, match="nests blocks"):
        extract(quotes.encode(), format_for("a.md"))


def test_a_line_of_unclosed_emphasis_is_taken_apart_in_time_linear_in_its_length() -> None:
    """`*a **a ` twelve thousand times took minutes (each marker scanned to the line's end, at every
    level): spans are bounded now. Nothing asserts time: a quadratic parse would exceed the timeout."""
    document = extract(("*a **a " * 12_000 + "the cat is black").encode(), format_for("emphasis.md"))
    assert document.characters > 0
    document.discard()
