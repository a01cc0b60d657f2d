import base64
import io
from datetime import date

import openpyxl
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

    def claim(self, partner, amount, cover=None):
        """A draft claim on a new declared invoice of ``partner`` (cover ``cover`` if given)."""
        if cover:
            self.make_cover(self.policy, partner, cover)
        invoice = self.make_invoice(partner, amount, invoice_date=date(2026, 2, 1), due_date=date(2026, 3, 3))
        invoice.action_credit_declare_insurer()
        return self.env["credit.insurance.claim"].browse(invoice.action_credit_insurance_claim()["res_id"])

    @freeze_time("2026-05-01")
    def test_claims_in_insured_exposure_report(self):
        # Customer: 1,800.00 expected (90 % of the cover of 2,000), 1,000.00 received: 800.00 open.
        partly = self.claim(self.customer, 3000.0)
        (partly.action_file(), partly.action_accept())
        partly._register_indemnity(1000.0, date(2026, 5, 1))
        # Second buyer: 900.00 filed; a draft claim of 360.00 is not counted.
        second = self.make_customer("Second Buyer")
        filed = self.claim(second, 1000.0, cover=5000.0)
        filed.action_file()
        self.assertEqual(self.claim(second, 400.0).amount_expected, 360.0)
        # Third buyer: 1,800.00 paid in full. Fourth: refused, owed nothing.
        third = self.make_customer("Third Buyer")
        paid = self.claim(third, 2000.0, cover=5000.0)
        (paid.action_file(), paid.action_accept())
        paid._register_indemnity(1800.0, date(2026, 5, 1))
        self.assertEqual(paid.state, "paid")
        fourth = self.make_customer("Fourth Buyer")
        refused = self.claim(fourth, 600.0, cover=5000.0)
        (refused.action_file(), refused.action_refuse())

        wizard = self.env["credit.insurance.report.wizard"].create({"policy_ids": [self.policy.id]})
        self.env.flush_all()
        with self.assertQueryCount(1):  # one grouped query for all the buyers
            claims = wizard._claims()
        self.assertEqual(claims, {(self.policy.id, self.customer.id): (800.0, 1000.0),
                                  (self.policy.id, second.id): (900.0, 0.0),
                                  (self.policy.id, third.id): (0.0, 1800.0)})
        wizard.action_compute()
        lines = {line.partner_id: (line.claims_open, line.claims_received) for line in wizard.line_ids}
        self.assertEqual(lines[self.customer], (800.0, 1000.0))
        self.assertEqual(lines[fourth], (0.0, 0.0))

        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)), data_only=True)
        buyers = workbook["Buyers"]
        header = [cell.value for cell in buyers[1]]
        open_col, received_col = header.index("Claims Open") + 1, header.index("Indemnity Received") + 1
        by_buyer = {buyers.cell(row, 1).value: (buyers.cell(row, open_col).value, buyers.cell(row, received_col).value)
                    for row in range(2, buyers.max_row)}
        self.assertEqual(by_buyer[self.customer.display_name], (800.0, 1000.0))
        self.assertEqual(by_buyer["Second Buyer"], (900.0, 0.0))
        self.assertEqual(by_buyer["Third Buyer"], (0.0, 1800.0))
        total_row = buyers.max_row
        self.assertEqual(buyers.cell(total_row, 1).value, f"Total {self.policy.currency_id.name}")
        self.assertEqual((buyers.cell(total_row, open_col).value, buyers.cell(total_row, received_col).value),
                         (1700.0, 2800.0))
        summary = workbook["Summary"]
        summary_header = [cell.value for cell in summary[1]]
        self.assertEqual((summary.cell(2, summary_header.index("Claims Open") + 1).value,
                          summary.cell(2, summary_header.index("Indemnity Received") + 1).value), (1700.0, 2800.0))
