from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestExposure(CreditCommon):
    """The exposure engine: components, currencies, no double counting, query count."""

    def test_components_two_currencies_partial_payments_credit_note(self):
        partner = self.make_customer("Exposure Co", limit=100000.0)
        # 1,000 in company currency, 60 days overdue, half paid.
        inv1 = self.make_invoice(partner, 1000.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
        self.pay(inv1, 500.0)
        # 4,000 EUR = 2,000 company currency, not yet due.
        self.make_invoice(partner, 4000.0, currency=self.other_currency,
                          invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))
        # Credit note of 300 reduces the receivable.
        self.make_invoice(partner, 300.0, move_type="out_refund", invoice_date=date(2026, 6, 25))
        # Draft invoice of 250.
        self.make_invoice(partner, 250.0, post=False)
        # Unapplied customer payment of 100.
        self.init_payment(100.0, post=True, date=date(2026, 6, 29), partner=partner)
        # Order of 2,000 EUR (1,000 company currency), confirmed, half invoiced in draft.
        order = self.make_order(partner, 2000.0, currency=self.other_currency, qty=4.0)
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_line_ids.quantity = 2.0

        figures = self.figures(partner)
        self.assertAlmostEqual(figures["receivable"], 500.0 + 2000.0 - 300.0 - 100.0)
        self.assertAlmostEqual(figures["draft_invoices"], 250.0 + 500.0)
        self.assertAlmostEqual(figures["uninvoiced_orders"], 500.0)
        self.assertAlmostEqual(figures["exposure"], 2100.0 + 750.0 + 500.0)
        self.assertAlmostEqual(figures["available"], 100000.0 - 3350.0)
        self.assertAlmostEqual(figures["overdue_amount"], 500.0)
        self.assertEqual(figures["oldest_overdue_days"], 60)
        # Posting the order's invoice moves its amount from draft to receivable.
        invoice.action_post()
        figures = self.figures(partner)
        self.assertAlmostEqual(figures["draft_invoices"], 250.0)
        self.assertAlmostEqual(figures["receivable"], 2100.0 + 500.0)
        self.assertAlmostEqual(figures["exposure"], 3350.0)
        # Partner fields show the same figures.
        self.assertAlmostEqual(partner.credit_exposure, 3350.0)
        self.assertAlmostEqual(partner.credit_uninvoiced_orders, 500.0)
        self.assertEqual(partner.credit_oldest_overdue_days, 60)
        # Fully paying the overdue invoice clears the overdue figures.
        self.pay(inv1, 500.0)
        self.assertEqual(self.figures(partner)["oldest_overdue_days"], 0)

    def test_contact_counts_for_commercial_partner(self):
        partner = self.make_customer("Parent Co", limit=5000.0)
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": partner.id})
        other = self.make_customer("Other Co", limit=5000.0)
        self.make_invoice(contact, 700.0)
        self.make_invoice(partner, 100.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        self.make_invoice(contact, 40.0, post=False)
        self.make_order(contact, 300.0).action_confirm()
        self.make_invoice(other, 11.0)
        figures = self.figures(contact)
        self.assertAlmostEqual(figures["receivable"], 800.0)
        self.assertAlmostEqual(figures["overdue_amount"], 100.0)
        self.assertEqual(figures["oldest_overdue_days"], 30)
        self.assertAlmostEqual(figures["draft_invoices"], 40.0)
        self.assertAlmostEqual(figures["uninvoiced_orders"], 300.0)
        self.assertAlmostEqual(partner.credit_exposure, 1140.0)
        # Several customers at once: each gets its own contacts' amounts only.
        result = self.env["credit.exposure.engine"]._compute_figures(partner | other, self.company)
        self.assertAlmostEqual(result[(partner.id, self.company.id)]["exposure"], 1140.0)
        self.assertAlmostEqual(result[(other.id, self.company.id)]["exposure"], 11.0)

    def test_two_companies_separate(self):
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        partner = self.make_customer("Shared Co", limit=1000.0)
        partner.with_company(company_2).credit_limit = 5000.0
        self.make_invoice(partner, 800.0)
        self.make_invoice(partner, 300.0, company=company_2)
        engine = self.env["credit.exposure.engine"]
        result = engine._compute_figures(partner, self.company | company_2)
        self.assertAlmostEqual(result[(partner.id, self.company.id)]["exposure"], 800.0)
        self.assertAlmostEqual(result[(partner.id, self.company.id)]["available"], 200.0)
        self.assertAlmostEqual(result[(partner.id, company_2.id)]["exposure"], 300.0)
        self.assertAlmostEqual(result[(partner.id, company_2.id)]["available"], 4700.0)
        # Grades are per company too: prepayment in company 2 only.
        partner.with_company(company_2).credit_grade_id = self.grade_e
        self.assertFalse(partner.credit_grade_id)
        order_1 = self.make_order(partner, 100.0)
        order_1.action_confirm()
        self.assertEqual(order_1.state, "sale")
        order_2 = self.make_order(partner, 100.0, company=company_2)
        with self.assertRaisesRegex(UserError, "requires prepayment"):
            order_2.action_confirm()

    def test_components_are_extendable_list(self):
        keys = [key for key, _label, _method in self.env["credit.exposure.engine"]._exposure_components()]
        self.assertEqual(keys, ["draft_invoices", "uninvoiced_orders"])

    def test_limit_validation(self):
        partner = self.make_customer("Capped Co", grade=self.grade_b)
        with self.assertRaisesRegex(ValidationError, "above the cap"):
            partner.credit_limit = 60000.0
        with self.assertRaisesRegex(ValidationError, "Credit Limit must be between 0.00 and"):
            partner.credit_limit = -1.0
        partner.credit_limit = 50000.0
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self.company.credit_tolerance_pct = 120.0
        with self.assertRaisesRegex(ValidationError, "reason"):
            partner.credit_hold = True

    def test_company_id_validation(self):
        with self.assertRaisesRegex(ValidationError, "unified social credit code"):
            self.env["res.partner"].create({
                "name": "Bad CN", "is_company": True, "country_id": self.env.ref("base.cn").id,
                "company_registry": "91310000MA1FL4X009"})
        good = self.env["res.partner"].create({
            "name": "Good CN", "is_company": True, "country_id": self.env.ref("base.cn").id,
            "company_registry": "91310000MA1FL4X008"})
        self.assertTrue(good)

    def test_vat_validation(self):
        """VAT numbers are checked by base_vat, Greek ones (prefix EL) included."""
        germany, greece = self.env.ref("base.de"), self.env.ref("base.gr")
        with self.assertRaisesRegex(ValidationError, r"811000005\] for partner \[Bad DE\] does not seem to be valid"):
            self.env["res.partner"].create({
                "name": "Bad DE", "is_company": True, "country_id": germany.id, "vat": "DE811000005"})
        good = self.env["res.partner"].create({
            "name": "Good DE", "is_company": True, "country_id": germany.id, "vat": "DE811000004"})
        self.assertEqual(good.vat, "DE811000004")
        with self.assertRaisesRegex(ValidationError, "does not seem to be valid"):
            self.env["res.partner"].create({
                "name": "Bad GR", "is_company": True, "country_id": greece.id, "vat": "EL094259217"})
        with self.assertRaisesRegex(ValidationError, "does not seem to be valid"):
            self.env["res.partner"].create({
                "name": "Bad GR, GR prefix", "is_company": True, "country_id": greece.id, "vat": "GR094259217"})
        with self.assertRaises(ValidationError):
            good.vat = "EL094259217"  # a Greek number on a German customer is checked too
        for vat in ("EL094259216", "GR094259216", "EL 094 259 216"):
            partner = self.env["res.partner"].create({
                "name": "Good GR", "is_company": True, "country_id": greece.id, "vat": vat})
            self.assertEqual(partner.vat, "EL094259216")

    def test_review_date_from_grade(self):
        partner = self.make_customer("Review Co")
        partner.credit_grade_id = self.grade_b
        self.assertEqual(partner.credit_review_date, date(2026, 12, 30))
