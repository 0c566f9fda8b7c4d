"""Word output: the drafted contract's Markdown laid out as a .docx with python-docx.

Owns `to_docx(draft) -> bytes`. The Markdown the renderer produces uses a small,
fixed subset — `#` title, `##` numbered clause headings, `**bold**`, pipe tables
(item lists, signature block) and `- ` list lines — and each maps onto a Word element:
a centred title, headings, real Word tables, paragraphs. Fonts are set for Chinese text.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

BODY_FONT, HEADING_FONT = "宋体", "黑体"
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _set_font(style, name: str, size: float | None = None, bold: bool | None = None) -> None:
    style.font.name = name
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold


def new_document() -> Document:
    doc = Document()
    _set_font(doc.styles["Normal"], BODY_FONT, 10.5)
    _set_font(doc.styles["Title"], HEADING_FONT, 18, bold=True)
    for level, size in ((1, 14), (2, 12), (3, 10.5)):
        _set_font(doc.styles[f"Heading {level}"], HEADING_FONT, size, bold=True)
    return doc


def add_runs(paragraph, text: str) -> None:
    """Text with **bold** spans as separate runs."""
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            paragraph.add_run(text[pos:m.start()])
        paragraph.add_run(m.group(1)).bold = True
        pos = m.end()
    if pos < len(text):
        paragraph.add_run(text[pos:])


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def add_table(doc, lines: list[str]) -> None:
    """A pipe table (header, separator, rows) as a Word table with a bold header row."""
    rows = [_cells(ln) for ln in lines if not re.fullmatch(r"\|?[\s:|-]+\|?", ln.strip())]
    width = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for i, (row, row_obj) in enumerate(zip(rows, table.rows)):
        for j, cell in enumerate(row_obj.cells):  # one cell grid per row, not per cell
            add_runs(cell.paragraphs[0], row[j] if j < len(row) else "")
            if i == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
    doc.add_paragraph()


def styled(doc, style_name: str, ids: dict[str, str]):
    """A paragraph with a style set by id (python-docx's lookup by name rescans every style on each call)."""
    p = doc.add_paragraph()
    if style_name not in ids:
        ids[style_name] = doc.styles[style_name].style_id
    p._p.style = ids[style_name]
    return p


def add_block(doc, block: str, ids: dict[str, str]) -> None:
    if block.startswith("|"):
        add_table(doc, block.splitlines())
        return
    for prefix, style in (
        ("# ", "Title"),
        ("## ", "Heading 2"),
        ("### ", "Heading 3"),
        ("- ", "List Bullet"),
    ):
        if block.startswith(prefix):
            p = styled(doc, style, ids)
            add_runs(p, block[len(prefix):].strip())
            if style == "Title":
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            return
    p = doc.add_paragraph()
    if block.startswith("（"):
        p.paragraph_format.first_line_indent = Pt(21)
    add_runs(p, block)


def markdown_to_docx(markdown: str) -> bytes:
    """Blocks separated by blank lines -> a .docx document, as bytes."""
    doc = new_document()
    ids: dict[str, str] = {}
    for block in (b.strip() for b in markdown.split("\n\n")):
        if block:
            add_block(doc, block, ids)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_docx(draft) -> bytes:
    """The drafted contract (a Draft, or its to_dict()) as a Word document."""
    markdown = draft["markdown"] if isinstance(draft, dict) else draft.markdown
    return markdown_to_docx(markdown)
