"""Markdown: text translated, structure and code kept (formats/markdown.py, formats/_markdown_inline.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dragoman.abort import Aborted
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
    assert 'El gato es **negro** y [el perro](http://x.org "El perro") es `the cat`.\nMe gustan los perros.\n' in out
    assert "> La casa **roja** es grande." not in out  # the emphasis was on "house", not "red"
    assert "> La **casa** roja es grande.\n" in out


def test_put_back_untranslated_a_document_is_the_same_line_for_line() -> None:
    skeleton, segments, _ = take_apart(DOCUMENT)
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == DOCUMENT


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


def translate(engine: ApertiumEngine, source: str) -> str:
    document = extract(source.encode(), format_for("a.md"))
    return inject(document, engine.translate(document.segments, "en", "es")).decode()


def destinations(text: str) -> list[str]:
    """Every link's and image's target, as markdown-it reads them (references resolved)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    children = [child for token in tokens for child in token.children or []]
    return sorted(
        str(child.attrGet("href") or child.attrGet("src")) for child in children if child.type in ("link_open", "image")
    )


def test_a_link_inside_or_around_emphasis_keeps_its_target_its_words_and_the_markers(engine: ApertiumEngine) -> None:
    # Given links with emphasis around them and inside them (the red-team's links2.md and markdown-it-py's README)
    source = (
        "Read **the [user guide](https://e.com/g#a) now** please.\n\n"
        "Read [**the guide**](https://e.com/g#c) first.\n\n"
        "- The **[Live demo](https://markdown-it.github.io)** is online.\n"
        "- Follows the __[CommonMark spec](http://spec.commonmark.org/)__ for parsing\n"
    )
    out = translate(engine, source)
    # Then every target is there, once, with the words it had, and the emphasis around the same words
    assert destinations(out) == destinations(source)
    assert "Leído **la [guía de usuario](https://e.com/g#a) ahora** complace.\n" in out
    assert "Leído [**la guía**](https://e.com/g#c) primero.\n" in out
    assert "- El **[Vivo demo](https://markdown-it.github.io)** es on-line.\n" in out
    assert "- Sigue el __[CommonMark spec](http://spec.commonmark.org/)__ para" in out


def test_badges_and_reference_labels_come_back_whole(engine: ApertiumEngine) -> None:
    # Given an image inside a link, inline and by reference, and full, collapsed and shortcut reference links
    source = (
        "[![Build status](https://img.shields.io/x.svg)](https://ci.example.com/job#last)\n\n"
        "[![Coverage][cov-badge]][cov-link]\n\n"
        "Read the [guide][g] and the [FAQ][] and the [user guide] first.\n\n"
        "[cov-badge]: https://img.shields.io/codecov.svg\n[cov-link]: https://codecov.io/gh/x/y\n"
        "[g]: https://e.com/g#d\n[FAQ]: https://e.com/faq#e\n[user guide]: https://e.com/u\n"
    )
    out = translate(engine, source)
    # Then the image stays inside its link, its description translated but never split, and no label is translated
    assert "[![Estado de complexión](https://img.shields.io/x.svg)](https://ci.example.com/job#last)\n" in out
    assert "[![Cobertura][cov-badge]][cov-link]\n" in out
    assert "[guía][g]" in out and "[FAQ][FAQ]" in out and "[guía de usuario][user guide]" in out
    assert destinations(out) == destinations(source)


def test_an_element_marked_not_to_be_translated_is_kept_whole_in_place(engine: ApertiumEngine) -> None:
    source = (
        'The third step with <kbd>Ctrl</kbd> and <span translate="no">Big House</span> inside.\n\n'
        'The <span class="box notranslate">Red Cat</span> and <span>the **big** house</span> today.\n'
    )
    out = translate(engine, source)
    assert 'El tercer paso con <kbd>Ctrl</kbd> e <span translate="no">Big House</span> interior.\n' in out
    assert '<span class="box notranslate">Red Cat</span>' in out
    assert "<span>la casa **grande**</span>" in out  # other inline elements follow their words


def test_task_list_items_keep_their_checkbox(engine: ApertiumEngine) -> None:
    out = translate(engine, "* [ ] The task that is not done\n* [x] The task that is done\n- [X] The dog\n")
    assert out == "* [ ] La tarea que no es hecho\n* [x] La tarea que está hecho\n- [X] El perro\n"


def test_a_hard_break_is_kept_and_each_line_translated(engine: ApertiumEngine) -> None:
    # Given hard breaks by a backslash and by two spaces, at the top of a paragraph and inside emphasis
    source = (
        "> A line ending with a backslash\\\n"
        "> and the next line of the paragraph.\n\n"
        "The red house  \non the next line.\n\n"
        "- The **red  \n  house** is big.\n"
    )
    out = translate(engine, source)
    # Then each line is translated on its own line, the break as written, and no stray backslash in the text
    assert "> Un final de línea con un backslash\\\n> y la línea próxima del párrafo.\n" in out
    assert "La casa roja  \nen la línea próxima.\n" in out
    assert "- La **casa  \n  roja** es grande.\n" in out
    assert out.count("\\") == 1


def test_alternative_texts_titles_and_front_matter_titles_are_translated_and_html_blocks_warned_about(
    engine: ApertiumEngine,
) -> None:
    # Given a front matter, an image with a title, a link with a title, and an HTML block with text
    source = (
        "---\ntitle: The getting started guide\ndescription: 'How to install the program'\ntags: [install, guide]\n"
        '---\n\nAn image ![A black cat](img/cat.png "The cat title") and '
        "[a link](https://e.com/i 'The install page').\n\n"
        '<div class="note">\n<p>The HTML block inside Markdown.</p>\n</div>\n'
    )
    out = translate(engine, source)
    # Then the values are translated, never the keys, and the image and link stay whole
    assert out.startswith(
        "---\ntitle: La guía de empezar\ndescription: 'Cómo para instalar el programa'\ntags: [install, guide]\n---\n"
    )
    assert '![Un gato negro](img/cat.png "El título de gato")' in out
    assert "[un enlace](https://e.com/i 'El instalar página')" in out
    # And the HTML block, kept as written, is said
    assert '<div class="note">\n<p>The HTML block inside Markdown.</p>\n</div>\n' in out
    skeleton, _segments, _characters = take_apart(source)
    assert [warning.code for warning in skeleton.warnings] == ["HtmlBlockNotTranslated"]
    assert "(line 9)" in skeleton.warnings[0].message


def test_a_value_that_would_not_read_as_yaml_once_translated_is_quoted() -> None:
    skeleton, segments, _ = take_apart('---\ntitle: The cat\nsummary: "A \\"quoted\\" cat"\n---\n# The cat\n')
    assert len(segments) == 2  # the title's value and the heading; an escaped value is kept
    assert rebuild(skeleton, ["Nota: el gato", "El gato"]).startswith('---\ntitle: "Nota: el gato"\n')


def test_a_document_taken_apart_and_put_back_untranslated_is_the_same() -> None:
    source = (
        "---\ntitle: The cat\n---\n"
        'Read **the [user guide](https://e.com/g#a "The guide") now** please.\n\n'
        "[![Build status](https://img.shields.io/x.svg)](https://ci.example.com/job#last) [![Coverage][c]][c]\n\n"
        '| `a\\|b` | The pipe \\| inside | <span translate="no">Big House</span> |\n|---|---|---|\n| 1 | 2 | 3 |\n\n'
        "* [ ] The task\n* [x] Done &amp; ~~struck~~ \\* \\_not\\_ <!-- a comment -->\n\n"
        "A hard break\\\nand  \ntwo more.\n\n[c]: https://c.io\n"
    )
    skeleton, segments, _ = take_apart(source)
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == source


def test_a_paragraph_that_would_cost_markdown_it_too_much_is_refused_and_one_that_costs_little_is_read() -> None:
    """markdown-it reads a line of `![a` in time proportional to its length times its nesting limit
    (seconds for 100 KB): its work is counted and bounded. Nothing asserts time."""
    with pytest.raises(DocumentTooComplex, match="line 3 holds so many unclosed brackets"):
        take_apart("# The cat\n\n" + "![a" * 20_000 + "\n")
    # A long line of brackets costs little per character: it is read, and none of it is lost
    source = "[a " * 30_000 + "] " * 30_000 + "the cat\n"
    skeleton, segments, characters = take_apart(source)
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == source
    assert characters == len(source.strip().replace(" ", "")) + source.strip().count(" ")


def test_a_cancel_is_heard_inside_one_long_paragraph() -> None:
    asked: list[int] = []

    def should_abort() -> bool:
        asked.append(1)
        return len(asked) > 1  # not between blocks (the first look): inside the paragraph's inline parse

    with pytest.raises(Aborted):
        take_apart("[a " * 30_000 + "] " * 30_000 + "\n", should_abort)


def test_emphasis_nested_past_what_is_read_is_refused() -> None:
    with pytest.raises(DocumentTooComplex, match="nests emphasis 40 deep"):
        take_apart("*" * 3000 + "a" + "*" * 3000 + "\n")
    # And what is nested is named: inline HTML tags, twenty thousand deep (the red team's md_htmlinline.md)
    with pytest.raises(DocumentTooComplex, match="line 1 nests inline HTML tags 40 deep"):
        take_apart("The <span>" * 20_000 + "house" + "</span>" * 20_000 + "\n")


def test_a_reference_definitions_title_is_translated_and_its_label_and_target_kept(engine: ApertiumEngine) -> None:
    source = '[ref link][guide] here.\n\n[guide]: https://example.com/guide#ref "The guide title"\n'
    out = translate(engine, source)
    assert out.endswith('\n[guide]: https://example.com/guide#ref "El título de guía"\n')
    assert destinations(out) == destinations(source)


def test_a_link_whose_words_the_engine_lost_is_added_after_its_text() -> None:
    # Given a translation that lost the link's words, blanks and all (an engine may drop a word)
    skeleton, segments, _ = take_apart("See [the dog](http://x.org) now.\n")
    assert len(segments) == 1
    # Then the link comes back as it was, after the text: its target is not lost
    assert rebuild(skeleton, ["Ver ahora."]) == "Ver ahora. [the dog](http://x.org)\n"


def test_what_markdown_keeps_as_written_is_said_on_the_document() -> None:
    document = extract(
        b'# The title\n\n<div class="note"><p>The HTML block.</p></div>\n\nThe cat is black.\n', format_for("a.md")
    )
    assert [warning.code for warning in document.warnings] == ["HtmlBlockNotTranslated"]
    document.discard()


def test_a_text_that_begins_in_small_letters_keeps_them_wherever_it_is(engine: ApertiumEngine) -> None:
    # Given texts beginning with a small letter in a list, a table, the front matter, an image's
    # alternative text and title, emphasis and a hard-broken line (breaks.cut lowers them, in every format)
    source = (
        "---\ntitle: the getting started guide\n---\n"
        "- the house\n- *the* cat is black.\n\n"
        "| a cat | the dog |\n|---|---|\n| the house | one |\n\n"
        '![a black cat](x.png "the cat title") here.\n\n'
        "The red house  \non the next line.\n"
    )
    out = translate(engine, source)
    # Then each translation begins in small letters too, though the engine wrote a capital
    assert out.startswith("---\ntitle: la guía de empezar\n---\n- la casa\n- *el* gato es negro.\n")
    assert "| un gato | el perro |\n|---|---|\n| la casa | uno |\n" in out
    assert '![un gato negro](x.png "el título de gato") aquí.\n' in out
    assert "La casa roja  \nen la línea próxima.\n" in out


def test_a_translation_that_begins_with_a_word_in_capitals_keeps_it() -> None:
    # Given a text, a cell, a link's text and an alternative text beginning in small letters, whose
    # translations begin with an acronym
    source = "the cat.\n\n| the dog |\n|---|\n\n[the guide](https://e.com) and ![a cat](x.png).\n"
    document = extract(source.encode(), format_for("a.md"))
    translated = [segment.replace("the", "EEUU", 1).replace("a cat", "ONU gato", 1) for segment in document.segments]
    # Then the acronym is kept in capitals, in every place alike
    assert inject(document, translated).decode() == (
        "EEUU cat.\n\n| EEUU dog |\n|---|\n\n[EEUU guide](https://e.com) and ![ONU gato](x.png).\n"
    )


def test_github_alerts_and_old_style_notes_keep_their_marker_on_its_own_line(engine: ApertiumEngine) -> None:
    # Given GitHub alerts (the red team's a.md) and an old-style note, its bold label on a line of its own
    source = (
        "> [!NOTE]\n> The note about the house.\n\n"
        "> [!warning]\n> The warning about the red car.\n> It is fast.\n\n"
        "> **Note**\n> The quoted note about the house.\n\n"
        "**Warning**\nThe red car is fast.\n"
    )
    out = translate(engine, source)
    # Then the marker is kept as written on its own line, the label too (a segment of its own), and the text translated
    assert out == (
        "> [!NOTE]\n> La nota sobre la casa.\n\n"
        "> [!warning]\n> El aviso sobre el coche rojo.\n> Es rápidamente.\n\n"
        "> **Nota**\n> La nota citada sobre la casa.\n\n"
        "**Aviso**\nEl coche rojo es rápidamente.\n"
    )


def test_footnote_labels_are_kept_and_their_text_translated(engine: ApertiumEngine) -> None:
    # Given GFM footnotes (markdown-it reads them as text), and inline code holding a `^`
    source = (
        "Term with a footnote[^note] in the middle of the sentence.\n\n"
        "[^note]: The text of the footnote.\n\nThe value of `x^2` is big.\n"
    )
    out = translate(engine, source)
    # Then no label is translated, the definition's text is, and the `^` reaches the engine escaped
    # (a bare one stalled it)
    assert out == (
        "Plazo con un footnote[^note] en medio de la frase.\n\n"
        "[^note]: El texto del footnote.\n\nEl valor de `x^2` es grande.\n"
    )


def test_a_paragraphs_line_breaks_are_kept_where_they_were(engine: ApertiumEngine) -> None:
    # Given a paragraph over several lines, badges one a line (markdown-it-py's README), a quote going on
    # lazily, and list items over two lines
    source = (
        "The red house\nis big. The cat\nis black.\n\n"
        "[![Github-CI][ci]][ci-link]\n[![Coverage Status][cov]][cov-link]\n\n"
        "> The quoted text that goes\non lazily and\n> goes on again.\n\n"
        "- The list item that\n  goes on to a second line\n  - The nested item about\n    the red house\n\n"
        "[ci]: https://e.com/ci.svg\n[ci-link]: https://e.com/ci\n[cov]: https://e.com/cov.svg\n"
        "[cov-link]: https://e.com/cov\n"
    )
    out = translate(engine, source)
    # Then each line break stays, with the next line's own markers and indentation (line-oriented diffs)
    assert out.startswith(
        "La casa roja\nes grande. El gato\nes negro.\n\n"
        "[![Github-Ci][ci]][ci-link]\n[![Estado de cobertura][cov]][cov-link]\n\n"
        "> El texto citado que continúa en\nperezosamente y\n> continúa en otra vez.\n\n"
        "- El elemento de lista que\n  continúa en a una segunda línea\n"
        "  - El nested elemento sobre\n    la casa roja\n\n"
    )


def test_a_line_break_the_engine_moved_never_makes_a_block_nor_an_empty_line() -> None:
    skeleton, segments, _ = take_apart("> The red house\n> is big.\n")
    assert segments == ["The red house[dragoman-md-break:0a3e20]is big."]
    blank = "[dragoman-md-break:0a3e20]"
    outcomes = {
        "La casa roja" + blank + "es grande.": "> La casa roja\n> es grande.\n",
        blank + "La casa roja es grande.": "> La casa roja es grande.\n",  # first or last: dropped
        "La casa roja es grande." + blank: "> La casa roja es grande.\n",
        "La casa " + blank + " " + blank + " roja.": "> La casa\n> roja.\n",  # two together: one line break
        "La casa" + blank + "- roja.": "> La casa - roja.\n",  # a list item, a heading, a quote: joined
        "La casa" + blank + "# roja.": "> La casa # roja.\n",
        "La casa" + blank + "1. roja.": "> La casa 1. roja.\n",
        "La casa" + blank + "=====": "> La casa =====\n",
    }
    for translation, expected in outcomes.items():
        assert rebuild(skeleton, [translation]) == expected


def test_template_tags_around_words_follow_them_and_alternatives_are_kept_whole(engine: ApertiumEngine) -> None:
    source = (
        "the {% if x %}big{% endif %} house and {% if y %}the big{% else %}the small{% endif %} cat\n\n"
        "The {% if x %}**big**{% endif %} house.\n\n{%- for item in items -%}The red item{%- endfor -%}\n"
    )
    out = translate(engine, source)
    # Then the condition still governs the word it did ("big"), and a pair with alternatives is kept as written
    assert out == (
        "la casa {% if x %}grande{% endif %} y {% if y %}the big{% else %}the small{% endif %} gato\n\n"
        "La casa {% if x %}**grande**{% endif %}.\n\n{%- for item in items -%}El elemento rojo{%- endfor -%}\n"
    )


def test_runs_of_symbols_are_neither_sent_as_text_nor_billed() -> None:
    # Given unmatched backticks in runs of every length (the red team's 2 MB md_backticks.md, smaller)
    source = " a ".join("`" * length for length in range(1, 300)) + " a\n"
    skeleton, segments, characters = take_apart(source)
    # Then what is billed is the letters, the spaces and the runs of up to three backticks, not every backtick
    assert characters == len(source.strip()) - sum(range(4, 300))
    assert rebuild(skeleton, [unprotect(segment) for segment in segments]) == source


def test_a_template_block_kept_whole_with_its_prose_is_said() -> None:
    source = b"# Title\n\nHello {% if user %}dear friend{% else %}visitor{% endif %} today.\n"
    document = extract(source, format_for("a.md"))
    assert [warning.code for warning in document.warnings] == ["TemplateTextNotTranslated"]
    document.discard()
