"""Word documents: the draft of a Mitteilungsvorlage from the committee paper (heading, the text of the main
developments, the status table and the method note), for the IT office to finish in its own template."""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from ..paper import shared_parts
from ..report_tables import TEXT, ReportTable

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def draft_table(table: ReportTable) -> bool:
    """The tables of the paper that go into the draft: the status table the committee knows and the like-for-like
    one beside it; the others stay in the workbook and the print view."""
    return table.slug == "status" or table.slug.startswith("gleiche-basis-")


def _repeat_header(row) -> None:
    """Word repeats the row at the top of every page the table runs onto."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def add_table(document, table: ReportTable) -> None:
    caption = document.add_paragraph(table.title, style="Caption")
    caption.paragraph_format.keep_with_next = True
    numbers = {i for i, cell in enumerate(table.rows[0].cells, start=1) if cell.kind != TEXT} if table.rows else set()
    grid = document.add_table(rows=1, cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    _repeat_header(grid.rows[0])
    for index, heading in enumerate(table.header):
        paragraph = grid.rows[0].cells[index].paragraphs[0]
        paragraph.add_run(heading).bold = True
        if index in numbers:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        cells = grid.add_row().cells
        for index, text in enumerate([row.label, *(cell.display for cell in row.cells)]):
            paragraph = cells[index].paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = row.is_total
            if index in numbers:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def add_note(document, lead: str, lines) -> None:
    paragraph = document.add_paragraph(style="List Bullet")
    paragraph.add_run(lead).bold = True
    paragraph.add_run("; ".join(f"{key}: {value}" for key, value in lines) + ".")


def paper_document(paper) -> bytes:
    """The committee paper as a .docx draft of the Mitteilungsvorlage."""
    document = Document()
    document.core_properties.title = paper.heading
    document.core_properties.author = "Digitalisierungsmonitor"
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)

    document.add_paragraph("Mitteilungsvorlage – Entwurf")
    document.add_heading(paper.heading, level=1)
    years = ", ".join(str(r.year) for r in paper.rounds) or "keine"
    document.add_paragraph(
        f"Erstellt am {paper.made_on} mit dem Digitalisierungsmonitor aus den erfassten Bewertungen "
        f"(Erhebungsrunden: {years})."
    )

    document.add_heading("Sachlage", level=2)
    for sentence in paper.text:
        document.add_paragraph(sentence)

    tables = [table for table in paper.tables() if draft_table(table)]
    heading = "Umsetzungsstatus"
    if not tables and paper.blocks:  # no survey round: the paper's first table (the OZG quotas) is the key table
        tables, heading = paper.blocks[0].tables[:1], paper.blocks[0].heading
    if tables:
        document.add_heading(heading, level=2)
        for table in tables:
            add_table(document, table)
            document.add_paragraph()

    document.add_heading("Methodische Hinweise", level=2)
    methods, titles = [], []
    for table in tables:
        if table.method not in methods:
            methods.append(table.method)
            titles.append(table.title)
    common, own = shared_parts(methods)
    if common:
        add_note(document, "Für alle Tabellen: ", common)
    for title, lines in zip(titles, own, strict=True):
        add_note(document, f"„{title}“: ", lines)
    for reason, sections in paper.missing:
        document.add_paragraph(f"Nicht enthalten ({reason}): {', '.join(sections)}.")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
