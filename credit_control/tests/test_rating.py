from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import file_open

from .common import CreditCommon

FIELDS = ["partner_identifier", "agency_id", "score", "grade", "date", "source_document"]


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestRating(CreditCommon):
    """External ratings: history, the latest per agency, and the standard import matching
    customers by VAT number, company registry or name, all or nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bureau = cls.env["credit.rating.agency"].create({"name": "Import Bureau"})
        cls.insurer = cls.env["credit.rating.agency"].create({"name": "Import Insurer"})
        cls.by_vat = cls.make_customer("Rated by VAT", vat="BE0477472701")
        cls.by_registry = cls.make_customer("Rated by Registry", company_registry="HRB 12345")
        cls.by_name = cls.make_customer("Rated by Name")
        cls.Rating = cls.env["credit.rating"]

    def test_latest_per_agency(self):
        for agency, score, day in [(self.bureau, 40, "2026-01-10"), (self.bureau, 70, "2026-05-10"),
                                   (self.insurer, 3, "2026-02-01"), (self.bureau, 10, "2026-08-01")]:
            self.Rating.create({"partner_id": self.by_name.id, "agency_id": agency.id, "score": score, "date": day})
        latest = self.Rating._latest_scores(self.by_name.ids, date(2026, 6, 30))
        self.assertEqual(latest, {self.by_name.id: {self.bureau.id: 70.0, self.insurer.id: 3.0}})
        self.assertEqual(len(self.by_name.credit_rating_ids), 4)  # the history is kept
        contact = self.env["res.partner"].create({"name": "Clerk", "parent_id": self.by_name.id})
        with self.assertRaisesRegex(ValidationError, "is a contact"):
            self.Rating.create({"partner_id": contact.id, "agency_id": self.bureau.id, "score": 1})

    def test_import_matches_vat_registry_and_name(self):
        result = self.Rating.load(FIELDS, [
            ["BE 0477.472.701", "Import Bureau", "71", "BB", "2026-05-01", "R-1"],
            ["hrb12345", "Import Insurer", "4", "", "2026-05-02", "R-2"],
            ["Rated by Name", "Import Bureau", "55.5", "C", "2026-05-03", ""],
        ])
        self.assertFalse(result["messages"])
        ratings = self.Rating.browse(result["ids"])
        self.assertEqual(ratings.mapped("partner_id"), self.by_vat | self.by_registry | self.by_name)
        self.assertEqual(ratings.mapped("score"), [71.0, 4.0, 55.5])
        self.assertEqual(ratings[0].agency_id, self.bureau)

    def test_import_template(self):
        template = self.Rating.get_import_templates()[0]["template"]
        path = template.replace("/credit_control/", "", 1)
        with file_open(f"credit_control/{path}") as handle:
            header = handle.readline().strip().split(",")
        self.assertEqual(header[:5], ["Customer Identifier", "Agency", "Score", "Grade", "Date"])

    def test_import_bad_rows_import_nothing(self):
        self.make_customer("Twin Co")
        self.make_customer("Twin Co")
        before = self.Rating.search_count([])
        result = self.Rating.load(FIELDS, [
            ["BE0477472701", "Import Bureau", "71", "", "2026-05-01", ""],
            ["Nobody Ltd", "Import Bureau", "50", "", "2026-05-01", ""],
            ["Twin Co", "Import Bureau", "50", "", "2026-05-01", ""],
            ["", "Import Bureau", "50", "", "2026-05-01", ""],
        ])
        self.assertFalse(result["ids"])
        # Odoo's import reports each bad row, then the batch's first error on the first row
        errors = {}
        for message in result["messages"]:
            errors.setdefault(message["record"], message["message"])
        self.assertIn('No customer has the VAT number, company registry or name "Nobody Ltd"', errors[1])
        self.assertIn('"Twin Co" is ambiguous: 2 customers match it', errors[2])
        self.assertIn("A rating needs a customer", errors[3])
        self.assertEqual(self.Rating.search_count([]), before)

    def test_rights(self):
        rating = self.Rating.with_user(self.credit_user).create(
            {"partner_id": self.by_name.id, "agency_id": self.bureau.id, "score": 60})
        self.assertEqual(rating.display_name, "Import Bureau 60 (2026-06-30)")
        with self.assertRaisesRegex(ValidationError, "between"):
            rating.write({"date": "1800-01-01"})
