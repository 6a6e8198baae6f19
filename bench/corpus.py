"""Deterministic synthetic news-digest corpus, written for digest, Pelican and Hugo.

Everything comes from one `random.Random(seed)` and built-in word lists, so the same
(N, seed) always yields byte-identical files on any machine and Python 3.x, and the
three peer corpora hold the very same articles (title, date, tags, body text).

Generation is plain string formatting (no YAML dumper): it is the fastest way to write
20,000 files and it keeps the output independent of the installed PyYAML version.
Strings go into the front-matter as JSON strings, which are valid YAML double-quoted
scalars (the text is ASCII so there is nothing YAML would read differently).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random

# Bump when the output format changes on purpose: run.py regenerates stale corpora.
FORMAT_VERSION = 1

def _wordlist(text: str) -> list[str]:
    # Word lists are kept as flowing text: far easier to read and edit than list literals.
    return text.split()


# ~700 everyday and news words. Their order is their assumed frequency rank, so the
# Zipf word weights below give "the"-like words the largest share, as real text does.
_WORDS = _wordlist("""
the of and to in a is that for it as was with be by on not he this are or his from at
which but have an they you were her she there one all we their has been would more will
no if out so said what up its about into than them can only other new some could time
these two may then first any like now my such make over our even most after also did
many before must through years where much way well down should because each just those
people how too little state good very world still own see men work long get here between
both life being under never day same another know while last might us great old year off
come since against go came right used take three government public policy minister
report officials city country region market economy company workers court election vote
party leader council agency crisis budget plan law data health school research study
climate energy water power price prices costs growth trade bank rates inflation jobs
industry security police military forces border war peace talks deal agreement summit
president congress parliament senate committee hearing investigation inquiry evidence
statement spokesperson analyst analysts experts scientists doctors teachers residents
families children students voters officials critics supporters protesters union unions
record level levels rise fall increase decline change changes reform reforms proposal
proposals decision decisions rule rules ruling case cases charge charges trial appeal
support opposition campaign candidate candidates poll polls result results figures
number numbers percent million billion thousand week weeks month months quarter season
morning evening night today yesterday tomorrow early late recent latest previous next
final major minor national local regional global international federal central northern
southern eastern western coastal rural urban domestic foreign economic political social
cultural environmental financial legal medical technical digital public private
independent official senior former current acting interim new old small large big high
low strong weak rapid slow sharp steady modest significant limited broad wide narrow
said told added noted warned argued claimed denied confirmed announced reported released
published signed approved rejected delayed extended expanded reduced raised cut lowered
launched opened closed ended began started continued remained stayed moved shifted
returned reached passed failed won lost faced met called urged asked answered agreed
expected planned proposed promised pledged offered sought needed wanted tried helped
hospital airport station port bridge road railway network system service services
program programme project sector firms companies investors shareholders customers
consumers drivers farmers fishermen nurses pilots engineers officers judges lawyers
ministers lawmakers regulators authorities institutions ministry department office
commission board agency agencies courts schools universities hospitals factories plants
mines fields farms forests rivers lakes coasts islands mountains valleys towns villages
cities capitals provinces districts states nations countries continents oceans skies
storm storms flood floods drought fire fires heat wave earthquake outbreak virus vaccine
vaccines treatment patients cases deaths survivors victims witnesses suspects
technology software platform platforms app apps users accounts devices chips batteries
cars vehicles trains flights ships cargo fuel oil gas coal wind solar nuclear grid
emissions carbon targets goals limits standards measures steps options risks threats
concerns questions answers details documents files records reports findings estimates
forecast forecasts outlook view views position positions stance role roles share shares
stake stakes value values assets debt debts loans taxes tax spending revenue profits
losses wages salaries pensions benefits rents homes housing land property buildings
""")

_ADJECTIVES = _wordlist("""
new major key local national global quiet sudden long short early late rare common
fresh old young strong weak open closed hidden public private rising falling growing
""")

_FIRST_NAMES = _wordlist("""
Ana Ben Chen Dara Elif Farid Greta Hana Ivan Jonas Kemi Lena Marco Nadia Omar Priya
Quinn Rosa Sami Tara Umar Vera Wen Ximena Yusuf Zoe
""")
_LAST_NAMES = _wordlist("""
Alvarez Brandt Costa Dlamini Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Larsen
Moreau Nakamura Okafor Petrov Quispe Rossi Sato Tanaka Usman Varga Weber Xu Yilmaz Zhou
""")
_SOURCES = [
    ("The Daily Ledger", "https://ledger.example.com"),
    ("Northern Wire", "https://northernwire.example.net"),
    ("Harbor Times", "https://harbortimes.example.org"),
    ("Capital Report", "https://capitalreport.example.com"),
    ("Open Data Journal", "https://odj.example.org"),
    ("Coastal Courier", "https://courier.example.net"),
    ("Metro Observer", "https://observer.example.com"),
    ("Field Notes Weekly", "https://fieldnotes.example.org"),
]
SECTIONS = ["World", "Politics", "Economy", "Science", "Climate", "Technology", "Health", "Culture"]
KINDS = ["context", "fact-check", "correction", "analysis"]

# Nouns only: tags name topics, not verbs.
_TOPICS = _wordlist("""
government policy minister report city country region market economy company workers
court election vote party council agency crisis budget plan law data health school
research climate energy water power prices costs growth trade bank rates inflation jobs
industry security police military border war peace talks summit president congress
parliament senate committee investigation inquiry evidence scientists doctors teachers
residents families children students voters critics protesters unions reform proposal
ruling trial appeal opposition campaign candidates polls hospital airport station port
bridge road railway network services programme sector firms investors consumers drivers
farmers nurses pilots engineers judges lawyers ministers lawmakers regulators ministry
commission universities factories mines farms forests rivers lakes islands mountains
towns villages cities provinces storm floods drought fires heat earthquake outbreak virus
vaccines patients survivors technology software platforms apps devices chips batteries
cars vehicles trains flights ships cargo fuel oil gas coal wind solar nuclear grid
emissions carbon targets standards risks threats documents records findings forecast
debt loans taxes spending revenue profits wages pensions rents housing land property
""")

# Word weights ~ 1/(rank+10): flatter than pure Zipf at the head so text stays readable.
# Drawn through a 65,536-slot table indexed by random 16-bit numbers: one randbytes()
# call and a C-level map() per body instead of a bisect per word (20k articles = 13M
# words, ~10x faster than Random.choices).
def _word_table() -> tuple[str, ...]:
    weights = [1.0 / (i + 10) for i in range(len(_WORDS))]
    total = sum(weights)
    bounds = [round(c / total * 65536) for c in accumulate(weights)]
    table: list[str] = []
    for word, end in zip(_WORDS, bounds):
        table.extend([word] * (end - len(table)))
    return tuple(table)


_TABLE = _word_table()

TAG_POOL_SIZE = 500
# Exponent of the tag Zipf law: 1.0 is the classic rank-frequency law of real tag clouds.
TAG_ZIPF_S = 1.0
START = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class Annotation:
    quote: str
    note: str
    kind: str


@dataclass
class Article:
    """One synthetic article; `body` is Markdown shared verbatim by all three peers."""

    index: int
    slug: str
    title: str
    date: datetime
    source: str
    source_url: str
    author: str
    section: str
    tags: list[str]
    related: list[str]
    annotations: list[Annotation]
    summary: str | None
    body: str
    words: int = 0


def tag_pool(rng: Random, size: int = TAG_POOL_SIZE) -> list[str]:
    """Distinct tag names, most popular first (rank order is what the Zipf weights use)."""
    topics = sorted(set(_TOPICS))
    names: list[str] = []
    seen: set[str] = set()
    # Single topic words first: short generic tags are the frequent ones on real sites.
    for word in rng.sample(topics, min(len(topics), size // 3)):
        names.append(word.capitalize())
        seen.add(word)
    while len(names) < size:
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(topics)}"
        if name not in seen:
            seen.add(name)
            names.append(name.capitalize())
    return names


def _words(rng: Random, k: int) -> list[str]:
    draws = array("H", rng.randbytes(2 * k))
    if sys.byteorder == "big":
        draws.byteswap()  # same bytes -> same words on every machine
    return list(map(_TABLE.__getitem__, draws))


class _Text:
    """Sentences cut from one big batch of words and small random ints per article.

    Random.randint costs ~1 us and a sentence needs several: drawing words and lengths
    in bulk keeps 20,000 articles (13M words) within a few seconds.
    """

    def __init__(self, rng: Random, words: int) -> None:
        self.rng = rng
        self.words = _words(rng, words)
        self.small = rng.randbytes(words // 4)
        self.w = 0
        self.s = 0

    def int(self, lo: int, hi: int) -> int:
        """Uniform-ish in [lo, hi] (hi - lo < 64, so the modulo bias is negligible)."""
        if self.s >= len(self.small):
            self.small += self.rng.randbytes(256)
        b = self.small[self.s]
        self.s += 1
        return lo + b % (hi - lo + 1)

    def take(self, k: int) -> list[str]:
        if self.w + k > len(self.words):
            self.words += _words(self.rng, max(k, 256))
        ws = self.words[self.w : self.w + k]
        self.w += k
        return ws

    def sentence(self, lo: int = 8, hi: int = 24) -> str:
        ws = self.take(self.int(lo, hi))
        ws[0] = ws[0].capitalize()
        return " ".join(ws) + "."

    def marked(self, source_url: str) -> str:
        """A sentence with inline Markdown (emphasis, strong or a link) in it."""
        ws = self.take(self.int(10, 22))
        ws[0] = ws[0].capitalize()
        i = self.int(1, len(ws) - 3)
        style = self.int(0, 9)
        if style < 4:
            ws[i] = f"*{ws[i]}*"
        elif style < 7:
            ws[i] = f"**{ws[i]} {ws[i + 1]}**"
            del ws[i + 1]
        else:
            ws[i] = f"[{ws[i]} {ws[i + 1]}]({source_url}/{ws[i]}-{self.rng.randrange(10**6)})"
            del ws[i + 1]
        return " ".join(ws) + "."


def _title(text: _Text) -> str:
    ws = text.take(text.int(6, 11))
    return " ".join([ws[0].capitalize(), *ws[1:]])


def _slug_of(title: str) -> str:
    # Titles are lowercase ASCII words, so the slug needs no transliteration.
    return "-".join(title.lower().split()[:8])


def generate(n: int, seed: int = 1) -> list[Article]:
    """The N articles of the corpus for (n, seed), oldest first."""
    rng = Random(seed)
    tags = tag_pool(rng)
    tag_cum = list(accumulate(1.0 / (r + 1) ** TAG_ZIPF_S for r in range(len(tags))))
    authors = [f"{f} {last}" for f in _FIRST_NAMES for last in _LAST_NAMES[:6]]
    span = timedelta(days=max(1, n // 20))
    articles: list[Article] = []
    titles: set[str] = set()
    slugs: set[str] = set()
    for i in range(n):
        target = max(150, min(1500, int(rng.gauss(600, 150))))
        # Body + title + summary + notes: one draw, rarely topped up.
        text = _Text(rng, int(target * 1.15) + 120)
        while True:
            title = _title(text)
            slug = _slug_of(title)
            if title not in titles and slug not in slugs:
                break
        titles.add(title)
        slugs.add(slug)
        # Evenly spaced plus jitter inside the slot: dates increase with the index, so
        # "related to an earlier article" is also "related to an older article".
        slot = span / n
        date = START + slot * i + timedelta(seconds=rng.randrange(max(1, int(slot.total_seconds()))))
        date = date.replace(microsecond=0)
        source, base = _SOURCES[rng.randrange(len(_SOURCES))]
        art_tags: list[str] = []
        for t in rng.choices(tags, cum_weights=tag_cum, k=rng.randint(2, 6)):
            if t not in art_tags:
                art_tags.append(t)
        related: list[str] = []
        if i:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                # Mostly recent articles, as a news editor would link, but some old ones.
                j = max(0, i - 1 - int(rng.expovariate(1 / 40))) if rng.random() < 0.8 else rng.randrange(i)
                ref = articles[j].title if rng.random() < 0.5 else articles[j].slug
                if ref not in related:
                    related.append(ref)
        body, plain, n_words = _body(text, target, base)
        annotations: list[Annotation] = []
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                sentence = rng.choice(plain)
                ws = sentence.rstrip(".").split()
                k = rng.randint(3, min(7, len(ws)))
                start = rng.randrange(len(ws) - k + 1)
                annotations.append(
                    Annotation(" ".join(ws[start : start + k]), text.sentence(6, 16), rng.choice(KINDS))
                )
        summary = " ".join(text.sentence() for _ in range(2)) if rng.random() < 0.5 else None
        articles.append(
            Article(
                index=i,
                slug=slug,
                title=title,
                date=date,
                source=source,
                source_url=f"{base}/{date:%Y/%m/%d}/{slug}",
                author=rng.choice(authors),
                section=rng.choice(SECTIONS),
                tags=art_tags,
                related=related,
                annotations=annotations,
                summary=summary,
                body=body,
                words=n_words,
            )
        )
    return articles


def _body(text: _Text, target: int, source_url: str) -> tuple[str, list[str], int]:
    """Markdown body of ~target words; also the plain sentences annotations may quote."""
    blocks: list[str] = []
    plain: list[str] = []
    notes: list[str] = []
    words = 0
    while words < target:
        r = text.int(0, 99)
        if r < 8 and blocks:
            items = [text.sentence(4, 12) for _ in range(text.int(3, 5))]
            blocks.append("\n".join(f"- {it}" for it in items))
            words += sum(it.count(" ") + 1 for it in items)
            continue
        if r < 12 and blocks:
            head = text.sentence(3, 6).rstrip(".")
            blocks.append(f"## {head}")
            words += head.count(" ") + 1
            continue
        sentences: list[str] = []
        for _ in range(text.int(3, 6)):
            if text.int(0, 4) == 0:
                sentences.append(text.marked(source_url))
            else:
                s = text.sentence()
                sentences.append(s)
                plain.append(s)
        if text.int(0, 19) < 3 and len(notes) < 3:
            notes.append(text.sentence(8, 20))
            # Footnote marker after the paragraph's last sentence, as journalists cite.
            sentences[-1] += f"[^{len(notes)}]"
        blocks.append(" ".join(sentences))
        words += sum(s.count(" ") + 1 for s in sentences)
    if not plain:
        s = text.sentence()
        blocks.append(s)
        plain.append(s)
    if notes:
        blocks.append("\n".join(f"[^{k}]: {note}" for k, note in enumerate(notes, 1)))
    return "\n\n".join(blocks) + "\n", plain, words


def _q(s: str) -> str:
    return json.dumps(s)


def _iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def digest_markdown(a: Article) -> str:
    """The article in digest's native format: YAML front-matter then Markdown."""
    lines = [
        "---",
        f"title: {_q(a.title)}",
        f"date: {_iso(a.date)}",
        f"source: {_q(a.source)}",
        f"source_url: {_q(a.source_url)}",
        f"author: {_q(a.author)}",
        f"section: {_q(a.section)}",
        f"tags: [{', '.join(_q(t) for t in a.tags)}]",
    ]
    if a.related:
        lines.append("related:")
        lines.extend(f"  - {_q(r)}" for r in a.related)
    if a.annotations:
        lines.append("annotations:")
        for an in a.annotations:
            lines += [f"  - quote: {_q(an.quote)}", f"    note: {_q(an.note)}", f"    kind: {an.kind}"]
    if a.summary is not None:
        lines.append(f"summary: {_q(a.summary)}")
    lines += ["---", "", a.body]
    return "\n".join(lines)


SITE_YAML = "title: Bench digest\nbase_url: https://bench.example.org/\ntimezone: UTC\n"


def write_digest(root: Path, articles: list[Article]) -> None:
    """Write site.yaml and content/<slug>.md under root (replacing any old content)."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(SITE_YAML)
    _sync(root / "content", {f"{a.slug}.md": digest_markdown(a) for a in articles})


def _sync(folder: Path, files: dict[str, str]) -> None:
    """Make folder hold exactly these files, overwriting in place.

    Not rmtree + rewrite: unlinking costs ~2.5 ms a file on this machine's disk against
    ~0.2 ms for an in-place overwrite, so regenerating 20,000 articles would spend a
    minute deleting.
    """
    for name in sorted(set(os.listdir(folder)) - set(files)):
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    for name, text in files.items():
        (folder / name).write_text(text)


PELICANCONF = '''\
# Generated by bench/corpus.py. Chosen to produce what digest produces: article pages,
# tag pages, category (= section) pages, a paginated index and Atom feeds.
AUTHOR = "Bench"
SITENAME = "Bench digest"
SITEURL = "https://bench.example.org"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
DEFAULT_PAGINATION = 10
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag-{slug}.atom.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 20
# digest has no author or archive pages: do not make Pelican pay for them.
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
ARTICLE_URL = "{slug}/"
ARTICLE_SAVE_AS = "{slug}/index.html"
# The content cache is what the warm run measures; a cold run deletes CACHE_PATH first.
CACHE_PATH = "cache"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
'''


def pelican_markdown(a: Article) -> str:
    """The article with a Pelican metadata header (python-markdown `meta` syntax)."""
    lines = [
        f"Title: {a.title}",
        f"Date: {a.date:%Y-%m-%d %H:%M}",
        f"Slug: {a.slug}",
        f"Category: {a.section}",
        f"Tags: {', '.join(a.tags)}",
        f"Authors: {a.author}",
    ]
    if a.summary is not None:
        lines.append(f"Summary: {a.summary}")
    return "\n".join(lines) + "\n\n" + a.body


def write_pelican(root: Path, articles: list[Article]) -> None:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(PELICANCONF)
    _sync(root / "content", {f"{a.slug}.md": pelican_markdown(a) for a in articles})


HUGO_CONFIG = """\
baseURL: https://bench.example.org/
title: Bench digest
languageCode: en
timeZone: UTC
paginate: 10
disableKinds: [robotsTXT, 404]
taxonomies:
  tag: tags
  category: categories
services:
  rss:
    limit: 20
outputs:
  home: [HTML, RSS]
  section: [HTML]
  taxonomy: [HTML]
  term: [HTML, RSS]
"""

# Minimal layouts, kept comparable to a plain digest theme: no assets pipeline, no partials
# beyond what every page shows. Hugo's built-in RSS template renders the feeds. The home
# page paginates .Site.RegularPages directly: a `where` filter there is re-run for each of
# the N/10 pager pages and made Hugo 4x slower at N = 5,000 (--templateMetrics).
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title>
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .Params.author }} by {{ . }}{{ end }}{{ with .Params.source }} via {{ . }}{{ end }}</p>
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $p := .Paginate .Pages }}{{ range $p.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary }}</p></article>{{ end }}
{{ with $p.Prev }}<a href="{{ .URL }}">newer</a>{{ end }} {{ with $p.Next }}<a href="{{ .URL }}">older</a>{{ end }}{{ end }}
""",
    "_default/taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
    "_default/term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $p := .Paginate .Pages }}{{ range $p.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Summary }}</p></article>{{ end }}
{{ with $p.Prev }}<a href="{{ .URL }}">newer</a>{{ end }} {{ with $p.Next }}<a href="{{ .URL }}">older</a>{{ end }}{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1>
{{ $p := .Paginate .Site.RegularPages }}{{ range $p.Pages }}<article>
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}
{{ with $p.Next }}<a href="{{ .URL }}">older</a>{{ end }}{{ end }}
""",
}


def hugo_markdown(a: Article) -> str:
    lines = [
        "---",
        f"title: {_q(a.title)}",
        f"date: {_iso(a.date)}",
        f"slug: {_q(a.slug)}",
        f"tags: [{', '.join(_q(t) for t in a.tags)}]",
        f"categories: [{_q(a.section)}]",
        f"author: {_q(a.author)}",
        f"source: {_q(a.source)}",
    ]
    if a.summary is not None:
        lines.append(f"summary: {_q(a.summary)}")
    lines += ["---", "", a.body]
    return "\n".join(lines)


def write_hugo(root: Path, articles: list[Article]) -> None:
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(HUGO_CONFIG)
    for rel, text in HUGO_LAYOUTS.items():
        path = root / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _sync(root / "content" / "posts", {f"{a.slug}.md": hugo_markdown(a) for a in articles})


def generator_fingerprint() -> str:
    """Changes whenever this file changes, so cached corpora are never stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Write the synthetic digest corpus.")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="site root to write")
    ap.add_argument("--format", choices=["digest", "pelican", "hugo"], default="digest")
    args = ap.parse_args(argv)
    articles = generate(args.n, args.seed)
    {"digest": write_digest, "pelican": write_pelican, "hugo": write_hugo}[args.format](args.out, articles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
