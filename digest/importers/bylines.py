"""Bylines: the people who wrote a story, apart from job titles, desks and agency credits.

"Adam Aaronson PhillyVoice Staff" is Adam Aaronson; "CNN", "By Reuters", "Our Foreign Staff"
and the site's own name credit an organisation, which is a source, not an author.
"""

from __future__ import annotations

import re

from .common import one_line, quote_folded

_TRAILING_MONTH = re.compile(
    r"\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)$"
)
_NOT_AUTHORS = re.compile(r"^(?:username|no author|admin|staff|editor|unknown|anonymous|null|none)$", re.IGNORECASE)


def squash(text: str) -> str:
    """'The Japan Times', 'thejapantimes', 'Japan-Times' -> 'japantimes'."""
    return re.sub(r"[\W_]+", "", quote_folded(text)).removeprefix("the")


def clean_author(raw: str, site: str = "", host: str = "") -> str:
    """The people in a byline, comma-separated: placeholders, job titles and agency credits dropped."""
    return split_byline(raw, site, host)[0]


# Wire services and broadcasters credited in place of a writer ("CNN", "By Reuters").
_AGENCIES = frozenset(
    ["ap", "associated press", "the associated press", "reuters", "afp", "agence france-presse", "agence france presse",
     "upi", "united press international", "dpa", "ansa", "efe", "jiji", "jiji press", "kyodo", "kyodo news", "xinhua",
     "tass", "ria novosti", "sputnik", "interfax", "pa", "pa media", "press association", "bloomberg", "cnn", "bbc",
     "bbc news", "nbc news", "cbs news", "abc news", "fox news", "al jazeera", "yonhap", "anadolu agency", "aap",
     "canadian press", "the canadian press", "cp", "pti", "ians", "ani", "bernama", "wire services", "news wires"]
)
# A whole credit that names a desk rather than a person ("Our Foreign Staff", "Staff and agencies").
_DESK_WORDS = re.compile(r"\b(?:staff|desk|agencies|agency|wires?|reporters|newsroom|team|bureau|news service)\b", re.IGNORECASE)
# A job title after a name ("Jane Doe, Senior Writer", "Adam Aaronson PhillyVoice Staff").
_ROLE = re.compile(
    r"(?:\s+(?:senior|chief|staff|contributing|special|political|foreign|national|news|investigative|associate|deputy|"
    r"managing|executive|sports|business|health|science|technology|tech|global|assistant|freelance|community|digital|"
    r"breaking|local|metro|features?|opinion|editorial|data|video))*"
    r"\s+(?:staff|writer|reporter|correspondent|editor|contributor|columnist|producer|journalist|intern|photographer|"
    r"critic|analyst|author|blogger|anchor)s?$",
    re.IGNORECASE,
)
_FOR_OUTLET = re.compile(r"\s+(?:for|at|with)\s+(?:the\s+)?[A-Z][\w.&'’ -]*$")
# CamelCase words are outlets ("PhillyVoice", "HuffPost"), except surnames built that way.
_OUTLET_WORD = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]*)+|[A-Z]{2,6}")
_SURNAME_PREFIX = re.compile(r"^(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|St)[A-Z]")


def split_byline(raw: str, site: str = "", host: str = "") -> tuple[str, str]:
    """(people, credit): the authors in a byline, and the first agency or desk credit it gives
    instead of (or beside) them. trafilatura joins several bylines with '; '."""
    outlets = {squash(n) for n in (site, host, host.removeprefix("www.").split(".")[0] if host else "") if n}
    names: list[str] = []
    credit = ""
    for part in re.split(r";|\s+\|\s+|\s+/\s+|(?<=[A-Za-z])/(?=[A-Z])|,(?!\s*(?:Jr|Sr|II|III|IV)\b)", raw):
        name = one_line(re.sub(r"^\s*by\s+", "", part, flags=re.IGNORECASE))
        # A byline glued to its date line ("Joshua Sokol May 20, 2019") leaves a month behind.
        name = _TRAILING_MONTH.sub("", name).strip(" -–—·:")
        if not name:
            continue
        person, is_credit = _person(name, outlets)
        if person is None:
            if is_credit and not credit:
                credit = name
            continue
        if person.casefold() not in {n.casefold() for n in names}:
            names.append(person)
    return ", ".join(names), credit


def _person(name: str, outlets: set[str]) -> tuple[str | None, bool]:
    """(the person's name in one byline piece, or None; whether the piece is a credit instead)."""
    if _NOT_AUTHORS.match(name) or re.search(r"\d", name):
        return None, False
    if _is_outlet(name, outlets):
        return None, True
    name = _FOR_OUTLET.sub("", name)
    without_role = _ROLE.sub("", name)
    if without_role != name:
        words = without_role.split()
        if not words or name.split()[0].casefold() in ("senior", "chief", "staff", "contributing", "special"):
            return None, False  # only a job title ("Staff Writer"), set apart by a comma
        # "Adam Aaronson PhillyVoice Staff": words after the name that name the outlet.
        while len(words) > 2 and (squash(words[-1]) in outlets or
                                  (_OUTLET_WORD.fullmatch(words[-1]) and not _SURNAME_PREFIX.match(words[-1]))):
            words.pop()
        if len(words) < 2 or _is_outlet(" ".join(words), outlets):
            return None, True  # "Our Foreign Staff", "Telegraph Reporters": a desk, not a person
        name = " ".join(words)
    if _DESK_WORDS.search(name):
        return None, True  # "Staff and agencies", "News Desk"
    if len(name.split()) > 5:
        return None, False  # a slogan or a sentence, not a name
    return name, False


def is_credit(name: str, site: str = "") -> bool:
    """Does this author field name an organisation (an agency, the site itself) rather than a person?"""
    return _is_outlet(name, {squash(site)} if site else set())


def _is_outlet(name: str, outlets: set[str]) -> bool:
    """An agency, the site itself, or an acronym alone ("CNN", "JIJI"): an organisation, not a person."""
    return quote_folded(name) in _AGENCIES or squash(name) in outlets or bool(re.fullmatch(r"[A-Z]{2,6}", name))
