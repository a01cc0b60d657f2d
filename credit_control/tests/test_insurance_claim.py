from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestInsuranceClaim(CreditCommon):
    """A claim from the declared invoices to the indemnity paid, booked balanced on the policy's
    accounts; the state is guarded and the decisions are the managers'."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.make_policy(
            claim_days=180, claim_journal_id=cls.company_data["default_journal_misc"].id,
            claim_debit_account_id=cls.company_data["default_journal_bank"].default_account_id.id,
            claim_credit_account_id=cls.company_data["default_account_revenue"].id)
        cls.make_cover(cls.policy, cls.customer, 2000.0)
        cls.invoice = cls.make_invoice(cls.customer, 3000.0, invoice_date=date(2026, 2, 1), due_date=date(2026, 3, 3))

    def test_declared_to_paid_with_balanced_entries(self):
        with freeze_time(date(2026, 5, 1)):
            with self.assertRaisesRegex(UserError, "declared invoices of one buyer"):
                self.invoice.with_user(self.credit_user).action_credit_insurance_claim()
            self.invoice.with_user(self.credit_user).action_credit_declare_insurer()
            action = self.invoice.with_user(self.credit_user).action_credit_insurance_claim()
            claim = self.env["credit.insurance.claim"].browse(action["res_id"])
            # The insured part: 90 % of the loss within the buyer's cover (2,000 of 3,000).
            self.assertEqual((claim.amount_loss, claim.amount_cover, claim.amount_expected), (3000.0, 2000.0, 1800.0))
            self.assertEqual(claim.date_deadline, date(2026, 8, 30))  # 180 days after the due date
            self.assertEqual(claim.state, "draft")
            with self.assertRaisesRegex(UserError, "through its buttons"):
                claim.with_user(self.credit_manager).write({"state": "paid"})
            claim.with_user(self.credit_user).action_file()
        self.assertEqual((claim.state, claim.date_filed), ("filed", date(2026, 5, 1)))
        with self.assertRaisesRegex(UserError, "draft claim"):
            claim.with_user(self.credit_manager).write({"move_ids": [(5, 0, 0)]})
        with self.assertRaises(AccessError):
            claim.with_user(self.credit_user).action_accept()
        claim.with_user(self.credit_manager).action_accept()
        first = claim.with_user(self.credit_manager)._register_indemnity(1000.0, date(2026, 6, 1))
        self.assertEqual(claim.state, "partial")
        second = claim.with_user(self.credit_manager)._register_indemnity(800.0, date(2026, 7, 1))
        self.assertEqual((claim.state, claim.amount_received), ("paid", 1800.0))
        entries = first | second
        self.assertEqual(claim.indemnity_move_ids, entries)
        self.assertEqual(set(entries.mapped("state")), {"posted"})
        lines = entries.line_ids
        self.assertEqual(sum(lines.mapped("debit")), 1800.0)
        self.assertEqual(sum(lines.mapped("credit")), 1800.0)
        self.assertEqual(sum(lines.filtered(lambda aml: aml.account_id == self.policy.claim_credit_account_id)
                             .mapped("balance")), -1800.0)
        self.assertEqual(lines.filtered(lambda aml: aml.debit).partner_id, self.policy.insurer_id)
        with self.assertRaisesRegex(UserError, "accepted claim"):
            claim.with_user(self.credit_manager)._register_indemnity(1.0, date(2026, 7, 2))

    def test_deadline_alert_once(self):
        self.invoice.action_credit_declare_insurer()
        claim = self.env["credit.insurance.claim"].browse(self.invoice.action_credit_insurance_claim()["res_id"])
        cron = self.env.ref("credit_control.ir_cron_credit_insurance_claim_alert")
        # Deadline 30 August; the policy alerts 7 days before.
        for day in (date(2026, 8, 22), date(2026, 8, 23), date(2026, 8, 24)):
            with freeze_time(day), self.enter_registry_test_mode():
                cron.method_direct_trigger()
            if day == date(2026, 8, 22):
                self.assertFalse(claim.activity_ids)
        self.assertEqual(claim.date_alerted, date(2026, 8, 23))
        self.assertEqual(len(claim.activity_ids.filtered(lambda a: a.user_id == self.credit_manager)), 1)
        self.assertEqual(claim.activity_ids[0].date_deadline, date(2026, 8, 30))
