"""Text as people type it, brought to one form before any rule runs (:mod:`onboarding.validation`).

Phone keyboards and word processors insert typographic punctuation (U+2019 RIGHT SINGLE QUOTATION MARK for ``'``,
U+2010 HYPHEN or U+2013 EN DASH for ``-``), some input methods send accents decomposed (``e`` + U+0301 COMBINING
ACUTE ACCENT where U+00E9 is one code point), and copy-paste brings non-breaking and doubled spaces. Every submitted
string is therefore normalized first:

- Unicode NFC (canonical composition, UAX #15): ``José`` typed decomposed and composed become the same string;
- surrounding whitespace trimmed;
- in free text (names, street lines, cities) also: typographic apostrophes and hyphens replaced by their ASCII
  forms, every space separator (Unicode category Zs, e.g. U+00A0) replaced by a space, runs of spaces collapsed.

What is *not* rewritten, on purpose: letters that look like punctuation (U+02BB, the okina of Hawaiian names and
places; U+02BC MODIFIER LETTER APOSTROPHE) are letters of their languages; compatibility forms (NFKC would turn the
vulgar fraction one half into three characters and full-width letters into ASCII) change what a person wrote; case
is kept.

:func:`is_words` is the shape shared by names and cities: words of letters (any script; combining marks after a
letter; the joiners some scripts need inside a word) separated by a space, an apostrophe, a hyphen or a period.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic apostrophes and the accents people type in their place (U+2019 is what iOS and Android "smart
# punctuation" insert for ').
_APOSTROPHES = "\u2018\u2019\u201b\u2032\u00b4\u0060"
# Hyphen, non-breaking hyphen, figure dash, en dash, minus sign, small and full-width hyphen-minus.
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
_TYPOGRAPHIC = str.maketrans({**dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_HYPHENS, "-")})
_SPACES = re.compile(r"[^\S\r\n\t\f\v\x1c-\x1f\x85\u2028\u2029]+")  # space separators (Zs) only, not controls
# Joiners that are part of a word in some scripts: ZWNJ (Persian, Indic), ZWJ (Indic), middle dots (Catalan l·l,
# katakana ・ between the parts of a foreign name).
WORD_JOINERS = frozenset("\u200c\u200d\u00b7\u30fb")
WORD_SEPARATORS = " '-."


def nfc_trimmed(value: str) -> str:
    """NFC, surrounding whitespace removed. Pure: the same input always gives the same output."""
    return unicodedata.normalize("NFC", value).strip()


def free_text(value: str) -> str:
    """:func:`nfc_trimmed` plus ASCII apostrophes and hyphens and single spaces (see the module docstring)."""
    text = unicodedata.normalize("NFC", value).translate(_TYPOGRAPHIC)
    return _SPACES.sub(" ", text).strip()


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def is_words(value: str) -> bool:
    """Words of letters separated by at most two of ``' -.`` in a row (``St. John``, ``O' Neil``), each word
    starting with a letter, and an optional final ``.`` (``Jr.``); combining marks only after a letter or mark,
    joiners only inside a word. The rule the ASCII-only pattern ``[^\\W\\d_]+(?:[ '.-]{1,2}[^\\W\\d_]+)*\\.?``
    stood for, extended to every script."""
    if not value or not _is_letter(value[0]) or value[-1] in WORD_JOINERS:
        return False
    run = 0  # separators in a row
    for char in value:
        if char in WORD_SEPARATORS:
            run += 1
            if run > 2:
                return False
        elif _is_letter(char):
            run = 0
        elif not (_is_mark(char) or char in WORD_JOINERS) or run:  # a mark or joiner cannot start a word
            return False
    return run == 0 or (run == 1 and value[-1] == ".")
