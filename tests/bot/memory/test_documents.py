from __future__ import annotations

import pytest

from bot.memory.documents import (
    DocumentError,
    extract_pages,
    guess_format,
    html_to_text,
    markdown_to_text,
)
from tests.bot.memory.pdf import minimal_pdf

PAGE = """<!doctype html><html><head><title>Ignored</title><style>p {color: red}</style>
<script>alert("x")</script></head><body><h1>Quarterly plan &amp; budget</h1>
<p>We move <b>billing</b> to Postgres.</p><ul><li>One</li><li>Two</li></ul></body></html>"""


def test_html_keeps_visible_text_in_blocks() -> None:
    text = html_to_text(PAGE)
    assert text.split("\n\n") == [
        "Quarterly plan & budget",
        "We move billing to Postgres.",
        "One",
        "Two",
    ]
    assert "alert" not in text and "color" not in text and "Ignored" not in text


def test_markdown_loses_markup_and_keeps_words() -> None:
    text = markdown_to_text(
        "# Plan\n\nUse **Postgres** and [the docs](http://x) for snake_case_id."
    )
    assert text == "Plan.\n\nUse Postgres and the docs for snake_case_id."


def test_pdf_text_comes_out_per_page() -> None:
    data = minimal_pdf(["First page about quasars.", "Second page (budget 42 euros)."])
    assert extract_pages(data, "pdf") == [
        "First page about quasars.",
        "Second page (budget 42 euros).",
    ]


def test_broken_pdf_is_a_document_error() -> None:
    with pytest.raises(DocumentError, match="cannot read PDF"):
        extract_pages(b"%PDF-1.4 nonsense", "pdf")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(DocumentError, match="unsupported"):
        extract_pages("x", "docx")


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.md", "x", "markdown"),
        ("page.HTM", "x", "html"),
        ("report.pdf", b"x", "pdf"),
        ("upload", b"%PDF-1.7 ...", "pdf"),
        ("https://example.org/a?b=1", "<html><body>x</body></html>", "html"),
        ("plain", "just words", "text"),
    ],
)
def test_format_is_guessed_from_name_then_content(
    name: str, data: str | bytes, expected: str
) -> None:
    assert guess_format(name, data) == expected


def test_bytes_are_decoded_as_utf8_or_latin1() -> None:
    assert extract_pages("café".encode(), "text") == ["café"]
    assert extract_pages("café".encode("latin-1"), "text") == ["café"]


def test_html_whose_head_is_never_closed_keeps_its_body() -> None:
    page = "<html><head><title>Menu</title><meta charset=utf-8><p>Soup of the day: leek.</p>"
    assert html_to_text(page) == "Soup of the day: leek."
    bare = "<head><title>Notes</title>Plain words after the title."
    assert html_to_text(bare) == "Plain words after the title."


def test_html_table_cells_stay_apart() -> None:
    table = "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr></table>"
    assert html_to_text(table).split("\n\n") == ["Name Age", "Ada 36"]
