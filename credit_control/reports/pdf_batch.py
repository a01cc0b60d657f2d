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

wkhtmltopdf runs outside Python: while one call converts a batch, the next batch's HTML is
rendered, and two calls run at once (:data:`PARALLEL_CALLS`, one per core of a small server).
The calls of several records are made here rather than through ``ir.actions.report``'s
``_run_wkhtmltopdf``, whose ORM reads cannot run in a thread: the command is prepared in the
main thread with Odoo's own arguments, and only the process runs in a worker thread. That call
passes no session cookie to wkhtmltopdf, which these documents do not need: their images are
data URIs and the report assets are public.
"""
import io
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import lxml.html

from odoo import modules, tools
from odoo.exceptions import UserError
from odoo.tools import split_every
from odoo.tools.pdf import ArrayObject, NameObject, PdfFileReader, PdfFileWriter

from odoo.addons.base.models.ir_actions_report import _run_wkhtmltopdf as _wkhtmltopdf_process
from odoo.addons.base.models.ir_actions_report import _split_table

_logger = logging.getLogger(__name__)

MARKER_URL = "https://credit-control.invalid/record/"
MARKER_STYLE = "display: block; height: 1px; margin-bottom: -1px; overflow: hidden;"
# Records rendered per wkhtmltopdf call (the HTML of a call is in memory). A call costs about a
# second whatever it prints, but its time grows faster than its pages: one-page letters go 250 at
# a time, multi-page statements 125 (1,000 statements at L: 65 s in batches of 250, 39 s of 125).
RECORDS_PER_CALL = 250
PARALLEL_CALLS = 2  # wkhtmltopdf processes at once
LARGE_DOCUMENT = 4 * 1024 * 1024  # from this size Odoo splits long tables for wkhtmltopdf (so do we)


def render_per_record(env, report_ref, records, data=None, per_call=RECORDS_PER_CALL):
    """``({record id: content}, format)`` of ``report_ref`` for each of ``records`` (``data``:
    the report's own values, e.g. a statement's period), ``per_call`` records per wkhtmltopdf
    call whatever their page counts, ``PARALLEL_CALLS`` calls at once.

    The format is ``"pdf"``, except where Odoo itself renders HTML instead of calling
    wkhtmltopdf (tests without the ``force_report_rendering`` context): ``"html"``.
    """
    contents, converting = {}, []
    with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool:
        for chunk in split_every(per_call, records.ids, records.browse):
            batch = _prepare_batch(env, report_ref, chunk, data)
            if batch["format"] == "html":
                contents.update(zip(batch["ids"], (body.encode() for body in batch["bodies"]), strict=True))
                continue
            future = pool.submit(_convert, batch["args"], batch["header"], batch["footer"],
                                 _one_document(batch["ids"], batch["bodies"])) if len(batch["ids"]) > 1 else None
            converting.append((batch, future))
        for batch, future in converting:
            contents.update(_split_batch(env, report_ref, batch, future))
    return contents, "pdf" if converting or not contents else "html"


def _prepare_batch(env, report_ref, records, data):
    """The HTML of ``records`` (one body per record) and the wkhtmltopdf arguments of the
    report, read in the main thread."""
    Report = env["ir.actions.report"].with_context(debug=False)
    html = Report._render_qweb_html(
        report_ref, records.ids, data={**(data or {}), "report_type": "pdf", "debug": False})[0]
    report = Report._get_report(report_ref)
    bodies, body_ids, header, footer, paper = report._prepare_html(html, report_model=records._name)
    if sorted(body_ids) != sorted(records.ids):
        raise ValueError(f"{report_ref}: one article per record is expected, got {body_ids}")
    batch = {"ids": body_ids, "bodies": bodies, "header": header, "footer": footer, "paper": paper, "format": "pdf"}
    if (modules.module.current_test or tools.config["test_enable"]) and not env.context.get("force_report_rendering"):
        batch["format"] = "html"
    elif len(body_ids) > 1:
        batch["args"] = Report._build_wkhtmltopdf_args(
            report.get_paperformat(), False, specific_paperformat_args=paper)
    return batch


def _convert(args, header, footer, html):
    """``(return code, error output, PDF)`` of one wkhtmltopdf call on ``html``: files and
    process only (a worker thread's part, no ORM)."""
    with tempfile.TemporaryDirectory(prefix="credit_control_pdf.") as folder:
        files = []
        for name, content in (("--header-html", header), ("--footer-html", footer)):
            if content:
                path = os.path.join(folder, f"{name.strip('-')}.html")
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(content)
                files += [name, path]
        body, output = os.path.join(folder, "body.html"), os.path.join(folder, "report.pdf")
        if len(html) < LARGE_DOCUMENT:
            content = html.encode()
        else:
            tree = lxml.html.fromstring(html)
            _split_table(tree, 500)
            content = lxml.html.tostring(tree)
        with open(body, "wb") as handle:
            handle.write(content)
        process = _wkhtmltopdf_process([*args, *files, body, output])
        pdf = b""
        if os.path.exists(output):
            with open(output, "rb") as handle:
                pdf = handle.read()
        return process.returncode, process.stderr, pdf


def _split_batch(env, report_ref, batch, future):
    """``{record id: PDF}`` of a converted batch: each record's pages cut out of the batch's
    PDF, or the record rendered alone by Odoo when its pages are not certain. A failed call is
    the user error Odoo gives; a warning (exit code 1, e.g. an asset that could not be loaded)
    is logged, as Odoo does, and the PDF kept."""
    Report = env["ir.actions.report"].with_context(debug=False)

    def alone(body):
        return Report._run_wkhtmltopdf([body], report_ref=report_ref, header=batch["header"],
                                       footer=batch["footer"], specific_paperformat_args=batch["paper"])

    if future is None:
        return {batch["ids"][0]: alone(batch["bodies"][0])}
    code, error, pdf = future.result()
    if code not in (0, 1) or not pdf:
        raise UserError(env._("Wkhtmltopdf failed (error code: %(error_code)s). Message: %(message)s",
                              error_code=code, message=(error or "")[-1000:]))
    if code == 1:
        _logger.warning("wkhtmltopdf: %s", error)
    reader = PdfFileReader(io.BytesIO(pdf))
    ranges = _page_ranges(reader, batch["ids"])
    return {
        record_id: _pages(reader, ranges[record_id]) if record_id in ranges else alone(body)
        for record_id, body in zip(batch["ids"], batch["bodies"], strict=True)
    }


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
