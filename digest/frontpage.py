"""The shape of a day on the front page: which story leads, which go to "In brief".

Front-matter `lead: true` makes an article its day's lead story (the first such, newest first,
if several claim it); without one the day's newest story not marked `brief: true` leads.
`brief: true` lists an article as one line under "In brief" instead of a card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .diagnostics import Diagnostics

if TYPE_CHECKING:
    from .site import Site

FLAGS = ("lead", "brief")


def arrange_days(site: Site, diags: Diagnostics) -> None:
    """Set `story.is_lead`, `story.is_brief` and each edition's `lead` (None if all are briefs)."""
    for story in site.stories:
        article = story.article
        for flag in FLAGS:
            value = article.extra.get(flag, False)
            if not isinstance(value, bool):
                diags.warning(article.path, article.line_of(flag), f"`{flag}` must be true or false, not `{value}`; ignored")
                value = False
            setattr(story, f"is_{flag}", value)
        if story.is_lead and story.is_brief:
            diags.warning(article.path, article.line_of("lead"), "`lead: true` and `brief: true` together: shown as the lead story")
            story.is_brief = False
    for edition in site.editions:
        claimed = [s for s in edition.stories if s.is_lead]
        candidates = claimed or [s for s in edition.stories if not s.is_brief]
        edition.lead = candidates[0] if candidates else None
        edition.briefs = [s for s in edition.stories if s.is_brief and s is not edition.lead]

