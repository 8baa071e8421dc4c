"""The content connector: catalogue entities sent to translation vendors (issue 12).

`lifecycle` holds the connector job's states and the cancel rules; `languages` the entities'
In translation / Translated sets, recomputed from history; `snapshots` what an entity sends for a
language. All three are pure: no I/O, fully unit- and property-tested.
"""
