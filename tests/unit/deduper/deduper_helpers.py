"""Test helpers: articles as the categorizer hands them to the deduper, and real texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.core.clock import utc_iso
from services.core.models import Article, Extraction, IngestMeta, LinkItem, Links, Place, Source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DEDUPER_FIXTURES = FIXTURES / "deduper"
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def _text(wrapped: str) -> str:
    """A body as the normalizer emits it: one line per paragraph, one blank line between."""
    return "\n\n".join(" ".join(p.split()) for p in wrapped.strip().split("\n\n"))


def seed_body() -> str:
    """The real seed article's body: the paragraphs between the dateline and the chrome."""
    text = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("Azerbaijani First Deputy"))
    end = next(i for i, p in enumerate(paragraphs) if p.startswith("Follow Trend"))
    return "\n\n".join(paragraphs[start:end])


MARKETS = _text("""
Oil prices rose on Tuesday after OPEC ministers agreed in Vienna to extend production
cuts of 1.2 million barrels per day until the end of the year, a move analysts said
would tighten supply in the third quarter.

Brent crude futures gained 1.4 per cent to $84.20 a barrel by mid-afternoon in London,
while U.S. West Texas Intermediate rose 1.1 per cent to $79.85.

"The market was looking for a clear signal and it got one," said Helen Marsh, head of
commodities research at Calder Bank. "Discipline inside the group matters more than the
size of the cut."

The agreement followed two days of talks in which Saudi Arabia pressed smaller producers
to comply with existing quotas. Iraq and Kazakhstan, which have repeatedly exceeded
their targets, pledged to compensate for past overproduction.

Some traders cautioned that weaker demand in China and Europe could limit the rally.
Refinery margins in Asia have fallen to their lowest level in eighteen months, according
to industry data.

The ministers will meet again in December to review the market, the group said in a
statement.
""")

FLOODS = _text("""
Heavy rain caused severe flooding across northern Italy on Monday, forcing the
evacuation of more than 3,000 people from towns along the Po river and closing dozens of
roads, the civil protection agency said.

The Emilia-Romagna region was hardest hit, with rivers bursting their banks near Bologna
and Ravenna after more than 200 millimetres of rain fell in 36 hours. Two people were
reported missing.

Regional president Stefano Rinaldi said emergency crews had rescued families from
rooftops overnight. "We are facing an exceptional event, again," he told reporters,
recalling the floods that devastated the area last year.

Rail services between Bologna and Florence were suspended and schools in several
provinces will stay closed on Tuesday. The government is expected to declare a state of
emergency at a cabinet meeting later this week.

Farmers' groups warned that thousands of hectares of crops were under water and that
losses could run into hundreds of millions of euros.
""")

FLOODS_OTHER_OUTLET = _text("""
Italian authorities evacuated thousands of residents in Emilia-Romagna on Monday as
torrential rain swelled the Po and its tributaries, flooding towns around Bologna and
Ravenna.

Civil protection officials said more than 3,000 people had left their homes and two
people were missing. Rescue teams used boats and helicopters to reach families trapped
on rooftops overnight.

Stefano Rinaldi, the president of the region, described the floods as exceptional and
said the area had not recovered from last year's disaster. Schools will remain closed in
several provinces and train services between Bologna and Florence are suspended.

Farmers estimated crop losses in the hundreds of millions of euros, and the cabinet is
expected to declare a state of emergency this week.
""")

SCHOOLS = _text("""
The education ministry in Rome announced on Monday a plan to hire 12,000 teachers in
northern Italy before the next school year, saying shortages had left classrooms without
staff in Bologna and Milan.

Minister Giulia Ferraro said the recruitment would focus on mathematics and science,
where vacancies are highest. Unions welcomed the move but said salaries remained too low
to keep young teachers in expensive cities.

The plan will be financed from the recovery fund and still needs approval by parliament.
""")

COOKIE = (
    "We use cookies and similar technologies to give you the best online experience, to "
    "analyse our traffic and to personalise content and advertising. By continuing to use "
    "this site you agree to our use of cookies, as described in our privacy policy, which "
    "also lists the partners we work with and explains how to change your settings."
)

HEAVY_LINKS = [
    LinkItem(title=t, url=f"https://dailyledger.example/{i}")
    for i, t in enumerate(
        (
            "Central bank holds rates steady as inflation cools",
            "Five things to watch in markets this week",
            "Opinion: why the housing slump is not over",
            "Tech shares slide after weak chip forecast",
            "Ministers meet to discuss energy prices",
            "Weather: storms expected across the north",
        )
    )
]


def article(
    article_id: str,
    body: str,
    *,
    url: str | None = None,
    at: datetime = T0,
    title: str | None = None,
    source: str = "Wire",
    links: Links | None = None,
    people: list[str] | None = None,
    places: list[str] | None = None,
    organizations: list[str] | None = None,
) -> Article:
    """An article as the categorizer emits it (`url` doubles as canonical URL)."""
    return Article(
        id=article_id,
        ingest=IngestMeta(id=f"ingest-{article_id}", received_at=utc_iso(at)),
        url=url,
        canonical_url=url,
        source=Source(name=source, domain=None),
        title=title,
        body=body,
        published_at=utc_iso(at),
        links=links or Links(),
        extraction=Extraction(format="html"),
        people=people,
        organizations=organizations,
        places=[Place(name=p) for p in places] if places is not None else None,
    )


def later(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def heavy_chrome(body: str) -> str:
    """A body with the chrome a weak extractor lets through: a share bar, an ad slot, a
    cookie notice (long: survives any short-line filter), a related block."""
    related = "\n\n".join(link.title for link in HEAVY_LINKS)
    return (
        f"Share this article\n\nAdvertisement\n\n{body}\n\n{COOKIE}\n\n"
        f"Related stories:\n\n{related}\n\nAll rights reserved. The Daily Ledger"
    )


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]
