from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestCreditWarningSnapshot(CreditCommon):
    """The signals read from the daily credit snapshots (score drop, low score, lengthening
    payment cycle) and the credit review a warning opens."""

    def rule(self, signal, threshold=0.0, **values):
        return self.env["credit.warning.rule"].create({
            "name": f"Rule {signal}", "company_id": self.company.id, "signal_type": signal,
            "threshold": threshold, "activity_target": "none", **values})

    def snapshot(self, partner, day, **values):
        return self.env["credit.partner.snapshot"].sudo().create({
            "partner_id": partner.id, "company_id": self.company.id, "date": day, **values})

    def detect(self, day):
        with freeze_time(day):
            return self.env["credit.monitoring.engine"]._detect(self.company, date.fromisoformat(day))

    def test_score_drop_low_score_and_payment_cycle(self):
        drop = self.rule("score_drop", 15, window_days=90, severity="high")
        low = self.rule("score_low", 65)
        cycle = self.rule("payment_cycle", 10, window_days=90)
        steady = self.make_customer("Steady", limit=1000.0)
        for partner, past, now in ((self.customer, (80, 5.0, 40.0), (60, 20.0, 45.0)),
                                   (steady, (70, 3.0, 30.0), (68, 4.0, 38.0))):
            self.snapshot(partner, "2026-02-20", score=past[0] + 5, avg_days_late=0.0, dso=20.0)
            self.snapshot(partner, "2026-03-01", score=past[0], avg_days_late=past[1], dso=past[2])
            self.snapshot(partner, "2026-05-30", score=now[0], avg_days_late=now[1], dso=now[2])
        new = self.detect("2026-06-01")
        self.assertEqual({(w.partner_id, w.rule_id) for w in new},
                         {(self.customer, drop), (self.customer, low), (self.customer, cycle)})
        by_rule = {w.rule_id: w for w in new}
        # Against the latest snapshot at least 90 days old (1 March): 80 -> 60.
        self.assertRecordValues(by_rule[drop], [{"measured_value": 20.0, "threshold_value": 15.0,
                                                 "value_unit": "points", "severity": "high"}])
        self.assertEqual(by_rule[low].measured_value, 60.0)
        self.assertEqual(by_rule[cycle].measured_value, 15.0)  # days late 5 -> 20 (DSO only +5)
        self.assertFalse(self.detect("2026-06-01"))
        # The score recovers: the episode ends; a new drop later is a new warning.
        self.snapshot(self.customer, "2026-06-02", score=79, avg_days_late=5.0, dso=40.0)
        self.detect("2026-06-02")
        self.assertFalse(by_rule[drop].episode_open)
        self.assertFalse(by_rule[low].episode_open)

    def test_warning_opens_a_review(self):
        rule = self.rule("score_low", 50, action_review=True)
        self.snapshot(self.customer, "2026-05-30", score=30)
        warning = self.detect("2026-06-01")
        review = warning.review_id
        self.assertRecordValues(review, [{"partner_id": self.customer.id, "company_id": self.company.id,
                                          "state": "draft", "origin": "warning"}])
        self.assertIn(warning.name, review.message_ids[0].body)
        self.assertIn("opened", warning.action_note)
        # A second warning of the customer links the same open review.
        manual = self.env["credit.warning"].with_user(self.credit_user).create(
            {"partner_id": self.customer.id, "signal_type": "manual_news"})
        action = manual.with_user(self.credit_user).action_open_review()
        self.assertEqual(manual.review_id, review)
        self.assertEqual(action["res_id"], review.id)
        self.assertEqual(rule.warning_count, 1)
        self.assertEqual(review.warning_ids, warning | manual)
