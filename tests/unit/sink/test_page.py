"""The web page's files: shipped in the package, no HTML sinks for article data, strict CSP."""

import re

from services.sink.page import CSP, STATIC


def test_files_exist_and_html_loads_only_same_origin_assets() -> None:
    html = (STATIC / "index.html").read_text()
    assert {p.name for p in STATIC.iterdir()} >= {"index.html", "app.js", "style.css"}
    assert "<script>" not in html  # no inline script: the CSP forbids it anyway
    assert re.findall(r'src="([^"]+)"', html) == ["/static/app.js"]


def test_script_never_parses_data_as_html() -> None:
    js = (STATIC / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink


def test_csp_allows_only_same_origin_scripts() -> None:
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "default-src 'none'" in CSP
