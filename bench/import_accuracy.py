"""Importer accuracy against the shared corpus (../shared/corpus relative to the repo).

    python bench/import_accuracy.py [--verbose]

HTML pages (corpus/html/*/source.html vs expected.json), per field, counted only over the
cases whose truth is not null:

- title: exact match after collapsing whitespace runs to one space and Unicode NFC.
  Nothing else is forgiven: breitbart's truth keeps the " - Breitbart" suffix that
  Readability.js leaves in, so that case counts as a miss.
- author: names compared as a set, case-insensitively, after dropping a leading "By ",
  full stops, and splitting multi-author strings at "," ";" "/" " and ". Truth strings
  that are not author names (a date line, a site name standing in for the byline, a
  byline glued to its date) stay in the denominator and count as misses.
- date: the calendar day (YYYY-MM-DD) as written in the truth — timestamps are compared
  in the publisher's own offset, not converted to UTC, because the day the page shows is
  the day the truth records (trafilatura's annotations are day-precision).

Scraped text (corpus/text/**/*.txt vs the .json beside each): title exact match under the
same normalisation. Many of those files do not contain their headline at all (the JSON
title came from the page, not the text), so 100 % is not reachable; the script also says
how many truths occur in the text as a line, which is the honest ceiling.

Always exits 0: it reports, it does not judge.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from digest.importers.html import parse_html
from digest.importers.text import parse_text

# DIGEST_CORPUS points at another copy (the tests run this on a corpus of their own fixtures).
CORPUS = Path(os.environ.get("DIGEST_CORPUS") or REPO / ".." / "shared" / "corpus")


def norm_title(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def norm_authors(text: str | None) -> frozenset[str]:
    text = re.sub(r"^\s*by\s+", "", text or "", flags=re.IGNORECASE)
    parts = re.split(r"\s*(?:,|;|/|\band\b)\s*", text)
    return frozenset(" ".join(p.replace(".", " ").split()).casefold() for p in parts if p.strip())


def day(value: object) -> str:
    return str(value)[:10] if value else ""


def html_rows(verbose: bool) -> list[tuple[str, int, int]]:
    hits = {"title": [0, 0], "author": [0, 0], "date": [0, 0]}
    for case in sorted(p for p in (CORPUS / "html").iterdir() if (p / "expected.json").is_file()):
        truth = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        try:
            art = parse_html((case / "source.html").read_bytes(), str(case))
            got = {"title": art.title, "author": art.author, "date": art.date}
        except Exception as exc:  # noqa: BLE001 - a failure is a miss on every field, not a crash
            got = {"title": "", "author": "", "date": None}
            print(f"{case.name}: import failed: {exc}")
        same = {
            "title": norm_title(got["title"]) == norm_title(truth["title"]),
            "author": norm_authors(got["author"]) == norm_authors(truth["author"]),
            "date": day(got["date"]) == day(truth["date"]),
        }
        for field, ok in same.items():
            if truth.get(field) is None:
                continue
            hits[field][0] += ok
            hits[field][1] += 1
            if verbose and not ok:
                print(f"  miss {field:6} {case.name}: got {got[field]!r}, truth {truth[field]!r}")
    return [(field, ok, total) for field, (ok, total) in hits.items()]


def text_rows(verbose: bool) -> tuple[int, int, int]:
    ok = total = present = 0
    for path in sorted((CORPUS / "text").rglob("*.txt")):
        meta_path = path.with_suffix(".json")
        if not meta_path.is_file():
            continue
        truth = json.loads(meta_path.read_text(encoding="utf-8")).get("title")
        if not truth:
            continue
        raw = path.read_text(encoding="utf-8")
        art = parse_text(raw, str(path))
        total += 1
        hit = norm_title(art.title) == norm_title(truth)
        ok += hit
        present += any(norm_title(line) == norm_title(truth) for line in raw.splitlines())
        if verbose and not hit:
            print(f"  miss title  {path.name}: got {art.title!r}, truth {truth!r}")
    return ok, total, present


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv or "-v" in argv
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS.resolve()}; nothing to measure")
        return 0
    start = time.perf_counter()
    print("HTML pages (corpus/html)")
    print(f"  {'field':8}{'match':>7}{'cases':>7}{'accuracy':>10}")
    for field, ok, total in html_rows(verbose):
        print(f"  {field:8}{ok:>7}{total:>7}{(ok / total if total else 0):>10.1%}")
    ok, total, present = text_rows(verbose)
    print("Scraped text (corpus/text)")
    print(f"  {'title':8}{ok:>7}{total:>7}{(ok / total if total else 0):>10.1%}")
    print(f"  (the truth title occurs as a line of the text in {present} of {total} files)")
    print(f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
