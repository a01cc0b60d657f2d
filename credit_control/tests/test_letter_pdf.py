import io
import subprocess
from datetime import date, timedelta

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from odoo.addons.credit_control.reports.pdf_batch import render_per_record

from .common import CreditCommon

DUE = date(2026, 1, 1)


def pdf_text(content):
    """The text layer of a PDF as poppler's ``pdftotext`` reads it (what a search or a copy
    gets), whitespace collapsed."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def pdf_fonts(content):
    """The base font names a PDF embeds."""
    reader = PdfFileReader(io.BytesIO(content))
    return {str(font["/BaseFont"]) for page in reader.pages
            for font in (page["/Resources"].get("/Font") or {}).values()}


@tagged("post_install", "-at_install")
class TestLetterPdf(CreditCommon, HttpCase):
    """Real letters through wkhtmltopdf with the server's stylesheets (the normal case): the
    letterhead is on the page, the text is a real text layer in the customer's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["credit_control"], ["zh_CN"], overwrite=True)
        cls.company.write({
            "name": "Northwind Credit Ltd", "street": "1 Harbour Road", "city": "Hong Kong",
            "company_registry": "REG-2026-4711", "email": "credit@northwind.example.com",
        })
        cls.company.credit_dunning_procedure_id = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.english = cls.make_customer("Acme Trading Ltd", email="ap@acme.example.com", lang="en_US")
        cls.chinese = cls.make_customer("广州美达贸易有限公司", email="cw@meida.example.cn", lang="zh_CN", city="广州")

    def letters(self):
        """The formal demand letters of both customers, rendered in one wkhtmltopdf call."""
        # wkhtmltopdf fetches the stylesheets from this test server, as in production.
        self.env["ir.config_parameter"].set_param("report.url", self.base_url())
        events = self.events()
        pdfs, report_format = render_per_record(
            self.env(context=dict(self.env.context, force_report_rendering=True)),
            "credit_control.action_report_credit_dunning_letter", events)
        self.assertEqual(report_format, "pdf")
        return {event.partner_id: pdfs[event.id] for event in events}

    def events(self):
        """The pending demand events of both customers, 65 days after the due date."""
        for partner, amount in ((self.english, 1234.56), (self.chinese, 9000.0)):
            self.make_invoice(partner, amount, invoice_date=DUE - timedelta(days=30), due_date=DUE)
        engine = self.env["credit.dunning.engine"].sudo()
        day = DUE + timedelta(days=65)
        events = engine._create_pending_events(engine._plan(self.company, day, self.english | self.chinese), day)
        self.assertEqual(len(events), 2)
        return events

    def test_attachment_named_in_customer_language(self):
        events = self.events()
        attachments = self.env["credit.dunning.engine"]._render_letters(events)
        for event in events:
            level = event.level_id.with_context(lang=event.partner_id.lang).name
            self.assertEqual(attachments[event.id].name.split(" - ")[:2], [level, event.partner_id.name])
        names = {event.partner_id: attachments[event.id].name.split(" - ")[0] for event in events}
        self.assertNotEqual(names[self.chinese], names[self.english])  # the level's zh_CN name

    def test_text_layer_english_and_chinese(self):
        pdfs = self.letters()
        english, chinese = pdf_text(pdfs[self.english]), pdf_text(pdfs[self.chinese])
        for text in (english, chinese):
            # The letterhead and footer: sender, address, registration.
            self.assertIn("Northwind Credit Ltd", text)
            self.assertIn("1 Harbour Road", text)
            self.assertIn("REG-2026-4711", text)
        self.assertIn("Acme Trading Ltd", english)
        self.assertIn("Hong Kong, 03/07/2026", english)  # place and date, in each language's format
        self.assertIn("Hong Kong, 2026/03/07", chinese)
        self.assertIn("1,234.56", english)
        self.assertIn("Formal demand letter", english)
        self.assertIn("Yours faithfully", english)
        self.assertIn("Despite our earlier reminders", english)
        # The Chinese letter: the customer's name in Chinese characters (not Kangxi radicals),
        # the amount and the letter's words from zh_CN.po.
        self.assertIn("广州美达贸易有限公司", chinese)
        self.assertIn("9,000.00", chinese)
        self.assertIn("正式催款函", chinese)
        self.assertIn("此致", chinese)
        self.assertNotIn("Despite our earlier reminders", chinese)
        # Text in locally installed fonts, not outlines of the web font.
        for content in pdfs.values():
            fonts = pdf_fonts(content)
            self.assertTrue(fonts, "the PDF has no font: its text is drawn as outlines")
            self.assertTrue(all("DejaVu" in font or "WenQuanYi" in font for font in fonts), fonts)
        self.assertTrue(any("WenQuanYi" in font for font in pdf_fonts(pdfs[self.chinese])))
