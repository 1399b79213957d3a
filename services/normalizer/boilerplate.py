"""Page chrome that survives into text: share/follow lines, cookie and subscribe prompts,
ads, navigation crumbs, and lines a page repeats.

Rules are about the shape of a line, never about one publisher: a short line that starts
like a call to action ("Follow ... on Telegram", "Share this", "Sign up", "Teilen") or
that only a page's furniture says ("Advertisement", "All rights reserved"). Long lines are
never dropped by these patterns, so a paragraph that mentions cookies stays.
All patterns are anchored or bounded: linear on any input.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "CHROME_LEAD",
    "MAX_CHROME_WORDS",
    "MAX_CREDIT_SPACES",
    "is_boilerplate",
    "is_media_credit",
    "repeated_lines",
]

MAX_CHROME_WORDS = 22
MAX_CREDIT_SPACES = 14  # is_media_credit: a credit line has fewer spaces than this
CHROME_LEAD = "•·*-–—►▶> "  # bullet marks and spaces is_boilerplate strips from a line's start

_SOCIAL = (
    r"telegram|twitter|x|facebook|instagram|whatsapp|youtube|tiktok|linkedin|google news"
    r"|threads|bluesky|vk|viber|mastodon|flipboard|reddit|pinterest|snapchat"
)
_START = re.compile(  # matched against the lower-cased line: no re.I, twice as fast
    r"^(?:"
    # calls to action
    rf"follow\b.{{0,60}}?\b(?:on|via|in)\s+(?:{_SOCIAL})\b"
    rf"|(?:join|like|find)\s+us\b|join\s+our\b.{{0,40}}?\b(?:channel|newsletter|community)\b"
    r"|follow\s+us\b|share\b(?:\s+(?:this|on|via|the|article|story|post)\b|\s*$|:)"
    r"|(?:tweet|print|email|e-mail|copy link|copy url|comments?|save|bookmark)\s*(?:this)?\s*$"
    r"|subscribe\b|sign\s+up\b|sign\s+in\b|log\s*in\b|register\s+(?:now|for|to)\b"
    r"|click\s+here\b|tap\s+here\b|download\s+(?:our|the)\s+app\b|get\s+the\s+app\b"
    r"|read\s+more\s*[:.…]*\s*$|read\s+more\s+(?:about|on|at|here)\b|continue\s+reading\b"
    r"|(?:advertisement|advertising|sponsored(?:\s+content)?|promoted|anzeige|werbung"
    r"|publicité|publicidad|publicidade|pubblicità|реклама|reklama|annons|annonce)\s*$"
    r"|skip\s+to\b|back\s+to\s+top\b|scroll\s+to\b|jump\s+to\b|loading\b.{0,10}$|menu\s*$"
    r"|we\s+use\s+cookies\b|this\s+(?:site|website)\s+uses\s+cookies\b|accept\s+(?:all\s+)?cookies"
    r"|(?:cookie|privacy)\s+(?:policy|settings|preferences|notice)\b"
    r"|all\s+rights\s+reserved\b|©|\(c\)\s*\d{4}|copyright\s*(?:©|\d{4}|\(c\))"
    r"|(?:tags|topics|keywords|schlagwörter|themen)\s*:"
    r"|(?:related\s+topics|more\s+on\s+this\s+topic|you\s+may\s+also\s+like)\s*$"
    r"|(?:listen|watch)\s+(?:to\s+)?(?:this|the)\s+(?:article|story|video)\b"
    r"|(?:teilen|folgen\s+sie\s+uns|jetzt\s+abonnieren|zum\s+newsletter|mehr\s+zum\s+thema)\b"
    r"|(?:partager|suivez[- ]nous|abonnez[- ]vous|inscrivez[- ]vous)\b"
    r"|(?:compartir|compartilhe|compartilhar|síguenos|siga[- ]nos|suscríbete|assine)\b"
    r"|(?:condividi|seguici|iscriviti|abbonati)\b"
    r"|(?:поделиться|подписывайтесь|подпишитесь|читайте\s+нас)\b"
    r")",
)

# substrings that make a short line chrome wherever they stand (plain `in` tests: fast)
_ANYWHERE = (
    "all rights reserved",
    "alle rechte vorbehalten",
    "tous droits réservés",
    "todos los derechos reservados",
    "cookie policy",
    "privacy policy",
    "terms of use",
    "terms of service",
    "newsletter",
    " for the latest",
    " for latest news",
)
# _ANYWHERE as one search that stops only at spaces (a literal first: sre skips to them in
# C), each phrase split after its first word, which a lookbehind then checks; "newsletter"
# has no space and stays an `in` test. One search instead of eleven scans of the line.
_ANYWHERE_AT_SPACE = re.compile(
    r" (?:(?<=all )rights reserved|(?<=alle )rechte vorbehalten|(?<=tous )droits réservés"
    r"|(?<=todos )los derechos reservados|(?<=cookie )policy|(?<=privacy )policy"
    r"|(?<=terms )of use|(?<=terms )of service|for the latest|for latest news)"
)
_CREDIT = re.compile(
    r"^(?:\(?(?:photo|foto|image|picture|bild|credit|source|quelle|crédit|getty images"
    r"|reuters|ap photo|afp)\b.{0,80}?\)?\s*$|\(photo:.{1,80}\)$)",
    re.I,
)
_NAV_SEPARATORS = re.compile(r"\s[|»›>/]\s")
_NAV_CHAR = re.compile(r"[|»›>/]")  # what every _NAV_SEPARATORS match holds


def is_boilerplate(line: str) -> bool:
    """True for a short chrome line: share/follow/subscribe/cookie/ad/nav furniture."""
    text = line.strip().lstrip(CHROME_LEAD).strip()
    if not text:
        return True
    spaces = text.count(" ")  # words - 1, counted once (two tests below, both per line)
    if spaces >= MAX_CHROME_WORDS:
        return False
    low = text.lower()
    if _START.match(low) or "newsletter" in low or _ANYWHERE_AT_SPACE.search(low):
        return True
    # breadcrumbs / nav bars: "Home | Politics | Economy", "News › World › Europe"; most
    # lines have no separator character at all, which one charset search tells in C
    return spaces < 12 and _NAV_CHAR.search(text) is not None and len(_NAV_SEPARATORS.findall(text)) >= 2


def is_media_credit(line: str) -> bool:
    """A photo credit line ("Photo: Reuters", "(Photo: AP)"): media, not body."""
    text = line.strip()
    return text.count(" ") < MAX_CREDIT_SPACES and bool(_CREDIT.match(text))  # at most 14 words


def repeated_lines(lines: Iterable[str], *, min_count: int = 2, min_chars: int = 1) -> set[str]:
    """Lines (already stripped) a page says more than once: menus, captions, teasers.

    A news paragraph is written once; chrome repeats. Callers decide which repeats to
    drop and which (captions) to keep once.
    """
    if min_count == 2 and min_chars == 1:
        # the callers' case: a line seen before is a repeat. Two sets and one pass, without
        # Counter's Python-level constructor (~2x faster on a page's 50 lines)
        seen: set[str] = set()
        repeats: set[str] = set()
        for line in lines:
            if line in seen:
                repeats.add(line)
            elif line:
                seen.add(line)
        return repeats
    # filter(None) keeps exactly the non-empty lines, in C: the common min_chars=1 case
    counts = Counter(filter(None, lines) if min_chars == 1 else (ln for ln in lines if len(ln) >= min_chars))
    return {line for line, n in counts.items() if n >= min_count}
