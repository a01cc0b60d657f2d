from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestReportsDemo(TransactionCase):
    """The demo database shows meaningful numbers in both reports."""

    def setUp(self):
        super().setUp()
        self.policy = self.env.ref("credit_control.demo_insurance_policy", raise_if_not_found=False)
        if not self.policy:
            self.skipTest("database installed without demo data")
        self.main = self.env.ref("base.main_company")

    def test_insured_exposure_demo(self):
        wizard = self.env["credit.insurance.report.wizard"].create({"policy_ids": self.policy.ids})
        rows, [summary] = wizard._build_rows()
        by_buyer = {row["partner_id"]: row for row in rows}
        sources = {xmlid: by_buyer[self.env.ref(f"credit_control.{xmlid}").id]["cover_source"]
                   for xmlid in ("demo_partner_huana", "demo_partner_hengtong", "demo_partner_meida",
                                 "demo_partner_vandijk", "demo_partner_lonestar")}
        self.assertEqual(sources, {
            "demo_partner_huana": "named", "demo_partner_hengtong": "named",
            "demo_partner_meida": "discretionary", "demo_partner_vandijk": "refused",
            "demo_partner_lonestar": "excluded"})
        hengtong = by_buyer[self.env.ref("credit_control.demo_partner_hengtong").id]
        self.assertEqual(hengtong["cover"], 8000.0)  # reduced cover
        self.assertAlmostEqual(hengtong["insured"], 7200.0)
        self.assertGreater(summary["insured"], 0.0)
        self.assertGreater(summary["uninsured"], 0.0)
        self.assertGreater(summary["hhi"], 0.0)

    def test_aging_demo(self):
        wizard = self.env["credit.aging.wizard"].create({"company_ids": self.main.ids})
        rows = wizard._build_rows()
        self.assertGreaterEqual(len(rows), 8)
        totals = [sum(row["buckets"][i] for row in rows) for i in range(6)]
        self.assertTrue(all(amount > 0 for amount in totals[1:4]), totals)  # 1-30, 31-60, 61-90
        self.assertGreater(totals[5], 0.0)  # over 120 days
        vandijk = self.env.ref("credit_control.demo_partner_vandijk")
        reasons = self.env["credit.exposure.engine"]._check(vandijk, self.main, 1.0, lock=False)
        self.assertIn("insurance_max_extension", [code for code, _message in reasons])

    def test_every_demo_customer_scored(self):
        partners = self.env["res.partner"].search([("id", "in", [
            self.env.ref(f"credit_control.demo_partner_{name}").id for name in (
                "huana", "hengtong", "meida", "yuanjing", "lvyuan", "mueller", "dupont", "vandijk",
                "nordic", "pacific", "lonestar")])]).with_company(self.main)
        snapshots = self.env["credit.partner.snapshot"].search(
            [("partner_id", "in", partners.ids), ("company_id", "=", self.main.id)])
        self.assertEqual(snapshots.partner_id, partners)
        for partner in partners:
            self.assertTrue(partner.credit_snapshot_date, partner.name)
            self.assertTrue(partner.credit_suggested_grade_id, partner.name)
            self.assertGreater(partner.credit_score, 0, partner.name)
        huana = self.env.ref("credit_control.demo_partner_huana").with_company(self.main)
        self.assertIn("External rating (Credit Bureau)", huana.credit_score_breakdown_html)
