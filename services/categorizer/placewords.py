"""Hand tables of the place scan (places.py): country aliases the gazetteers lack,
case-exact acronyms, US state abbreviations, city names that are mostly common words."""

from __future__ import annotations

# Word lists are written as text (one source line per ~80 chars), split at import.
_split = str.split

FUNCTION_WORDS = frozenset(
    {"of", "the", "and", "de", "da", "do", "del", "la", "le", "du", "upon", "on", "al", "el", "es", "au"}
)

# Country aliases the gazetteers lack (news usage).
COUNTRY_ALIASES: dict[str, str] = {
    "United States": "US",
    "United States of America": "US",
    "America": "US",
    "Britain": "GB",
    "Great Britain": "GB",
    "United Kingdom": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Holland": "NL",
    "Netherlands": "NL",
    "Burma": "MM",
    "Ivory Coast": "CI",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "South Korea": "KR",
    "North Korea": "KP",
    "Russia": "RU",
    "Iran": "IR",
    "Syria": "SY",
    "Vietnam": "VN",
    "Laos": "LA",
    "Taiwan": "TW",
    "Macedonia": "MK",
    "North Macedonia": "MK",
    "Vatican": "VA",
    "Palestine": "PS",
    "Gaza": "PS",
    "Gaza Strip": "PS",
    "West Bank": "PS",
    "Kosovo": "XK",
    "DR Congo": "CD",
    "Democratic Republic of Congo": "CD",
    "Emirates": "AE",
    "United Arab Emirates": "AE",
    "Turkey": "TR",
    "Türkiye": "TR",
    "Swaziland": "SZ",
    "Eswatini": "SZ",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Bosnia": "BA",
    "Herzegovina": "BA",
    "Moldova": "MD",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "Brunei": "BN",
    "Macau": "MO",
    "Macao": "MO",
    "Hong Kong": "HK",
    "Nagorno Karabakh": "AZ",
    "Karabakh": "AZ",
    "Crimea": "UA",
    "Kashmir": "IN",
    "Tibet": "CN",
    "Kurdistan": "IQ",
    "Chechnya": "RU",
    "Siberia": "RU",
    # Regions whose names contain a country's name.
    "New South Wales": "AU",
    "New England": "US",
    "Western Australia": "AU",
    "South Australia": "AU",
    "Papua": "ID",
    "New Guinea": "PG",
    "British Columbia": "CA",
    "Northern Territory": "AU",
    "Mexico City": "MX",
    "Guatemala City": "GT",
    "Panama City": "PA",
    "Kuwait City": "KW",
    "Vatican City": "VA",
    "Luxembourg City": "LU",
}
# AP-style US state abbreviations, as in datelines ("JOHNSTOWN, Pa., April 8").
US_STATE_ABBREVIATIONS = frozenset(
    _split(
        "ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss "
        "mo mont neb nev n.h n.j n.m n.y n.c n.d okla ore pa r.i s.c s.d tenn tex vt va wash "
        "w.va wis wyo d.c"
    )
)
# Acronyms that must match case-exactly ("US" is a country, "us" is not).
EXACT_ALIASES: dict[str, str] = {
    "US": "US",
    "U.S.": "US",
    "USA": "US",
    "U.S.A.": "US",
    "UK": "GB",
    "U.K.": "GB",
    "UAE": "AE",
    "DRC": "CD",
    "PRC": "CN",
    "ROK": "KR",
    "DPRK": "KP",
}
# Country names that are also common first names: need not to look like part of a name.
NAME_LIKE_COUNTRIES = frozenset({"jordan", "chad"})

# City names (population >= 15k somewhere) that are mostly something else in news text.
CITY_STOPLIST = frozenset(
    _split(
        """
of police nice reading mobile split bath deal most sale gap bar independence providence
surprise enterprise aurora victoria florence jackson lincoln austin hamilton orange
phoenix mercedes temple columbia lafayette buffalo garland irving mesa sandy chelsea
arsenal liberty union unity progress concord harmony hope faith joy justice mission
young lima of-the march bristol york mary paris-texas obama clinton carson marion warren
franklin madison lancaster jefferson monroe washington-court hollywood santa david salem
eden ramadi trend media time summit vista plano spring normal bend eagle tyler troy
sterling barrie guelph newcastle kent waterloo gary jersey vienna-va cork anderson davis
kingston charlotte brest tours nancy metz troyes angers valence pau laval alexandria
regina sherbrooke richmond harlow rugby lorca lugo male as
"""
    )
)
