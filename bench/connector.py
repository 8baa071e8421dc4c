"""The content connector at catalogue scale, against the batch jobs on the same text, in one run.

A catalogue of ENTITIES entities with five fields each (a product name, a material and a care line
drawn from short lists, as real catalogues repeat them; a short and a long description) is sent to
the local vendor (Dragoman's own batch jobs) into Spanish and Catalan: create the job, send it,
translate, import. Printed: entities per second end to end, the characters per second this makes,
and that rate ÷ the rate of one plain batch job translating the same text (the same fields, written
as paragraphs of documents of ~64 KB) into the same two languages, measured in the same run.

Then a 5,000-entity job is sent and cancelled, and the time to recompute every entity's language
sets from the history is printed (all entities, then the 5,000 the cancel touched).

Usage: python bench/connector.py [ENTITIES]   (default 10,000)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import WORDS, service, wait, workspace  # noqa: E402

from dragoman.connector.lifecycle import ConnectorJobStatus  # noqa: E402
from dragoman.planning import plan_local_job  # noqa: E402

TENANT = "default"
S = ConnectorJobStatus
ADJECTIVES = ["red", "black", "small", "big", "new", "old", "white", "green", "long", "short"]
NOUNS = ["chair", "table", "house", "lamp", "bed", "door", "window", "car", "book", "dog"]
MATERIALS = ["Wood.", "Black metal.", "Red glass.", "White paper.", "Green wood.", "Old wood and metal."]
CARE = [
    "Clean it with a dry cloth.",
    "Keep it away from the sun.",
    "Do not put it in water.",
    "Clean it with water and a small brush.",
]


def sentence(chance: random.Random, low: int, high: int) -> str:
    return " ".join(chance.choices(WORDS, k=chance.randint(low, high))).capitalize() + "."


def catalogue(count: int) -> dict[str, dict[str, str]]:
    """Entity id -> fields; descriptions repeat now and then, as product families share them."""
    chance = random.Random(12)
    shared = [sentence(chance, 8, 14) for _ in range(count // 20 or 1)]
    entities = {}
    for number in range(count):
        entities[f"p{number:05d}"] = {
            "name": f"The {chance.choice(ADJECTIVES)} {chance.choice(NOUNS)}",
            "material": chance.choice(MATERIALS),
            "care": chance.choice(CARE),
            "summary": chance.choice(shared) if chance.random() < 0.3 else sentence(chance, 6, 12),
            "description": " ".join(sentence(chance, 6, 14) for _ in range(chance.randint(2, 4))),
        }
    return entities


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    root = workspace()
    entities = catalogue(count)
    characters = sum(len(text) for fields in entities.values() for text in fields.values())
    # The same text as plain documents of ~64 KB: the batch job's baseline
    documents = root / "in"
    documents.mkdir()
    paragraphs = [text for fields in entities.values() for text in fields.values()]
    chunk: list[str] = []
    size = number = 0
    for paragraph in paragraphs:
        chunk.append(paragraph)
        size += len(paragraph)
        if size > 64 * 1024:
            (documents / f"doc{number:04d}.txt").write_text("\n\n".join(chunk) + "\n")
            chunk, size, number = [], 0, number + 1
    if chunk:
        (documents / f"doc{number:04d}.txt").write_text("\n\n".join(chunk) + "\n")

    with service(root) as app:
        app.engine.warm("en", "es")  # type: ignore[attr-defined]
        app.engine.warm("en", "ca")  # type: ignore[attr-defined]
        started = time.perf_counter()
        job_id = app.submit(plan_local_job(app.local, [documents], root / "out", ["es", "ca"], "en")).job.id
        wait(app, job_id, poll=0.05)
        batch_seconds = time.perf_counter() - started
        assert app.get(job_id).status.value == "succeeded"

        connector = app.connector
        started = time.perf_counter()
        for entity_id, fields in entities.items():
            connector.put_entity(TENANT, entity_id, "en", fields)
        put_seconds = time.perf_counter() - started

        started = time.perf_counter()
        job = connector.create_job(TENANT, "catalogue", "en", ["es", "ca"], "local", list(entities))
        created = time.perf_counter()
        connector.send(TENANT, job.id)
        sent = time.perf_counter()
        while connector.poll(TENANT, job.id, with_items=False).status is not S.READY_FOR_IMPORT:
            time.sleep(0.2)
        delivered = time.perf_counter()
        imported = connector.import_job(TENANT, job.id)
        done = time.perf_counter()
        assert imported.status is S.IMPORTED, imported.status
        connector_seconds = done - started

        print(f"catalogue: {count:,} entities, 5 fields each, {characters:,} characters; into es and ca")
        print(f"batch job, same text as {number + 1} documents: {2 * characters / batch_seconds:,.0f} chars/s "
              f"({batch_seconds:.1f} s)")  # fmt: skip
        print(
            f"connector end to end: {count / connector_seconds:,.0f} entities/s, "
            f"{2 * characters / connector_seconds:,.0f} chars/s ({connector_seconds:.1f} s: create "
            f"{created - started:.1f}, send {sent - created:.1f}, translate {delivered - sent:.1f}, "
            f"import {done - delivered:.1f})"
        )
        print(f"ratio (connector / batch job, chars/s): {batch_seconds / connector_seconds:.2f}")
        print(f"(putting the entities into the catalogue: {count / put_seconds:,.0f} entities/s)")

        # Cancel a 5,000-entity job, then recompute every entity's language sets
        half = list(entities)[: min(5000, count)]
        for entity_id in half:
            connector.put_entity(TENANT, entity_id, "en", {**entities[entity_id], "care": "Keep it dry."})
        job = connector.create_job(TENANT, "care lines", "en", ["es"], "local", half)
        connector.send(TENANT, job.id)
        connector.cancel(TENANT, job.id)
        while connector.poll(TENANT, job.id, with_items=False).status is not S.CANCELLED:
            time.sleep(0.2)
        started = time.perf_counter()
        every = connector.store.language_sets(TENANT)
        all_seconds = time.perf_counter() - started
        started = time.perf_counter()
        touched = connector.store.language_sets(TENANT, half)
        touched_seconds = time.perf_counter() - started
        assert all(sets.translated == {"es", "ca"} and not sets.in_translation for sets in touched.values())
        print(
            f"language sets after cancelling a {len(half):,}-entity job: all {len(every):,} entities in "
            f"{all_seconds:.2f} s, the {len(touched):,} it touched in {touched_seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
