"""Render one PDF per record of a QWeb report with as few wkhtmltopdf calls as possible.

A wkhtmltopdf call costs about a second whatever it prints (Odoo passes it a JavaScript delay,
``report.print_delay``), so a dunning run that renders its letters one by one spends most of
its time waiting. Odoo can render several records in one call and split the result by the PDF
outline, but only with a wkhtmltopdf built on patched Qt: the builds of the Linux
distributions (the one ``./dev`` installs) refuse several documents in one call.

So the records are laid out as *one* document, each starting on a new page with a marker: an
invisible block link to ``https://credit-control.invalid/record/<id>``. Debian's wkhtmltopdf
(0.12.6, unpatched Qt) keeps links as PDF link annotations on the page where they are drawn
(verified: a link needs a box at least 1 px high, hence ``height: 1px`` taken back by a
negative margin, so that the marker adds nothing to the layout), so each record's pages run from
the page of its marker to the page before the next record's. The markers are removed from the
pages cut out. A record whose range is not certain (its marker or the next record's is missing)
is rendered again alone, and its PDF is then whole.
"""
import io

import lxml.html

from odoo import modules, tools
from odoo.tools import split_every
from odoo.tools.pdf import ArrayObject, NameObject, PdfFileReader, PdfFileWriter

MARKER_URL = "https://credit-control.invalid/record/"
MARKER_STYLE = "display: block; height: 1px; margin-bottom: -1px; overflow: hidden;"
RECORDS_PER_CALL = 250  # records rendered per wkhtmltopdf call (the HTML of a call is in memory)


def render_per_record(env, report_ref, records, data=None):
    """``({record id: content}, format)`` of ``report_ref`` for each of ``records`` (``data``:
    the report's own values, e.g. a statement's period), ``RECORDS_PER_CALL`` records per
    wkhtmltopdf call whatever their page counts.

    The format is ``"pdf"``, except where Odoo itself renders HTML instead of calling
    wkhtmltopdf (tests without the ``force_report_rendering`` context): ``"html"``.
    """
    contents, report_format = {}, "pdf"
    for chunk in split_every(RECORDS_PER_CALL, records.ids, records.browse):
        rendered, report_format = _render_chunk(env, report_ref, chunk, data)
        contents.update(rendered)
    return contents, report_format


def _render_chunk(env, report_ref, records, data):
    Report = env["ir.actions.report"].with_context(debug=False)
    html = Report._render_qweb_html(
        report_ref, records.ids, data={**(data or {}), "report_type": "pdf", "debug": False})[0]
    bodies, body_ids, header, footer, paper = Report._get_report(report_ref)._prepare_html(
        html, report_model=records._name)
    if sorted(body_ids) != sorted(records.ids):
        raise ValueError(f"{report_ref}: one article per record is expected, got {body_ids}")
    if (modules.module.current_test or tools.config["test_enable"]) and not env.context.get("force_report_rendering"):
        return {record_id: body.encode() for record_id, body in zip(body_ids, bodies, strict=True)}, "html"

    def run(ids, bodies):
        html = _one_document(ids, bodies) if len(ids) > 1 else bodies[0]
        return Report._run_wkhtmltopdf(
            [html], report_ref=report_ref, header=header, footer=footer,
            specific_paperformat_args=paper)

    pdf = run(body_ids, bodies)
    if len(body_ids) == 1:
        return {body_ids[0]: pdf}, "pdf"
    reader = PdfFileReader(io.BytesIO(pdf))
    ranges = _page_ranges(reader, body_ids)
    return {
        record_id: _pages(reader, ranges[record_id]) if record_id in ranges else run([record_id], [body])
        for record_id, body in zip(body_ids, bodies, strict=True)
    }, "pdf"


def _page_ranges(reader, record_ids):
    """``{record id: range of page numbers}`` from the markers of ``reader``'s pages, for the
    records (in document order) whose first page and the next record's are both known."""
    starts = {}
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            if _is_marker(annotation):
                uri = str(annotation.get_object()["/A"]["/URI"])
                starts.setdefault(int(uri.removeprefix(MARKER_URL)), number)
    ends = [starts.get(record_id) for record_id in record_ids[1:]] + [len(reader.pages)]
    return {
        record_id: range(starts[record_id], end)
        for record_id, end in zip(record_ids, ends, strict=True)
        if record_id in starts and end is not None and end > starts[record_id]
    }


def _is_marker(annotation):
    return str(annotation.get_object().get("/A", {}).get("/URI", "")).startswith(MARKER_URL)


def _pages(reader, numbers):
    """The PDF of the pages ``numbers`` of ``reader``, without the markers."""
    writer = PdfFileWriter()
    for number in numbers:
        page = writer.add_page(reader.pages[number])
        annotations = page.get("/Annots") or []
        kept = [annotation for annotation in annotations if not _is_marker(annotation)]
        if len(kept) < len(annotations):
            page[NameObject("/Annots")] = ArrayObject(kept)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


def _one_document(record_ids, bodies):
    """The HTML documents ``bodies`` (one per record of ``record_ids``, same head) as one, each
    record on a new page and starting with its marker.

    A ``<style>`` block that a record repeats (a report's own styles, in each article) is kept
    once: wkhtmltopdf matches every block against every element, so with one block per record
    the call grows with the square of the records (measured: 250 one-page statements in 68 s
    with their 250 blocks, 7.4 s with one)."""
    root = lxml.html.document_fromstring(bodies[0])
    body = root.find("body")
    body.insert(0, _marker(record_ids[0], MARKER_STYLE))
    styles = {style.text for style in body.iter("style")}
    for record_id, other in zip(record_ids[1:], bodies[1:], strict=True):
        nodes = lxml.html.document_fromstring(other).find("body")
        for style in list(nodes.iter("style")):
            if style.text in styles:
                style.drop_tree()
            styles.add(style.text)
        body.append(_marker(record_id, f"page-break-before: always; {MARKER_STYLE}"))
        body.extend(nodes)
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _marker(record_id, style):
    return lxml.html.Element("a", href=f"{MARKER_URL}{record_id}", style=style)
