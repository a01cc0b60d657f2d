import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-30")
class TestInsurance(CreditCommon):
    """Credit insurance: covers, insured/uninsured split, deadlines and their activity, the
    declaration, the maximum-extension block, the limit cap, the insured-exposure report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.make_policy()
        # Named cover 5,000 reduced to 2,000 on 1 June.
        cls.named = cls.make_customer("Named Buyer")
        cls.make_cover(cls.policy, cls.named, 5000.0)
        cls.make_cover(cls.policy, cls.named, 2000.0, state="reduced", date="2026-06-01")
        # Cover of 4,000 expired on 31 May: back to the discretionary limit of 1,000.
        cls.expired = cls.make_customer("Expired Buyer")
        cls.make_cover(cls.policy, cls.expired, 4000.0, expiry_date="2026-05-31")
        cls.discretionary = cls.make_customer("Discretionary Buyer")
        cls.withdrawn = cls.make_customer("Withdrawn Buyer")
        cls.make_cover(cls.policy, cls.withdrawn, 3000.0)
        cls.make_cover(cls.policy, cls.withdrawn, 0.0, state="withdrawn", date="2026-05-01")
        cls.excluded = cls.make_customer("Affiliate Buyer", credit_not_insurable=True)
        for partner, amount in ((cls.named, 3000.0), (cls.expired, 3000.0), (cls.discretionary, 500.0),
                                (cls.withdrawn, 800.0), (cls.excluded, 700.0)):
            cls.make_invoice(partner, amount, invoice_date=date(2026, 6, 20), due_date=date(2026, 7, 20))

    def report(self, user=None):
        env = self.env(user=user) if user else self.env
        return env["credit.insurance.report.wizard"].create({"policy_ids": [self.policy.id]})

    def test_covers_and_split(self):
        covers = self.policy._covers(
            self.named | self.expired | self.discretionary | self.withdrawn | self.excluded,
            date(2026, 6, 30))
        self.assertEqual(covers[self.named.id], (2000.0, "named"))
        self.assertEqual(covers[self.expired.id], (1000.0, "discretionary"))
        self.assertEqual(covers[self.discretionary.id], (1000.0, "discretionary"))
        self.assertEqual(covers[self.withdrawn.id], (0.0, "refused"))
        self.assertEqual(covers[self.excluded.id], (0.0, "excluded"))
        # Before the reduction the named cover was 5,000.
        self.assertEqual(self.policy._covers(self.named, date(2026, 5, 1))[self.named.id][0], 5000.0)
        self.assertEqual(self.named.with_company(self.company).credit_insurance_cover, 2000.0)

        rows, [summary] = self.report()._build_rows()
        by_buyer = {row["partner_id"]: row for row in rows}
        expected = {  # exposure, insured, uninsured
            self.named: (3000.0, 1800.0, 1200.0),  # min(3000, 2000) x 90 %
            self.expired: (3000.0, 900.0, 2100.0),  # discretionary 1,000 x 90 %
            self.discretionary: (500.0, 450.0, 50.0),
            self.withdrawn: (800.0, 0.0, 800.0),
            self.excluded: (700.0, 0.0, 700.0),
        }
        for partner, (exposure, insured, uninsured) in expected.items():
            row = by_buyer[partner.id]
            self.assertEqual((row["exposure"], row["insured"], row["uninsured"]),
                             (exposure, insured, uninsured), partner.name)
        self.assertEqual(by_buyer[self.named.id]["premium"], 7.5)  # 3,000 x 0.25 %
        self.assertEqual(by_buyer[self.excluded.id]["premium"], 0.0)
        self.assertEqual(summary["exposure"], 8000.0)
        self.assertEqual(summary["insured"], 3150.0)
        self.assertEqual(summary["uninsured"], 4850.0)
        self.assertAlmostEqual(summary["top_share"], 1.0)
        # HHI: 37.5² + 37.5² + 10² + 8.75² + 6.25²
        self.assertAlmostEqual(summary["hhi"], 3028.1)

    def test_report_view_and_xlsx(self):
        wizard = self.report()
        wizard.action_compute()
        self.assertEqual(len(wizard.line_ids), 5)
        self.assertIn("3,028", wizard.summary_html)
        line = wizard.line_ids.filtered(lambda rec: rec.partner_id == self.named)
        self.assertEqual(line.cover_source, "named")
        self.assertTrue(self.env["account.move"].search(line.action_open_invoices()["domain"]))
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        data = base64.b64decode(attachment.datas)
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        self.assertEqual(workbook.sheetnames, ["Summary", "Buyers", "Parameters"])
        buyers = workbook["Buyers"]
        header = [cell.value for cell in buyers[1]]
        self.assertEqual(header[:3], ["Buyer", "Policy", "Currency"])
        insured_col = header.index("Insured Exposure") + 1
        self.assertEqual(buyers.cell(buyers.max_row, insured_col).value, 3150.0)
        summary = workbook["Summary"]
        summary_header = [cell.value for cell in summary[1]]
        self.assertEqual(summary.cell(2, summary_header.index("Concentration (HHI)") + 1).value, 3028.1)
        self.assertEqual(summary.cell(2, summary_header.index("Coverage") + 1).number_format, "0.00%")

    def test_expiry_job(self):
        Cover = self.env["credit.insurance.limit"]
        expired, named = (Cover.search([("partner_id", "=", partner.id)], order="id")
                          for partner in (self.expired, self.named))
        self.assertEqual(expired.state, "granted")
        with self.enter_registry_test_mode():
            self.env.ref("credit_control.ir_cron_credit_insurance_expire").method_direct_trigger()
        self.assertEqual(expired.state, "expired")
        self.assertEqual(named.mapped("state"), ["granted", "reduced"])

    def test_notification_deadline_activity_and_declaration(self):
        soon = self.make_invoice(self.named, 100.0, invoice_date=date(2026, 3, 6),
                                 due_date=date(2026, 4, 5))  # deadline 4 July: in the 7-day window
        later = self.make_invoice(self.named, 100.0, invoice_date=date(2026, 5, 2),
                                  due_date=date(2026, 6, 1))  # deadline 30 August
        past = self.make_invoice(self.named, 100.0, invoice_date=date(2026, 2, 1),
                                 due_date=date(2026, 3, 1))  # deadline 30 May: passed
        uninsured = self.make_invoice(self.excluded, 100.0, invoice_date=date(2026, 3, 6),
                                      due_date=date(2026, 4, 5))
        self.assertTrue(soon.credit_insured)
        self.assertFalse(uninsured.credit_insured)
        self.assertEqual(soon.credit_insurance_notification_deadline, date(2026, 7, 4))
        self.assertEqual(soon.credit_insurance_max_extension_date, date(2026, 6, 4))
        activity_type = self.env.ref("credit_control.mail_activity_credit_insurance_deadline")

        def activities(move):
            return move.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

        cron = self.env.ref("credit_control.ir_cron_credit_insurance_alerts")
        mails_before = self.env["mail.mail"].search_count([])
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
            cron.method_direct_trigger()  # nothing twice
        self.assertEqual(activities(soon).user_id, self.company._credit_managers())
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)  # no assignment email each
        self.assertEqual(len(activities(soon).filtered(lambda a: a.user_id == self.credit_manager)), 1)
        self.assertEqual(activities(soon)[0].date_deadline, date(2026, 7, 4))
        self.assertFalse(activities(later) or activities(past) or activities(uninsured))
        rows, _summary = self.report()._build_rows()
        self.assertEqual(next(r for r in rows if r["partner_id"] == self.named.id)["late_count"], 1)

        with self.assertRaises(AccessError):
            soon.with_user(self.salesman_billing).action_credit_declare_insurer()
        soon.with_user(self.credit_user).action_credit_declare_insurer()
        self.assertEqual(soon.credit_insurance_declared_date, date(2026, 6, 30))
        declaration = self.env["credit.insurance.declaration"].search([("move_id", "=", soon.id)])
        self.assertTrue(declaration.in_time)
        self.assertEqual(declaration.user_id, self.credit_user)
        self.assertFalse(activities(soon))
        with self.assertRaisesRegex(UserError, "already declared"):
            soon.action_credit_declare_insurer()
        with self.assertRaises(UserError):
            declaration.write({"in_time": False})
        with self.assertRaisesRegex(UserError, "nothing to declare"):
            uninsured.action_credit_declare_insurer()

    def test_maximum_extension_block(self):
        engine = self.env["credit.exposure.engine"]
        self.named.credit_limit = 100000.0
        self.make_invoice(self.named, 100.0, invoice_date=date(2026, 4, 1),
                          due_date=date(2026, 5, 15))  # 46 days overdue
        codes = [code for code, _m in engine._check(self.named, self.company, 10.0, lock=False)]
        self.assertNotIn("insurance_max_extension", codes)
        self.make_invoice(self.named, 100.0, invoice_date=date(2026, 4, 1),
                          due_date=date(2026, 4, 15))  # 76 days overdue > 60
        reasons = dict(engine._check(self.named, self.company, 10.0, lock=False))
        self.assertIn("maximum extension period of 60 days", reasons["insurance_max_extension"])
        order = self.make_order(self.named, 10.0)
        with self.assertRaisesRegex(UserError, "maximum extension"):
            order.action_confirm()
        # The policy rule comes from the registry cache: changing the policy clears it.
        self.policy.max_extension_days = 90
        self.assertFalse(order._credit_error_message())
        self.policy.max_extension_days = 60
        self.assertIn("maximum extension", order._credit_error_message())
        self.policy.excluded_partner_ids = [Command.link(self.named.id)]
        self.assertFalse(order._credit_error_message())
        # Excluded buyers are not insured: no insurance block.
        self.excluded.credit_limit = 100000.0
        self.make_invoice(self.excluded, 100.0, invoice_date=date(2026, 4, 1), due_date=date(2026, 4, 15))
        codes = [code for code, _m in engine._check(self.excluded, self.company, 10.0, lock=False)]
        self.assertNotIn("insurance_max_extension", codes)

    def test_cap_credit_limit_at_cover(self):
        self.policy.cap_credit_limit = True
        buyer = self.make_customer("Capped Buyer", limit=5000.0)
        self.make_cover(self.policy.with_user(self.credit_manager), buyer, 3000.0)
        self.assertEqual(buyer.with_company(self.company).credit_limit, 3000.0)
        self.assertTrue(self.env["credit.audit.log"].search(
            [("partner_id", "=", buyer.id), ("event_type", "=", "limit"), ("new_amount", "=", 3000.0)]))
        with self.assertRaisesRegex(ValidationError, "insurance cover"):
            buyer.credit_limit = 4000.0
        buyer.credit_limit = 2500.0

    def test_validation(self):
        with self.assertRaisesRegex(ValidationError, "ends before"):
            self.make_policy(date_start="2026-06-01", date_end="2026-01-01")
        # The range is checked before the database's constraint is reached.
        with self.assertRaisesRegex(ValidationError, "Coverage"):
            self.make_policy(coverage_pct=120.0)
        with self.assertRaisesRegex(ValidationError, "needs an amount"):
            self.make_cover(self.policy, self.discretionary, 0.0, state="granted")

    def test_rights_and_companies(self):
        self.assertTrue(self.policy.with_user(self.credit_user).read(["name"]))
        with self.assertRaises(AccessError):
            self.policy.with_user(self.credit_user).write({"coverage_pct": 100.0})
        with self.assertRaises(AccessError):
            self.make_cover(self.policy.with_user(self.credit_user), self.discretionary, 10.0)
        with self.assertRaises(AccessError):
            self.discretionary.with_user(self.salesman_billing).credit_not_insurable = True
        with self.assertRaises(AccessError):
            self.report(user=self.salesman)
        self.assertEqual(len(self.report(user=self.credit_user)._build_rows()[0]), 5)
        company_2 = self.setup_other_company(name="Insured Co 2")["company"]
        policy_2 = self.make_policy(company=company_2)
        self.assertFalse(self.env["credit.insurance.policy"].with_user(self.credit_user).search(
            [("id", "=", policy_2.id)]))
        with self.assertRaises(AccessError):
            self.env["credit.insurance.report.wizard"].with_user(self.credit_user).create(
                {"policy_ids": [policy_2.id]})._build_rows()
