"""What counts as an untranslated string or a raw code on a page, from the catalogue itself.

A Portuguese page shows an untranslated string when a piece of its text is an English message
of the catalogue that has a different Portuguese translation, or holds two or more words that
occur only in the English messages (never in a Portuguese one) once the data typed into the
records (hotspot names, clinic names, notes...) is taken out. A text that was never marked for
translation is caught by the second rule as soon as it has two English words.
"""

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

CATALOGUE = Path(__file__).resolve().parents[2] / "clinic_app/translations/pt/LC_MESSAGES/messages.po"
WORD = re.compile(r"[^\W\d_]{3,}")
RAW_CODE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}


@cache
def catalogue() -> tuple[frozenset[str], frozenset[str]]:
    """(English messages translated differently, words found only in English messages)."""
    with CATALOGUE.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    english, portuguese, translated = set(), set(), set()
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            english |= _words(text)
        for text in strs:
            portuguese |= _words(text)
        for text, translation in zip(ids, strs, strict=False):
            if "%" not in text and translation and translation != text:
                translated.add(text.strip())
    return frozenset(translated), frozenset(english - portuguese)


def data_strings(session, metadata) -> list[str]:
    """Free text stored in the records (not coded values), longest first, to take out of page text."""
    values = set()
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if type(c.type) in (String, Text)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            values.update(v.strip() for v in row if isinstance(v, str) and len(v.strip()) > 2)
    return sorted(values, key=len, reverse=True)


def untranslated(texts: list[str], data: list[str]) -> list[str]:
    translated, english_only = catalogue()
    found = []
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if text in translated:
            found.append(text)
            continue
        rest = text
        for value in data:
            if value in rest:
                rest = rest.replace(value, " ")
        words = _words(rest) & english_only
        if len(words) >= 2:
            found.append(f"{text} ({', '.join(sorted(words))})")
    return sorted(set(found))


def raw_codes(texts: list[str]) -> list[str]:
    """Stored codes such as ``truck_stop`` shown as they are, instead of their label."""
    return sorted({code for text in texts for code in RAW_CODE.findall(text)})
