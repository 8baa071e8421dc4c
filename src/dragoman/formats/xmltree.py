"""Small edits of an lxml tree that keep its text where a reader sees it.

In lxml an element's `tail` (the text after it, up to its next sibling) belongs to the element:
removing the element naively removes that text too. These helpers move it first.

Shape: `remove_keeping_tail(element)`.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["remove_keeping_tail"]


def remove_keeping_tail(element: etree._Element) -> None:
    """Remove `element` from its parent, the text after it staying where it was (appended to the
    previous sibling's tail, or to the parent's text). The element leaves without its tail, so it
    can be put elsewhere. Raises ValueError for the root."""
    parent = element.getparent()
    if parent is None:
        raise ValueError("the root element has no parent to be removed from")
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    element.tail = None
    parent.remove(element)
