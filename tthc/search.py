"""Catalogue search that ignores diacritics and case ("dang ky khai sinh" finds
"Đăng ký khai sinh").

Each procedure stores `search_text`: its code and name folded by `fold()` (lower case, no
diacritics, đ → d). A query is folded the same way and every word must occur in the folded
text. On PostgreSQL a pg_trgm GIN index on `search_text` serves these `LIKE '%word%'` tests
(migration 0002); SQLite (the embedded demo) runs the same query without the index. Folding in
Python rather than with the `unaccent` extension keeps one behaviour on both databases and an
index that needs no IMMUTABLE wrapper around `unaccent()`.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_MAX_WORDS = 8


def fold(text: str) -> str:
    """Lower-case text without Vietnamese diacritics, single-spaced."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def query_words(query: str) -> list[str]:
    """The folded words of a query (at most a few, to bound the SQL)."""
    return [w for w in fold(query).split(" ") if w][:_MAX_WORDS]
