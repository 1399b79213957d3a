"""A charset label names a character encoding or it is ignored: never an exception.

Regression (fuzz bug charset-codec, tests/fixtures/fuzz/ingest*--charset-codec--*.bin):
Python's codec registry also holds bytes-to-bytes codecs (base64, zlib, rot13) and text
codecs that are no charset (idna, punycode). `text/plain; charset=punycode` raised a
plain UnicodeError out of from_raw_body (HTTP 500), and decode_page, which "never
fails", raised for such a charset in a header or a <meta> (feeds, WARC and file ingest).
"""

from __future__ import annotations

import pytest

from services.ingest import requests
from services.ingest.decode import decode_page, text_codec

LIMITS = requests.Limits(max_body_bytes=1000, max_batch_lines=3)
NOT_CHARSETS = ["idna", "punycode", "base64", "rot13", "zlib", "hex", "bz2", "uu", "quopri", "undefined"]
NOT_CHARSETS += ["unicode_escape", "raw-unicode-escape", "bogus-charset", "", "utf-8\x00"]


@pytest.mark.parametrize("label", NOT_CHARSETS)
def test_labels_that_name_no_charset_are_unknown(label: str) -> None:
    assert text_codec(label) is None


@pytest.mark.parametrize(
    ("label", "codec"),
    [("UTF-8", "utf-8"), ("latin-1", "iso8859-1"), ("windows-1251", "cp1251"), ("Shift_JIS", "shift_jis")],
)
def test_real_charsets_keep_their_codec(label: str, codec: str) -> None:
    assert text_codec(label) == codec


@pytest.mark.parametrize("label", NOT_CHARSETS)
def test_decode_page_reads_such_a_page_as_utf8(label: str) -> None:
    body = "<p>café abc-9999999 \\x41</p>".encode()
    assert decode_page(body, f"text/html; charset={label}") == body.decode()
    meta = f'<meta charset="{label}"><p>caf\u00e9</p>'.encode()
    assert decode_page(meta, "text/html") == meta.decode()


def test_decode_page_still_uses_a_real_charset_from_the_header_or_meta() -> None:
    text = "Привет, мир"
    assert decode_page(text.encode("cp1251"), "text/html; charset=windows-1251") == text
    page = b'<meta charset="koi8-r">' + text.encode("koi8-r")
    assert decode_page(page).endswith(text)
    # a bogus header charset does not hide the page's own one
    assert decode_page(page, "text/html; charset=idna").endswith(text)


@pytest.mark.parametrize("label", NOT_CHARSETS)
@pytest.mark.parametrize("text", ["abc-9999999", "abc-9999999 café"])  # punycode: UnicodeError on the first
def test_raw_body_with_such_a_charset_is_decoded_not_refused(label: str, text: str) -> None:
    raw = requests.from_raw_body(text.encode(), "text/plain", LIMITS, None, label)
    assert raw.content == text


def test_raw_body_in_a_real_charset_is_decoded_with_it() -> None:
    raw = requests.from_raw_body(
        "Привет".encode("koi8-r"), "text/html", LIMITS, "https://x.example/a", "koi8-r"
    )
    assert (raw.content, raw.format) == ("Привет", "html")
