"""Turn an uploaded document (text, Markdown, HTML, PDF) into plain text pages."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import PurePath

from pypdf import PdfReader

FORMATS = ("text", "markdown", "html", "pdf")
_BY_SUFFIX = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


class DocumentError(ValueError):
    """A document cannot be read as the format it claims to be."""


def guess_format(name: str, data: str | bytes) -> str:
    """Return the format of a document from its name, or from its first bytes."""
    by_suffix = _BY_SUFFIX.get(PurePath(name.split("?")[0]).suffix.lower())
    if by_suffix:
        return by_suffix
    head = data[:512] if isinstance(data, bytes) else data[:512].encode()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if re.search(rb"<(!doctype html|html|body|p|div)\b", head, re.IGNORECASE):
        return "html"
    return "text"


def extract_pages(data: str | bytes, fmt: str) -> list[str]:
    """Return the text of a document: one string per PDF page, one for other formats."""
    if fmt not in FORMATS:
        raise DocumentError(f"unsupported document format {fmt!r} (use one of {FORMATS})")
    if fmt == "pdf":
        return _pdf_pages(data if isinstance(data, bytes) else data.encode("latin-1"))
    text = data if isinstance(data, str) else _decode(data)
    if fmt == "html":
        return [html_to_text(text)]
    if fmt == "markdown":
        return [markdown_to_text(text)]
    return [text]


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML page, one block element per paragraph."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()


def markdown_to_text(markdown: str) -> str:
    """Return Markdown with its markup removed and its words kept."""
    text = re.sub(r"```[^\n]*\n", "\n", markdown)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images keep their text
    text = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[.:]?[ \t]*$", r"\1.", text, flags=re.MULTILINE)
    text = re.sub(r"^[ \t]{0,3}(>|[-*+]|\d+\.)[ \t]+", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|\*|`)(\S.*?\S|\S)\1", r"\2", text)
    return re.sub(r"(?<!\w)(__|_)(\S.*?\S|\S)\1(?!\w)", r"\2", text)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _pdf_pages(data: bytes) -> list[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        return [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for broken files
        raise DocumentError(f"cannot read PDF: {exc}") from exc


_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "pre",
        "blockquote",
        "dt",
        "dd",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "caption",
        "hr",
        "dl",
        "details",
        "summary",
    }
)
_CELLS = frozenset({"td", "th"})
_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
# What may stand in <head>; any other tag, or visible text, starts the body even when the page
# never closes its head (browsers read it so, and so must we, or the page reads as empty).
_HEAD_CONTENT = frozenset({"title", "meta", "link", "base", "style", "script", "noscript"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0
        self._in_head = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif self._in_head and tag not in _HEAD_CONTENT:
            self._in_head = False
        if tag == "title":  # the tab's name, not the page's text
            self._in_title = True
        elif tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self._parts.append("\n\n")
        elif tag in _CELLS:
            self._parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._parts.append("\n\n")
        elif tag in _CELLS:
            self._parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._hidden or self._in_title:
            return
        if self._in_head and data.strip():
            self._in_head = False  # visible text: the body has begun
        if not self._in_head:
            self._parts.append(data)

    def text(self) -> str:
        joined = "".join(self._parts)
        paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", joined))
        return "\n\n".join(p for p in paragraphs if p)
