"""Tag news items with tickers and themes from an alias table (ADRPULSE_ALIASES, default
dbt_project/seeds/news_aliases.csv; published as reference.news_aliases).

Columns: `alias,tag,tag_type,confidence,case_sensitive,guard`.
- An alias matches as whole words only: "Nio" never inside "Antonio", "AI" never inside "OpenAI".
  Spaces inside an alias match any run of whitespace.
- `case_sensitive` (true/false) keeps "Apple", "Meta" and "NIO" apart from apple, meta and nio.
- `guard` lists phrases, separated by `|`, that veto a match:
  * a phrase that contains the alias vetoes the match it covers ("apple pie" for Apple,
    "meta-analysis" for Meta, "JD Vance" for JD): the match is part of a different phrase;
  * any other phrase vetoes a match when it appears within `GUARD_WINDOW_WORDS` words of it
    ("Vance" near JD, "orchard" or "cider" near Apple): the context is a different subject.
  Guard phrases are matched case-insensitively, as whole words.
- `confidence` (0..1] says how surely the alias names the tag: the company's own name scores
  higher than a product, a founder or a bare ticker symbol.

A name in the headline counts fully; a name only in the summary counts `SUMMARY_CONFIDENCE_FACTOR`
of it, because summaries (Google News' in particular) also list related stories.

Feed tickers: a per-ticker feed (Yahoo's headline feed for BABA) carries stories the publisher
filed under that ticker, often without naming the company ("China stocks rally on stimulus"), so
`tag_item` adds a feed's tickers to each of its items at `FEED_TICKER_CONFIDENCE` (0.3), with
`matched_alias` 'feed:<feed name>'. Every alias in the shipped table scores at least 0.5 (0.4 when
only in a summary), so `confidence >= 0.4` means "named in the text" and readers that want only
that can filter on it. A name in the text always wins over the feed's ticker (one tag per item and
tag, best confidence kept).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ALIAS_COLUMNS = ("alias", "tag", "tag_type", "confidence", "case_sensitive", "guard")
TAG_TYPES = ("ticker", "theme")
GUARD_WINDOW_WORDS = 3
SUMMARY_CONFIDENCE_FACTOR = 0.8
FEED_TICKER_CONFIDENCE = 0.3

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})
_TICKER_TAG = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$")
_THEME_TAG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_WORD = re.compile(r"\S+")


def _phrase_pattern(phrase: str, *, case_sensitive: bool) -> re.Pattern[str]:
    """Whole-word pattern for a phrase; inner spaces match any whitespace run."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class Alias:
    alias: str
    tag: str
    tag_type: str  # ticker | theme
    confidence: float
    case_sensitive: bool
    guard: tuple[str, ...] = ()
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    # Guards that contain the alias veto the match they cover; the others veto nearby matches.
    covering_guards: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    nearby_guards: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern",
                           _phrase_pattern(self.alias, case_sensitive=self.case_sensitive))
        folded_alias = " ".join(self.alias.split()).casefold()
        covering, nearby = [], []
        for phrase in self.guard:
            compiled = _phrase_pattern(phrase, case_sensitive=False)
            if folded_alias in " ".join(phrase.split()).casefold():
                covering.append(compiled)
            else:
                nearby.append(compiled)
        object.__setattr__(self, "covering_guards", tuple(covering))
        object.__setattr__(self, "nearby_guards", tuple(nearby))


@dataclass(frozen=True)
class Tag:
    tag: str
    tag_type: str
    matched_alias: str
    confidence: float


def _parse_bool(value: str, where: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{where}: {column} must be true or false, got {value!r}")


def load_aliases(path: Path, *, known_tickers: Collection[str] | None = None) -> list[Alias]:
    """Read and validate the alias table; errors name the file and line.

    With `known_tickers` (e.g. the universe), a ticker tag outside it is an error.
    """
    if not path.exists():
        raise FileNotFoundError(f"alias table {path} does not exist (set ADRPULSE_ALIASES)")
    known = {t.upper() for t in known_tickers} if known_tickers is not None else None
    aliases: list[Alias] = []
    seen: dict[tuple[str, str], int] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if header != ALIAS_COLUMNS:
            raise ValueError(f"{path}:1: header must be {','.join(ALIAS_COLUMNS)}, "
                             f"got {','.join(header)}")
        for row in reader:
            line_no = reader.line_num
            where = f"{path}:{line_no}"
            values = {k: (v or "").strip() for k, v in row.items() if k is not None}
            if not any(values.values()):
                continue
            alias, tag, tag_type = values["alias"], values["tag"], values["tag_type"].lower()
            if not alias:
                raise ValueError(f"{where}: empty alias")
            if tag_type not in TAG_TYPES:
                raise ValueError(f"{where}: tag_type must be ticker or theme, got {tag_type!r}")
            if tag_type == "ticker":
                tag = tag.upper()
                if not _TICKER_TAG.match(tag):
                    raise ValueError(f"{where}: {tag!r} does not look like a ticker")
                if known is not None and tag not in known:
                    raise ValueError(f"{where}: ticker {tag} is not in the universe; add it to "
                                     "universe.csv or drop the alias")
            elif not _THEME_TAG.match(tag):
                raise ValueError(f"{where}: theme {tag!r} must be lowercase letters, digits "
                                 "and '_'")
            try:
                confidence = float(values["confidence"])
            except ValueError:
                raise ValueError(f"{where}: confidence {values['confidence']!r} is not a "
                                 "number") from None
            if not 0 < confidence <= 1:
                raise ValueError(f"{where}: confidence must be in (0, 1], got {confidence}")
            case_sensitive = _parse_bool(values["case_sensitive"], where, "case_sensitive")
            spaced = " ".join(alias.split())
            key = (spaced if case_sensitive else spaced.casefold(), tag)
            if key in seen:
                raise ValueError(f"{where}: alias {alias!r} -> {tag} repeats line {seen[key]}")
            seen[key] = line_no
            guard = tuple(p.strip() for p in values["guard"].split("|") if p.strip())
            aliases.append(Alias(
                alias=alias,
                tag=tag,
                tag_type=tag_type,
                confidence=confidence,
                case_sensitive=case_sensitive,
                guard=guard,
            ))
    return aliases


def _nearby_window(text: str, start: int, end: int) -> str:
    """The text from GUARD_WINDOW_WORDS words before a match to as many words after it."""
    before = [m.start() for m in _WORD.finditer(text, 0, start)]
    window_start = before[-GUARD_WINDOW_WORDS] if len(before) >= GUARD_WINDOW_WORDS else 0
    window_end = len(text)
    for count, word in enumerate(_WORD.finditer(text, end), start=1):
        if count == GUARD_WINDOW_WORDS:
            window_end = word.end()
            break
    return text[window_start:window_end]


def _is_vetoed(alias: Alias, text: str, start: int, end: int) -> bool:
    for guard in alias.covering_guards:
        for found in guard.finditer(text):
            if found.start() <= start and end <= found.end():
                return True
    if alias.nearby_guards:
        window = _nearby_window(text, start, end)
        if any(guard.search(window) for guard in alias.nearby_guards):
            return True
    return False


def _matches(alias: Alias, text: str) -> bool:
    return any(not _is_vetoed(alias, text, m.start(), m.end())
               for m in alias.pattern.finditer(text))


def _better(new: Tag, old: Tag | None) -> bool:
    if old is None:
        return True
    return (new.confidence, len(new.matched_alias)) > (old.confidence, len(old.matched_alias))


def _merge(tags: Iterable[Tag]) -> list[Tag]:
    best: dict[str, Tag] = {}
    for tag in tags:
        if _better(tag, best.get(tag.tag)):
            best[tag.tag] = tag
    return sorted(best.values(), key=lambda t: (-t.confidence, t.tag))


def _text_tags(title: str, summary: str, aliases: Iterable[Alias]) -> Iterable[Tag]:
    for alias in aliases:
        if title and _matches(alias, title):
            yield Tag(alias.tag, alias.tag_type, alias.alias, alias.confidence)
        elif summary and _matches(alias, summary):
            yield Tag(alias.tag, alias.tag_type, alias.alias,
                      round(alias.confidence * SUMMARY_CONFIDENCE_FACTOR, 4))


def tag_text(title: str | None, summary: str | None, aliases: Iterable[Alias]) -> list[Tag]:
    """Tags named in a headline and its summary: one per tag, best alias kept."""
    return _merge(_text_tags(title or "", summary or "", aliases))


def tag_item(
    title: str | None,
    summary: str | None,
    aliases: Iterable[Alias],
    *,
    feed_name: str | None = None,
    feed_tickers: Iterable[str] = (),
) -> list[Tag]:
    """`tag_text` plus the delivering feed's tickers at FEED_TICKER_CONFIDENCE."""
    source = f"feed:{feed_name}" if feed_name else "feed"
    feed_tags = (Tag(t.upper(), "ticker", source, FEED_TICKER_CONFIDENCE) for t in feed_tickers)
    return _merge([*_text_tags(title or "", summary or "", aliases), *feed_tags])
