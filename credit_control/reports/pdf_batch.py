"""Render one PDF per record of a QWeb report with as few wkhtmltopdf calls as possible.

A wkhtmltopdf call costs about a second whatever it prints (Odoo passes it a JavaScript delay,
``report.print_delay``), so a dunning run that renders its letters one by one spends most of
its time waiting. Odoo can render several records in one call and split the result by the PDF
outline, but only with a wkhtmltopdf built on patched Qt: the builds of the Linux
distributions (the one ``./dev`` installs) refuse several documents in one call.

So the records are laid out as *one* document, each starting on a new page, and the PDF is
cut page by page. That is right only when every record fills exactly one page: when the page
count says otherwise, the batch is halved until each half is either one page per record or a
single record (whose PDF is then whole, however many pages it has).
"""
import io

import lxml.html

from odoo import modules, tools
from odoo.tools.pdf import PdfFileReader, PdfFileWriter


def render_per_record(env, report_ref, records, data=None):
    """``({record id: content}, format)`` of ``report_ref`` for each of ``records`` (``data``:
    the report's own values, e.g. a statement's period).

    The format is ``"pdf"``, except where Odoo itself renders HTML instead of calling
    wkhtmltopdf (tests without the ``force_report_rendering`` context): ``"html"``.
    """
    if not records:
        return {}, "pdf"
    Report = env["ir.actions.report"].with_context(debug=False)
    html = Report._render_qweb_html(
        report_ref, records.ids, data={**(data or {}), "report_type": "pdf", "debug": False})[0]
    bodies, body_ids, header, footer, paper = Report._get_report(report_ref)._prepare_html(
        html, report_model=records._name)
    if sorted(body_ids) != sorted(records.ids):
        raise ValueError(f"{report_ref}: one article per record is expected, got {body_ids}")
    if (modules.module.current_test or tools.config["test_enable"]) and not env.context.get("force_report_rendering"):
        return {record_id: body.encode() for record_id, body in zip(body_ids, bodies, strict=True)}, "html"

    def pdf_pages(ids, bodies):
        pdf = Report._run_wkhtmltopdf(
            [_one_document(bodies)], report_ref=report_ref, header=header, footer=footer,
            specific_paperformat_args=paper)
        if len(ids) == 1:
            return {ids[0]: pdf}
        reader = PdfFileReader(io.BytesIO(pdf))
        if reader.getNumPages() != len(ids):
            half = len(ids) // 2
            return pdf_pages(ids[:half], bodies[:half]) | pdf_pages(ids[half:], bodies[half:])
        result = {}
        for number, record_id in enumerate(ids):
            writer = PdfFileWriter()
            writer.addPage(reader.getPage(number))
            stream = io.BytesIO()
            writer.write(stream)
            result[record_id] = stream.getvalue()
        return result

    return pdf_pages(body_ids, bodies), "pdf"


def _one_document(bodies):
    """The HTML documents ``bodies`` (one per record, same head) as one, each on a new page."""
    root = lxml.html.document_fromstring(bodies[0])
    body = root.find("body")
    for other in bodies[1:]:
        for node in lxml.html.document_fromstring(other).find("body"):
            node.set("style", f"page-break-before: always; {node.get('style') or ''}")
            body.append(node)
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
