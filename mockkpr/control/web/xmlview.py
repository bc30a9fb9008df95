"""XML for people: pretty-printing and light colouring, everything escaped.

:func:`pretty` re-indents a small document (an AppRec, a MsgHead outline) with the project's
safe parser settings (:data:`mockkpr.xmlsafe.PARSER_OPTIONS`: no DTD, no entities, no
network), comments kept. :func:`colour` marks up
one line of XML text as HTML: every piece of the text goes through :func:`markupsafe.escape`,
so whatever a sender wrote is shown as text, never as markup.
"""

from __future__ import annotations

import re

from lxml import etree
from markupsafe import Markup, escape

_TOKEN = re.compile(
    r"(?P<comment><!--.*?(?:-->|$))"
    r"|(?P<tag></?[\w.:-]+|/?>|\?>|<\?[\w.:-]+)"
    r"|(?P<attr>[\w.:-]+)(?P<eq>=)(?P<value>\"[^\"]*\"?|'[^']*'?)"
)


def pretty(xml: bytes) -> str | None:
    """``xml`` indented two spaces per level (UTF-8 text), or None when it is not XML."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=False, remove_pis=True, remove_blank_text=True))
    except etree.XMLSyntaxError:
        return None
    text = etree.tostring(root, pretty_print=True, encoding="unicode")
    return text.rstrip("\n")


def colour(line: str) -> Markup:
    """One line of XML as escaped HTML with tags, attributes and comments in spans."""
    out: list[str] = []
    position = 0
    in_tag = False
    for match in _TOKEN.finditer(line):
        if match.group("attr") and not in_tag:
            continue
        out.append(str(escape(line[position:match.start()])))
        if match.group("comment"):
            out.append(f'<span class="x-c">{escape(match.group("comment"))}</span>')
        elif match.group("tag"):
            tag = match.group("tag")
            in_tag = tag.startswith("<")
            out.append(f'<span class="x-t">{escape(tag)}</span>')
        else:
            out.append(f'<span class="x-a">{escape(match.group("attr"))}</span>='
                       f'<span class="x-v">{escape(match.group("value"))}</span>')
        position = match.end()
    out.append(str(escape(line[position:])))
    return Markup("".join(out))  # noqa: S704  (every piece above is escaped)
