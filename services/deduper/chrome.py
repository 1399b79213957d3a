"""Residual page chrome in a body, cut before fingerprinting (a safety net: the
normalizer removes chrome first, but fallback extraction of short pages lets some in).

Rules are about the shape of a paragraph, never about one publisher, and are applied to
both sides of every comparison alike, so they can only make copies more similar:
- short furniture lines: share bars, ad slots, "Follow us on ...", sign-up prompts,
  copyright lines, bylines, breadcrumb/nav lines ("Home | World | Business");
- cookie/consent notices, whatever their length, when they open with one;
- a links block: a "Related stories" / "Most read" heading and the short headline
  lines (no sentence punctuation) that follow it;
- a share bar flattened into the start of the body, and the headline repeated there.
"""

from __future__ import annotations

import re

_LINE = re.compile(  # matched on a short, case-folded paragraph
    r"^(?:advertisement|advertising|sponsored(?: content)?|story continues below"
    r"|share(?: (?:this|on|via)\b|\s*$|:)|follow (?:us\b|.{0,40}\bon (?:twitter|x|facebook"
    r"|telegram|instagram|whatsapp|linkedin)\b)|sign up\b|subscribe\b|click here\b"
    r"|read more\b|more on this\b|all rights reserved|copyright\b|©|skip to\b|back to top\b"
    r"|by [a-z'-]+(?: [a-z.'-]+){0,2}(?: \||\s*$))"  # a byline: "By Jane Doe | May 2"
)
_CONSENT = re.compile(
    r"^(?:we use cookies|we and our partners use|this (?:site|website) uses cookies"
    r"|by (?:continuing to use|using) this (?:site|website)|accept (?:all )?cookies)\b"
)
_LINKS_HEADING = re.compile(
    r"^(?:related(?: articles| stories| coverage| content| news)?|more (?:from|on) [\w ]{1,30}"
    r"|more stories|most (?:read|popular|viewed)|latest(?: news| stories)?|read next"
    r"|you (?:may|might) also like|recommended(?: for you)?|trending(?: now)?|top stories)\s*:?$"
)
_NAV = re.compile(r"\s[|»›•·]\s")
_SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ")")
LEAD_WORDS = (
    "share",
    "email",
    "print",
    "tweet",
    "facebook",
    "twitter",
    "whatsapp",
    "linkedin",
    "telegram",
    "advertisement",
)
_LEAD = re.compile(  # on the normalized text: words only, one space apart
    rf"^(?:(?:{'|'.join(LEAD_WORDS)})(?: (?:on|via|this|article|story|to))* )+"
)


def strip_chrome(paragraphs: list[str]) -> list[str]:
    """The paragraphs that are not page furniture (see module docstring)."""
    kept = []
    in_links = False
    for paragraph in paragraphs:
        if len(paragraph) > 900:  # longer than any notice: text (and the fast path)
            kept.append(paragraph)
            in_links = False
            continue
        text = " ".join(paragraph.casefold().split())
        if not text:
            continue
        words = text.count(" ") + 1
        if in_links and words <= 14 and not text.endswith(_SENTENCE_END):
            continue
        in_links = False
        if words <= 8 and _LINKS_HEADING.match(text):
            in_links = True
        elif not (
            (words <= 22 and _LINE.match(text))
            or (words <= 14 and len(_NAV.findall(text)) >= 2)
            or (words <= 120 and _CONSENT.match(text))
        ):
            kept.append(paragraph)
    return kept


def strip_lead(text: str, head: str | None) -> str:
    """Cut a repeated headline (`head`, normalized) and a flattened share bar from the
    start of a normalized body."""
    if head and text.startswith(head + " "):
        text = text[len(head) + 1 :]
    return _LEAD.sub("", text, count=1) if text[:12].startswith(LEAD_WORDS) else text
