"""Free text as people type it: no invisible control characters, no bidi overrides, one Unicode form.

A control character (a NUL, an escape, a form feed...) breaks exports and terminals; a bidi override
or isolate (U+202A-U+202E, U+2066-U+2069) makes text display in another order than it is stored, so a
name or a note could read differently on screen than in the record. Forms refuse them with a message
beside the field (core.forms.Form); whatever reaches the database another way (commands, sync,
imports) is cleaned before it is written (core.db), and spreadsheet cells are cleaned again for rows
stored before (core.safe_cells).
"""

import re
import unicodedata

# C0 controls except tab and line breaks, DEL, C1 controls, bidi embeddings/overrides/isolates,
# line/paragraph separators, and the non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def normalise(value: str, *, multiline: bool = True) -> str:
    """The same text in one form: NFC, line breaks as \\n (or spaces on a one-line field), tabs as spaces."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not multiline:
        value = value.replace("\n", " ")
    return unicodedata.normalize("NFC", _SURROGATES.sub("", value))


def has_forbidden(value: str) -> bool:
    return bool(_FORBIDDEN.search(value)) or bool(_SURROGATES.search(value))


def clean(value: str, *, multiline: bool = True) -> str:
    """Normalised, with every forbidden character removed (for text that did not come through a form)."""
    return normalise(_FORBIDDEN.sub("", value), multiline=multiline)
