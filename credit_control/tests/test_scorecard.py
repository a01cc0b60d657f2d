from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CreditCommon

TODAY = date(2026, 6, 30)


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestScorecard(CreditCommon):
    """Points per band, the weighted score and its breakdown, suggested grade and limit with
    the grade's cap and the insurance cover."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["credit.rating.agency"].create({"name": "Test Bureau"})
        cls.scorecard = cls.env["credit.scorecard"].create({
            "name": "Test card", "company_id": cls.company.id,
            "factor_ids": [
                Command.create({"factor": "days_late", "weight": 50, "band_ids": [
                    Command.create({"value_from": 0, "points": 100}),
                    Command.create({"value_from": 10, "points": 50}),
                    Command.create({"value_from": 30, "points": 0})]}),
                Command.create({"factor": "overdue_limit", "weight": 30, "band_ids": [
                    Command.create({"value_from": 0, "points": 100}),
                    Command.create({"value_from": 50, "points": 0})]}),
                Command.create({"factor": "rating", "agency_id": cls.agency.id, "weight": 20, "band_ids": [
                    Command.create({"value_from": 0, "points": 0}),
                    Command.create({"value_from": 50, "points": 60}),
                    Command.create({"value_from": 80, "points": 100})]}),
            ]})
        cls.company.write({"credit_scorecard_id": cls.scorecard.id, "credit_limit_rule": "sales",
                           "credit_limit_rule_pct": 20.0})
        # Paid 20 days late (weight 1000); 400 overdue against a limit of 1,000 = 40 %.
        cls.payer = cls.make_customer("Scored Co", limit=1000.0)
        invoice = cls.make_invoice(cls.payer, 1000.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
        cls.pay(invoice, 1000.0, date=date(2026, 5, 21))
        cls.make_invoice(cls.payer, 400.0, invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
        cls.Snapshot = cls.env["credit.partner.snapshot"]

    def score(self, partner):
        self.Snapshot._snapshot(self.company, partners=partner)
        return self.Snapshot.search([("partner_id", "=", partner.id), ("date", "=", TODAY)])

    def test_points_per_band(self):
        days_late = self.scorecard.factor_ids[0]
        for value, points in [(-5, 100), (0, 100), (9.99, 100), (10, 50), (29.5, 50), (30, 0), (400, 0),
                              (None, None)]:
            self.assertEqual(days_late._points(value), points, value)
        self.assertIsNone(self.env["credit.scorecard.factor"].new({"factor": "dso"})._points(12))

    def test_score_breakdown_grade_and_limit(self):
        row = self.score(self.payer)
        # days late 20 → 50 points (weight 50), overdue 40 % of the limit → 100 (weight 30);
        # no rating: left out. (50×50 + 30×100) / 80 = 68.75
        self.assertEqual(row.score, 69)
        self.assertEqual(
            [(line["factor"], line["value"], line["points"]) for line in row.score_breakdown],
            [("days_late", 20.0, 50), ("overdue_limit", 40.0, 100), ("rating", None, None)])
        self.assertIn("n/a", row.score_breakdown_html)
        self.assertIn("Average days late", self.payer.credit_score_breakdown_html)
        # Grade B (min 65) is the best the score reaches; sales 1,400 × 20 % = 280 → 200.
        self.assertEqual(row.suggested_grade_id, self.env.ref("credit_control.credit_grade_b"))
        self.assertEqual(row.suggested_limit, 200.0)
        live = self.Snapshot._compute_rows(self.company, TODAY, self.payer)[0]
        self.assertEqual((live["score"], live["suggested_limit"], live["score_breakdown"]),
                         (69, 200.0, row.score_breakdown))
        payer = self.payer
        self.assertEqual((payer.credit_score, payer.credit_suggested_grade_id, payer.credit_suggested_limit),
                         (69, row.suggested_grade_id, 200.0))
        # The latest rating of the agency counts: 85 → 100 points. (2500 + 3000 + 2000) / 100.
        Rating = self.env["credit.rating"]
        Rating.create({"partner_id": self.payer.id, "agency_id": self.agency.id, "score": 20, "date": "2026-01-01"})
        Rating.create({"partner_id": self.payer.id, "agency_id": self.agency.id, "score": 85, "date": "2026-06-01"})
        Rating.create({"partner_id": self.payer.id, "agency_id": self.agency.id, "score": 10, "date": "2026-07-15"})
        row = self.score(self.payer)
        self.assertEqual(row.score, 75)
        self.assertEqual(row.score_breakdown[2]["value"], 85.0)

    def test_suggested_limit_rules_and_caps(self):
        card = self.env["credit.scorecard"]
        grade = self.env["credit.grade"].create({"code": "CAP", "name": "Capped", "max_credit_limit": 5000.0})
        self.company.credit_limit_rule_pct = 100.0
        values = {"sales_12m": 6345.67}
        self.assertEqual(card._suggest_limit(self.company, values, {}, self.grade_e), 6300.0)  # no cap: E's is 0
        self.assertEqual(card._suggest_limit(self.company, values, {}, grade), 5000.0)
        self.assertEqual(card._suggest_limit(self.company, values, {}, grade, cover=4321.5), 4300.0)
        self.company.write({"credit_limit_rule": "revenue", "credit_limit_rule_pct": 20.0})
        self.assertEqual(card._suggest_limit(self.company, values, {"revenue": 10000.0}, grade), 2000.0)
        self.assertEqual(card._suggest_limit(self.company, values, {}, grade), 0.0)
        self.company.credit_limit_rule = "none"
        self.assertIsNone(card._suggest_limit(self.company, values, {}, grade))

    def test_insurance_cover_caps_the_suggestion(self):
        self.company.credit_limit_rule_pct = 100.0
        policy = self.make_policy(cap_credit_limit=True)
        self.make_cover(policy, self.payer, 1000.0)
        self.assertEqual(self.score(self.payer).suggested_limit, 1000.0)  # not 1,400
        policy.cap_credit_limit = False
        self.assertEqual(self.score(self.payer).suggested_limit, 1400.0)

    def test_financial_figures_and_years_in_business(self):
        self.scorecard.write({"factor_ids": [
            Command.create({"factor": "years_in_business", "weight": 10, "band_ids": [
                Command.create({"value_from": 0, "points": 0}), Command.create({"value_from": 5, "points": 100})]}),
            Command.create({"factor": "revenue", "weight": 10, "band_ids": [
                Command.create({"value_from": 0, "points": 0}),
                Command.create({"value_from": 1000000, "points": 100})]}),
        ]})
        self.payer.write({"credit_established_on": "2020-06-30", "credit_revenue": 1200000.0,
                          "credit_financials_currency_id": self.other_currency.id})
        # No date of the figures: the revenue is not scored. (2500 + 3000 + 1000) / 90
        row = self.score(self.payer)
        self.assertEqual(row.score, 72)
        self.assertEqual(row.score_breakdown[3]["value"], 6.0)
        # 1,200,000 EUR = 600,000 company currency: below the 1,000,000 band. 6500 / 100
        self.payer.credit_financials_date = "2025-12-31"
        row = self.score(self.payer)
        self.assertEqual(row.score_breakdown[4]["value"], 600000.0)
        self.assertEqual(row.score, 65)

    def test_configuration_is_checked(self):
        with self.assertRaises(ValidationError):
            self.env["credit.scorecard.factor"].create({"scorecard_id": self.scorecard.id, "factor": "rating"})
        with self.assertRaises(ValidationError):
            self.env["credit.scorecard.band"].create({"factor_id": self.scorecard.factor_ids[0].id,
                                                      "value_from": 99, "points": 101})
        with self.assertRaises(ValidationError):
            self.scorecard.factor_ids[0].weight = -1
        # Credit users do not see scorecards.
        with self.assertRaises(AccessError):
            self.scorecard.with_user(self.credit_user).read(["name"])
        # The default scorecard scores every factor of the shipped data.
        default = self.env.ref("credit_control.credit_scorecard_default")
        self.assertEqual(len(default.factor_ids), 12)
        self.assertEqual(default.total_weight, 115.0)
