from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CreditCommon

DUE = date(2026, 1, 10)


@tagged("post_install", "-at_install")
class TestDunningReminders(CreditCommon):
    """A level of negative days: a courtesy reminder before the due date, never for a disputed
    or paid invoice, once, and the ladder goes on after the due date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.courtesy_template = cls.env.ref("credit_control.mail_template_dunning_courtesy")
        cls.procedure = cls.make_procedure("Courtesy", [
            {"days_overdue": -3, "send_email": True, "mail_template_id": cls.courtesy_template.id},
            {"days_overdue": 7, "send_email": True,
             "mail_template_id": cls.env.ref("credit_control.mail_template_dunning_reminder").id},
        ])
        cls.courtesy, cls.reminder = cls.procedure.level_ids.sorted("days_overdue")
        cls.company.credit_dunning_procedure_id = cls.procedure
        cls.customer.email = "ap@customer.example.com"

    def invoice(self, amount, partner=None):
        return self.make_invoice(partner or self.customer, amount, invoice_date=DUE - timedelta(days=30), due_date=DUE)

    def dun(self, day):
        with freeze_time(day):
            return self.run_dunning(day)

    def test_courtesy_reminder_then_ladder(self):
        invoice = self.invoice(400.0)
        self.assertFalse(self.dun(DUE - timedelta(days=4)))
        with freeze_time(DUE - timedelta(days=4)):
            invoice.invalidate_recordset()
            self.assertEqual(invoice.credit_dunning_next_level_id, self.courtesy)
            self.assertEqual(invoice.credit_dunning_next_date, DUE - timedelta(days=3))
            self.assertEqual(invoice.credit_days_overdue, 0)
        event = self.dun(DUE - timedelta(days=3))
        self.assertEqual(event.level_id, self.courtesy)
        self.assertEqual((event.line_ids.days_overdue, event.line_ids.amount_residual), (-3, 400.0))
        self.assertEqual(event.amount_total, 400.0)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", event.mail_message_id.id)])
        self.assertIn("upcoming payment", mail.subject)
        self.assertIn(invoice.name, mail.body_html)
        # Once: not again before the due date, nor on it.
        self.assertFalse(self.dun(DUE - timedelta(days=1)))
        self.assertFalse(self.dun(DUE))
        # After the due date, the ladder goes on.
        self.assertEqual(self.dun(DUE + timedelta(days=7)).level_id, self.reminder)

    def test_never_for_disputed_or_paid(self):
        disputed = self.invoice(300.0)
        paid = self.invoice(200.0)
        partly = self.invoice(500.0)
        self.env["credit.dispute"].create({
            "move_id": disputed.id, "company_id": self.company.id, "reason": "quality", "amount": 300.0})
        self.pay(paid, 200.0, date=DUE - timedelta(days=5))
        self.pay(partly, 100.0, date=DUE - timedelta(days=5))
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        event = self.dun(DUE - timedelta(days=2))
        # Only the open, undisputed invoice, for what is left to pay.
        self.assertEqual(event.line_ids.move_id, partly)
        self.assertEqual(event.line_ids.amount_residual, 400.0)

    def test_level_range(self):
        self.procedure.level_ids = [Command.create({"name": "Early", "days_overdue": -365})]
        with self.assertRaisesRegex(ValidationError, "Days Overdue must be between -365 and 3,650"):
            self.procedure.level_ids = [Command.create({"name": "Too early", "days_overdue": -366})]
