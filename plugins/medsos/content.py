"""Content categories of posts, read the way an evaluator reads Indonesian.

A post is placed in ``informasi_pemilu``, ``edukasi``, ``kegiatan`` or ``lainnya`` by the
keywords of ``[content_categories]`` in ``evaluation.toml`` (the rules are written there).
What this module adds to a plain word match, and why:

* words are reduced to their root with the Sastrawi stemmer, so ``dihadiri``,
  ``menghadiri`` and ``hadir`` are one word to the lexicon, as they are to a reader;
* ``#CekDPT`` is read as ``cek dpt`` and ``#JanganGolput`` as ``jangan golput``;
* letters outside ASCII are kept (NFKC, casefold), so accented or non-Latin words are
  not silently erased into their neighbours;
* names of election bodies (``Panitia Pemungutan Suara``, ``PPK``, ``Bawaslu`` ...) are
  recognised as names and count for nothing, so a meeting of the PPS is not "election
  information" because of the words ``pemungutan suara`` in its name;
* the longest keyword wins and consumes its words: ``rapat pleno`` is not also ``rapat``;
* each keyword counts once, and counts more in the title / opening sentence, where a
  post says what it is, than in the background sentences after it (hashtags, which
  offices append to every post, count less).

Every verdict carries the words that decided it (``content_category_reason``), so an
evaluator can see and contest it.

``python -m medsos.content --evaluate`` prints accuracy and per-category precision and
recall on the hand-labelled evaluation set in ``tests/fixtures/content/``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from pathlib import Path

CATEGORIES = ("informasi_pemilu", "edukasi", "kegiatan", "lainnya")
FALLBACK = "lainnya"

_WORD = re.compile(r"[^\W_]+")
_HASHTAG = re.compile(r"#([^\W_][\w]*)")
# CamelCase parts: "CekDPT" -> Cek, DPT; "KPUMelayani" -> KPU, Melayani; "Pemilu2024" -> Pemilu, 2024
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_A-Za-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ASCII_WORD = re.compile(r"^[a-z]+$")

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- words


@lru_cache(maxsize=1)
def _stemmer():
    # Sastrawi builds its dictionary on creation (about a second); once per process
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    """The root of one casefolded word. Sastrawi knows Latin-script Indonesian only;
    other words (numbers, accented or non-Latin script) are kept as written."""
    if len(word) < 4 or not _ASCII_WORD.match(word):
        return word
    return _stemmer().stem(word) or word


def split_hashtag(tag: str) -> list[str]:
    """``CekDPT`` -> ``['cek', 'dpt']``; an all-lowercase tag stays one word."""
    return [p.casefold() for p in _CAMEL.findall(tag)] or [tag.casefold()]


# A word as the classifier reads it: (surface: the word as written, casefolded; root: its
# stem; zone: "judul" (title / opening sentence), "isi" (the rest) or "tagar" (hashtag)).
# Plain tuples made by zip: a year's captions make millions of them, and a NamedTuple
# made one by one cost a fifth of classifying.
Token = tuple[str, str, str]
SURFACE, ROOT, ZONE = 0, 1, 2


def _zone_words(text: str, zone: str) -> list[Token]:
    # one pass of one pattern over the text, words and hashtags as they come: a
    # hashtag's words are a zone of their own, between boundaries (a hashtag never joins
    # the words around it)
    out: list[Token] = []
    for tag, word in _WORD_OR_HASHTAG.findall(text):
        if word:
            # each word casefolded once (not the whole text: a casefold can change which
            # characters are letters, "İ" becomes "i" and a combining dot)
            word = word.casefold()
            out.append((word, stem(word), zone))
        else:
            parts = split_hashtag(tag)
            out.append(_BOUNDARY)
            out += zip(parts, map(stem, parts), repeat("tagar"), strict=False)
            out.append(_BOUNDARY)
    return out


_BOUNDARY: Token = ("#", "#", "tagar")
# a hashtag (its text in group 1: ``_HASHTAG``) or a word (group 2: ``_WORD``)
_WORD_OR_HASHTAG = re.compile(rf"{_HASHTAG.pattern}|({_WORD.pattern})")


def split_title(text: str) -> tuple[str, str]:
    """(title, rest): the first line when the post has a short first line (a headline),
    else its first sentence."""
    text = text.strip()
    first, _, rest = text.partition("\n")
    if rest and len(first.strip()) <= 250:
        return first.strip(), rest
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


def tokens(text: str) -> list[Token]:
    text = unicodedata.normalize("NFKC", text or "")
    title, rest = split_title(text)
    return _zone_words(title, "judul") + [("|", "|", "isi")] + _zone_words(rest, "isi")


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Entry:
    category: str | None  # None: the name of an election body, which counts for nothing
    keyword: str
    roots: tuple[str, ...]  # the words' roots, or the words as written for an exact keyword
    exact: bool = False  # written "=word": matches that form only (its root means too much)
    weight: float = 1.0  # written "word*2": counts twice as much as a plain keyword


@dataclass(frozen=True)
class Lexicon:
    """The ``[content_categories]`` of evaluation.toml, roots computed."""

    priority: tuple[str, ...]
    keywords: dict[str, tuple[str, ...]]
    body_names: tuple[str, ...] = ()
    title_weight: float = 3.0
    hashtag_weight: float = 0.5
    lead_weight: float = 5.0
    entries: dict[str, tuple[Entry, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        priority,
        keywords,
        body_names=(),
        title_weight=3.0,
        hashtag_weight=0.5,
        lead_weight=5.0,
    ) -> Lexicon:
        by_first: dict[str, list[Entry]] = {}
        seen: dict[tuple[bool, tuple[str, ...]], str] = {}
        items = [(None, n) for n in body_names] + [
            (c, k) for c, kws in keywords.items() for k in kws
        ]
        for category, written in items:
            keyword, weight = parse_keyword(written)
            exact = keyword.startswith("=")
            keyword = keyword.lstrip("=")
            words = [
                t
                for t in _zone_words(unicodedata.normalize("NFKC", keyword), "isi")
                if t[ROOT] != "#"
            ]
            roots = tuple(t[SURFACE] if exact else t[ROOT] for t in words)
            if not roots:
                raise ValueError(f"keyword {keyword!r} has no words")
            where = category or "body_names"
            if (exact, roots) in seen and seen[(exact, roots)] != where:
                raise ValueError(
                    f"keyword {keyword!r} ({where}) reads the same as one listed under "
                    f"{seen[(exact, roots)]}: a word may decide only one category"
                )
            seen[(exact, roots)] = where
            key = ("=" if exact else "") + roots[0]
            by_first.setdefault(key, []).append(Entry(category, keyword, roots, exact, weight))
        entries = {k: tuple(sorted(v, key=lambda e: -len(e.roots))) for k, v in by_first.items()}
        return cls(
            tuple(priority),
            {k: tuple(v) for k, v in keywords.items()},
            tuple(body_names),
            float(title_weight),
            float(hashtag_weight),
            float(lead_weight),
            entries,
        )

    @classmethod
    def from_evaluation(cls, evaluation) -> Lexicon:
        return cls.build(
            evaluation.category_priority,
            evaluation.lexicon,
            evaluation.body_names,
            evaluation.title_weight,
            evaluation.hashtag_weight,
            evaluation.lead_weight,
        )

    def fingerprint(self) -> str:
        h = hashlib.sha256(
            repr(
                (
                    self.priority,
                    sorted(self.keywords.items()),
                    self.body_names,
                    self.title_weight,
                    self.hashtag_weight,
                    self.lead_weight,
                )
            ).encode()
        )
        return h.hexdigest()


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    category: str
    reason: str
    scores: dict[str, float]


_ZONE_LABEL = {"awal": " (awal judul)", "judul": " (judul)", "tagar": " (tagar)", "isi": ""}


def parse_keyword(written: str) -> tuple[str, float]:
    """``"cara*2"`` -> (``"cara"``, 2.0); a keyword without ``*N`` weighs 1."""
    word, star, weight = written.rpartition("*")
    if not star:
        return written.strip(), 1.0
    try:
        value = float(weight)
    except ValueError:
        raise ValueError(f"keyword {written!r}: what follows '*' must be a number") from None
    if value <= 0:
        raise ValueError(f"keyword {written!r}: its weight must be positive")
    return word.strip(), value


class Classifier:
    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._weights = {
            "awal": lexicon.lead_weight,
            "judul": lexicon.title_weight,
            "isi": 1.0,
            "tagar": lexicon.hashtag_weight,
        }
        # the lexicon's entries by their first word's root, and those written "=word" by
        # the word itself (``Lexicon.entries`` keys these "=word")
        self._by_root = {k: v for k, v in lexicon.entries.items() if not k.startswith("=")}
        self._by_surface = {k[1:]: v for k, v in lexicon.entries.items() if k.startswith("=")}

    def matches(self, toks: list[Token]) -> list[tuple[Entry, list[Token]]]:
        """Keywords found, longest first at each position; a match consumes its words."""
        found = []
        i, n = 0, len(toks)
        by_root, by_surface = self._by_root, self._by_surface
        while i < n:
            tok = toks[i]
            rooted = by_root.get(tok[ROOT])
            written = by_surface.get(tok[SURFACE])
            if rooted is None and written is None:  # most words: no keyword starts here
                i += 1
                continue
            candidates = (
                sorted((*written, *(rooted or ())), key=lambda e: -len(e.roots))
                if written
                else rooted or ()
            )
            for entry in candidates:
                k = len(entry.roots)
                if k == 1:
                    found.append((entry, toks[i : i + 1]))
                    i += 1
                    break
                window = toks[i : i + k]
                part = SURFACE if entry.exact else ROOT
                if tuple(t[part] for t in window) == entry.roots:
                    found.append((entry, window))
                    i += k
                    break
            else:
                i += 1
        return found

    def classify(self, text: str | None) -> Verdict:
        best: dict[
            tuple[str, str], tuple[float, str, int]
        ] = {}  # (category, keyword) -> (weight, shown, order)
        lead = True
        for order, (entry, words) in enumerate(self.matches(tokens(text or ""))):
            if entry.category is None:
                continue
            zone = words[0][ZONE]
            if zone == "judul" and lead:
                zone = "awal"  # the title's first keyword says what the post is: "Bimtek ...", "Mengenal ..."
            lead = False
            weight = self._weights[zone] * entry.weight
            shown = " ".join(w[SURFACE] for w in words) + _ZONE_LABEL[zone]
            key = (entry.category, entry.keyword)
            if key not in best or weight > best[key][0]:
                best[key] = (weight, shown, best.get(key, (0, "", order))[2])
        scores: dict[str, float] = {}
        for (category, _), (weight, _, _) in best.items():
            scores[category] = scores.get(category, 0.0) + weight
        if not scores:
            return Verdict(FALLBACK, f"{FALLBACK}: tidak ada kata kunci kategori", {})
        rank = {c: i for i, c in enumerate(self.lexicon.priority)}
        top = max(scores.values())
        tied = [c for c, s in scores.items() if s == top]
        category = min(tied, key=lambda c: rank.get(c, len(rank)))
        deciding = sorted((v for (c, _), v in best.items() if c == category), key=lambda v: v[2])
        reason = f"{category}: " + ", ".join(shown for _, shown, _ in deciding[:6])
        if len(tied) > 1:
            others = ", ".join(c for c in tied if c != category)
            reason += f" (seri dengan {others}; urutan prioritas)"
        return Verdict(category, reason, scores)


def classify_texts(texts: Iterable[str | None], lexicon: Lexicon) -> list[Verdict]:
    clf = Classifier(lexicon)
    return [clf.classify(t) for t in texts]


# --------------------------------------------------------------------------- warehouse


def _verdicts(clf: Classifier, captions: list[tuple[int, str]]):
    """(caption numbers, categories, reasons) of a chunk of numbered captions."""
    verdicts = [clf.classify(caption) for _, caption in captions]
    return [no for no, _ in captions], [v.category for v in verdicts], [v.reason for v in verdicts]


_apart: Classifier | None = None  # the second process's classifier


def _start_apart(lexicon: Lexicon) -> None:
    global _apart
    _apart = Classifier(lexicon)


def _classify_apart(captions: list[tuple[int, str]]):
    assert _apart is not None, "started without its lexicon"
    return _verdicts(_apart, captions)


@contextmanager
def _second_classifier(lexicon: Lexicon, wanted: bool):
    """A second process classifying, when there are several chunks and more than one
    process may work (``MEDSOS_PARSE_WORKERS``): classifying is Python, one core each."""
    from medsos.processes import processes, spawn_pool

    if not wanted or processes() < 2:
        yield None
        return
    with spawn_pool(1, _start_apart, (lexicon,)) as pool:
        yield pool


# how many distinct captions are read into Python at once: a year of national posts
# (1.68 M) read whole held about 1.5 GB of pandas beside DuckDB's own ceiling
CLASSIFY_CHUNK = 50_000


def classify_posts_to_build(
    con, evaluation, incremental: bool, chunk_size: int = CLASSIFY_CHUNK
) -> int:
    """Fill ``core.post_categories`` for the posts in ``meta.posts_to_build`` from the
    caption of their latest snapshot (``core.post_snapshots``, rank 1), the same unit the
    SQL models use: an incremental build replaces exactly these posts' rows, a full build
    (``incremental`` false, when ``meta.posts_to_build`` holds every post) writes the
    table afresh from every post, so both give the same table.

    Distinct captions are classified once each, ``chunk_size`` of them at a time: the
    captions stay in DuckDB (a numbered temporary table, which it may spill to disk),
    Python holds one chunk and its verdicts, and DuckDB joins the verdicts back to the
    posts. However small the chunk, the table is the same (tests/test_content_chunks.py)."""
    import pandas as pd

    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    clf = Classifier(Lexicon.from_evaluation(evaluation))
    # a full build computes every post: the join on the posts to build would keep them all.
    # The posts' rows are picked by row id from a scan of the keys alone, so only the row
    # groups holding them are read with their captions (as in sql/intermediate/posts.sql).
    scope = (
        """and rowid in (select rowid from core.post_snapshots
                          semi join meta.posts_to_build using (platform, office_code, post_id)
                          where snapshot_rank = 1)"""
        if incremental
        else ""
    )
    posts = f"""select platform, office_code, post_id, coalesce(caption, '') as caption
                from core.post_snapshots
                where snapshot_rank = 1 {scope}"""
    # The verdicts of earlier builds, by caption: a post is seen again in each export
    # that covers it, and a caption is classified once. Only a full build (every change
    # of the lexicon, the stemmer or this module makes one) starts them afresh.
    if incremental:
        con.execute(
            """create table if not exists meta.caption_verdicts (
                   caption_hash uhugeint, content_category varchar, content_category_reason varchar)"""
        )
    else:
        con.execute(
            """create or replace table meta.caption_verdicts (
                   caption_hash uhugeint, content_category varchar, content_category_reason varchar)"""
        )
    con.execute(
        f"""create or replace temp table _captions as
            select row_number() over () as caption_no, caption, md5_number(caption) as caption_hash
            from (select distinct caption from ({posts}))"""
    )
    con.execute(
        """create or replace temp table _caption_verdicts as
           select c.caption_no, v.content_category, v.content_category_reason
           from _captions as c join meta.caption_verdicts as v using (caption_hash)"""
    )
    con.execute(
        """create or replace temp table _captions_new as
           select row_number() over (order by caption_no) as new_no, c.*
           from _captions as c anti join _caption_verdicts using (caption_no)"""
    )
    (count,) = con.sql("select count(*) from _captions_new").fetchall()[0]

    def keep(verdicts: tuple[list[int], list[str], list[str]]) -> None:
        numbers, categories, reasons = verdicts
        chunk = pd.DataFrame(
            {
                "caption_no": pd.Series(numbers, dtype="int64"),
                "content_category": pd.Series(categories, dtype="string"),
                "content_category_reason": pd.Series(reasons, dtype="string"),
            }
        )
        con.register("_caption_chunk", chunk)
        try:
            con.execute("insert into _caption_verdicts by name select * from _caption_chunk")
        finally:
            con.unregister("_caption_chunk")

    chunks = 0
    # Several chunks (a full build of a year): every other one is classified by a second
    # process, at most one chunk away at a time, so the memory per process stays a chunk.
    with _second_classifier(clf.lexicon, count > chunk_size) as pool:
        away = None
        for first in range(1, count + 1, chunk_size):
            captions = con.execute(
                "select caption_no, caption from _captions_new where new_no between ? and ?",
                [first, first + chunk_size - 1],
            ).fetchall()
            chunks += 1
            if pool is not None and away is None:
                away = pool.submit(_classify_apart, captions)
                continue
            keep(_verdicts(clf, captions))
            del captions
            if away is not None:
                keep(away.result())
                away = None
        if away is not None:
            keep(away.result())
    con.execute(
        """insert into meta.caption_verdicts
           select c.caption_hash, v.content_category, v.content_category_reason
           from _captions_new as c join _caption_verdicts as v using (caption_no)"""
    )
    rows = f"""select p.platform::varchar as platform, p.office_code::varchar as office_code,
                      p.post_id::varchar as post_id, v.content_category,
                      v.content_category_reason
               from ({posts}) as p
               join _captions as c using (caption)
               join _caption_verdicts as v using (caption_no)"""
    if incremental:
        con.execute(
            """delete from core.post_categories as t using meta.posts_to_build as s
               where t.platform = s.platform and t.office_code = s.office_code and t.post_id = s.post_id"""
        )
        (n,) = con.execute(f"insert into core.post_categories by name {rows}").fetchall()[0]
    else:
        con.execute(f"create or replace table core.post_categories as {rows}")
        (n,) = con.sql("select count(*) from core.post_categories").fetchall()[0]
    # not in a ``finally``: after a failure the transaction is aborted and is rolled back
    # whole, temporary tables with it
    (known,) = con.sql("select count(*) from _captions").fetchall()[0]
    con.execute("drop table _captions")
    con.execute("drop table _captions_new")
    con.execute("drop table _caption_verdicts")
    log.info(
        "content categories: %s distinct captions, %s classified now in %s chunks",
        known,
        count,
        chunks,
    )
    return n


# --------------------------------------------------------------------------- evaluation set


def evaluation_set_path() -> Path:
    from medsos.config import project_dir

    return project_dir() / "tests" / "fixtures" / "content" / "evaluation_set.csv"


def load_evaluation_set(path: Path | None = None) -> list[dict[str, str]]:
    path = path or evaluation_set_path()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for n, row in enumerate(rows, start=2):
        for col in ("label", "second_label"):
            if row[col] and row[col] not in CATEGORIES:
                raise ValueError(
                    f"{path}, row {n}, column {col}: {row[col]!r} is not one of {CATEGORIES}"
                )
    return rows


def post_text(row: dict[str, str]) -> str:
    """The evaluation set stores the title and the opening apart; a caption has them as
    its first line and what follows."""
    return f"{row['title']}\n{row['opening']}".strip()


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    accuracy_second: float  # a prediction equal to the second acceptable label counts too
    precision: dict[str, float | None]
    recall: dict[str, float | None]
    support: dict[str, int]


def score(rows: list[dict[str, str]], predicted: list[str]) -> Scores:
    n = len(rows)
    right = sum(p == r["label"] for p, r in zip(predicted, rows, strict=True))
    right2 = sum(p in (r["label"], r["second_label"]) for p, r in zip(predicted, rows, strict=True))
    precision, recall, support = {}, {}, {}
    for c in CATEGORIES:
        tp = sum(p == c and r["label"] == c for p, r in zip(predicted, rows, strict=True))
        fp = sum(p == c and r["label"] != c for p, r in zip(predicted, rows, strict=True))
        fn = sum(p != c and r["label"] == c for p, r in zip(predicted, rows, strict=True))
        precision[c] = tp / (tp + fp) if tp + fp else None
        recall[c] = tp / (tp + fn) if tp + fn else None
        support[c] = tp + fn
    return Scores(n, right / n if n else 0.0, right2 / n if n else 0.0, precision, recall, support)


def table(name: str, s: Scores) -> str:
    def pct(x):
        return "   -  " if x is None else f"{100 * x:5.1f}%"

    lines = [
        f"{name}: {s.n} posts, accuracy {pct(s.accuracy)} (second label accepted: {pct(s.accuracy_second)})",
        f"  {'category':<17} {'precision':>9} {'recall':>8} {'posts':>6}",
    ]
    for c in CATEGORIES:
        lines.append(f"  {c:<17} {pct(s.precision[c]):>9} {pct(s.recall[c]):>8} {s.support[c]:>6}")
    return "\n".join(lines)


def evaluate(
    evaluation, parts=("tuning", "held_out"), show_errors: str | None = None
) -> dict[str, Scores]:
    lexicon = Lexicon.from_evaluation(evaluation)
    rows = load_evaluation_set()
    out = {}
    for part in parts:
        chosen = [r for r in rows if part == "all" or r["part"] == part]
        verdicts = classify_texts((post_text(r) for r in chosen), lexicon)
        out[part] = score(chosen, [v.category for v in verdicts])
        if show_errors == part:
            for r, v in zip(chosen, verdicts, strict=True):
                if v.category != r["label"]:
                    print(
                        f"  {r['id']}: {r['label']} -> {v.reason}  | {r['title'][:90]}",
                        file=sys.stderr,
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    from medsos.config import Evaluation, Settings

    parser = argparse.ArgumentParser(
        prog="python -m medsos.content", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help="accuracy and precision/recall per category on the evaluation set",
    )
    parser.add_argument(
        "--part",
        choices=("tuning", "held_out", "all"),
        action="append",
        help="which part of the set (repeatable; default: tuning and held_out)",
    )
    parser.add_argument(
        "--errors", choices=("tuning",), help="list the tuning part's misclassified posts"
    )
    parser.add_argument(
        "--evaluation", type=Path, help="evaluation.toml to read (default: MEDSOS_EVALUATION)"
    )
    parser.add_argument(
        "--speed", type=int, metavar="N", help="classify N captions and print posts/second"
    )
    parser.add_argument(
        "text", nargs="*", help="classify these texts and print category and reason"
    )
    args = parser.parse_args(argv)
    evaluation = Evaluation.load(args.evaluation or Settings.from_env().evaluation)
    if args.evaluate:
        for part, s in evaluate(
            evaluation, tuple(args.part or ("tuning", "held_out")), args.errors
        ).items():
            print(table(part, s))
    if args.speed:
        rows = load_evaluation_set()
        # distinct texts, as in a real year where every caption differs
        texts = [f"{post_text(rows[i % len(rows)])} #{i}" for i in range(args.speed)]
        lexicon = Lexicon.from_evaluation(evaluation)
        started = time.perf_counter()
        classify_texts(texts, lexicon)
        took = time.perf_counter() - started
        print(f"{args.speed} posts in {took:.1f} s: {args.speed / took:,.0f} posts/second")
    for text in args.text:
        v = Classifier(Lexicon.from_evaluation(evaluation)).classify(text)
        print(f"{v.category}\t{v.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
