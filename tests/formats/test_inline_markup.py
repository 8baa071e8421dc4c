"""Inline markup carried through the engine and put back (formats/inline_markup.py)."""

from __future__ import annotations

from lxml import etree

from dragoman.formats.inline_markup import Kind, fill, to_stream


def kind(element: etree._Element) -> Kind:
    return "carry" if element.tag in ("g", "b") else "keep"


def rebuilt(source: str, translation: str | None = None) -> str:
    element = etree.fromstring(source)
    inline = to_stream(element, kind)
    fill(element, inline, inline.segment if translation is None else translation)
    return etree.tostring(element, encoding="unicode")


def test_put_back_as_it_came_the_content_is_the_same() -> None:
    source = '<s>  The <g id="1">red <b>big</b></g> house<x id="2"/> <g id="3"><x id="4"/></g>is here. </s>'
    element = etree.fromstring(source)
    inline = to_stream(element, kind)
    assert inline.segment == (
        "The [[dragoman-x:0]]red[[/]] [[dragoman-x:0,1]]big[[/]] house[dragoman-x:2] [dragoman-x:3]is here."
    )
    assert inline.characters == len("The red big house is here.")
    assert rebuilt(source) == source


def test_an_element_the_engine_split_is_written_once_and_one_it_dropped_is_put_back_empty() -> None:
    source = '<s>The <g id="1">red big</g> <g id="2">house</g></s>'
    translation = "[[dragoman-x:0]]La[[/]] casa [[dragoman-x:0]]roja[[/]]"
    assert rebuilt(source, translation) == '<s><g id="1">La</g> casa roja<g id="2"/></s>'
