from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CreditCommon

DUE = date(2026, 1, 1)


@tagged("post_install", "-at_install")
class TestDunningDispute(CreditCommon):
    """A disputed invoice leaves dunning and the overdue figures, shows in the exposure as
    disputed, and resumes at the level due when the dispute is resolved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_dunning_procedure_id = cls.env.ref("credit_control.credit_dunning_procedure_standard")
        cls.customer.email = "ap@customer.example.com"
        cls.invoice = cls.make_invoice(cls.customer, 800.0, invoice_date=DUE - timedelta(days=30), due_date=DUE)
        cls.other = cls.make_invoice(cls.customer, 200.0, invoice_date=DUE - timedelta(days=30), due_date=DUE)

    def open_dispute(self, user=None, amount=300.0):
        action = self.invoice.with_user(user or self.credit_user).action_credit_dispute()
        form = Form(self.env["credit.dispute"].with_user(user or self.credit_user).with_context(**action["context"]))
        form.reason = "quality"
        form.amount = amount
        form.note = "Two sensors broken on delivery"
        return form.save()

    def test_dispute_excluded_then_resumed(self):
        dispute = self.open_dispute()
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(self.invoice.credit_dispute_state, "open")
        self.assertIn("dunning suspended", self.invoice.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "already has an open dispute"):
            self.invoice.action_credit_dispute()
        # Dunning covers the other invoice only.
        event = self.run_dunning(DUE + timedelta(days=8))
        self.assertEqual(event.line_ids.move_id, self.other)
        # Exposure: the disputed invoice is out of the overdue figures, flagged as disputed.
        with freeze_time(DUE + timedelta(days=8)):
            figures = self.figures(self.customer)
            self.assertEqual(figures["overdue_amount"], 200.0)
            self.assertNotIn("disputed_amount", figures)  # not the credit check's business
            self.assertEqual(figures["receivable"], 1000.0)
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.credit_disputed_amount, 300.0)
            self.assertEqual(self.customer.credit_overdue_amount, 200.0)
        self.assertEqual(self.env["account.move"].search(
            [("credit_dispute_state", "in", ["open"]), ("partner_id", "=", self.customer.id)]), self.invoice)
        # Resolved at 40 days: dunning resumes at the level due then (the call), not the reminder.
        with freeze_time(DUE + timedelta(days=39)):
            dispute.with_user(self.credit_user).write({"resolution": "Replacement sent"})
            dispute.with_user(self.credit_user).action_resolve()
        self.assertEqual((dispute.state, dispute.resolved_by_id), ("resolved", self.credit_user))
        with self.assertRaises(UserError):
            dispute.write({"amount": 1.0})
        events = self.run_dunning(DUE + timedelta(days=40))
        resumed = events.filtered(lambda e: self.invoice in e.line_ids.move_id)
        self.assertEqual(resumed.level_id, self.env.ref("credit_control.credit_dunning_level_call"))
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.credit_disputed_amount, 0.0)

    def test_dispute_validation(self):
        with self.assertRaises(ValidationError) as caught:
            self.open_dispute(amount=5000.0)
        self.assertIn("more than the invoice total", str(caught.exception))
        draft = self.make_invoice(self.customer, 100.0, post=False)
        with self.assertRaisesRegex(UserError, "Only posted customer invoices"):
            draft.action_credit_dispute()
        # Billing users may dispute too; salespeople may not.
        self.open_dispute(user=self.salesman_billing)
        with self.assertRaises(AccessError):
            self.env["credit.dispute"].with_user(self.salesman).create({
                "move_id": self.other.id, "amount": 10.0, "reason": "price"})
