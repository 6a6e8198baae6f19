"""An article as a feed reader shows it: one HTML fragment built from the sanitised pieces of the
Markdown stage and escaped text, so a feed never carries anything a page would not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from markupsafe import escape

from .annotations import annotation_parts

if TYPE_CHECKING:
    from . import RenderedArticle

# Characters XML 1.0 forbids even escaped; a stray one in an article must not break the feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def entry_html(rendered: RenderedArticle, kinds: Mapping[str, Any]) -> str:
    """Editor's note, body with numbered highlights, and the annotations (kind, rating, quoted words,
    note, sources) in a list after it. Cross-links are still markers: the renderer links them."""
    parts = []
    if rendered.editor_note_html:
        parts.append(f'<div class="editor-note"><p><strong>Editor’s note</strong></p>{rendered.editor_note_html}</div>')
    anchored = rendered.anchored
    body = []
    for chunk, number in annotation_parts(rendered.body_html):
        body.append(chunk)
        if number and number <= len(anchored):
            a = anchored[number - 1]
            body.append(f'<sup><a href="#{a.id}-item">{a.number}</a></sup>')
    parts.append("".join(body))
    if anchored:
        items = []
        for a in anchored:
            kind = kinds[a.annotation.kind].label if a.annotation.kind in kinds else a.annotation.kind
            rating = f" — Rating: <strong>{escape(a.annotation.rating)}</strong>" if a.annotation.rating else ""
            sources = "".join(f'<li><a href="{escape(s.url)}">{escape(s.title)}</a></li>' for s in a.annotation.sources)
            items.append(f'<li value="{a.number}"><p><strong>{escape(kind)}</strong>{rating}</p>'
                         f"<blockquote><p>{escape(a.text)}</p></blockquote>{a.note_html}"
                         + (f"<ul>{sources}</ul>" if sources else "") + "</li>")
        parts.append(f'<h2>Annotations</h2><ol class="annotations">{"".join(items)}</ol>')
    return NOT_XML.sub("", "\n".join(parts))
