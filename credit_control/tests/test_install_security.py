from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestInstallSecurity(CreditCommon):
    """The module installs its groups, menus, settings and data, and each role sees only
    what it should."""

    def test_groups_and_implications(self):
        manager_group = self.env.ref("credit_control.group_credit_manager")
        user_group = self.env.ref("credit_control.group_credit_user")
        self.assertIn(user_group, manager_group.implied_ids)
        self.assertTrue(self.credit_manager.has_group("credit_control.group_credit_user"))
        # Salespeople and billing users are not credit managers by default.
        self.assertFalse(self.salesman.has_group("credit_control.group_credit_user"))
        self.assertFalse(self.salesman_billing.has_group("credit_control.group_credit_manager"))
        self.assertFalse(self.env.ref("sales_team.group_sale_manager") in manager_group.all_implied_by_ids)

    def test_menu_visibility_per_role(self):
        root = self.env.ref("credit_control.menu_credit_root")
        config = self.env.ref("credit_control.menu_credit_config")
        grades = self.env.ref("credit_control.menu_credit_grade")

        def visible(user):
            return set(self.env["ir.ui.menu"].with_user(user)._visible_menu_ids())

        self.assertNotIn(root.id, visible(self.salesman))
        self.assertIn(root.id, visible(self.credit_user))
        self.assertNotIn(config.id, visible(self.credit_user))
        self.assertIn(config.id, visible(self.credit_manager))
        self.assertIn(grades.id, visible(self.credit_manager))

    def test_grade_rights(self):
        self.assertTrue(self.grade_a.with_user(self.salesman).read(["code"]))
        with self.assertRaises(AccessError):
            self.grade_a.with_user(self.credit_user).write({"max_credit_limit": 1.0})
        self.grade_a.with_user(self.credit_manager).write({"max_credit_limit": 2000000.0})
        self.assertEqual(self.grade_a.max_credit_limit, 2000000.0)

    def test_default_grades_and_settings(self):
        grades = self.env["credit.grade"].search([("code", "in", list("ABCDE"))])
        self.assertEqual(sorted(grades.mapped("code")), list("ABCDE"))
        self.assertTrue(self.grade_e.prepayment_required)
        self.assertIn(self.term_60, self.grade_a.allowed_payment_term_ids)
        self.assertNotIn(self.term_60, self.env.ref("credit_control.credit_grade_c").allowed_payment_term_ids)
        settings = self.env["res.config.settings"].create({
            "credit_tolerance_pct": 10.0, "credit_block_invoice_posting": True,
            "credit_default_grade_id": self.grade_b.id})
        settings.execute()
        self.assertEqual(self.env.company.credit_tolerance_pct, 10.0)
        self.assertTrue(self.env.company.credit_block_invoice_posting)
        # New company customers get the default grade.
        partner = self.env["res.partner"].with_user(self.salesman).create({"name": "New Co", "is_company": True})
        self.assertEqual(partner.credit_grade_id, self.grade_b)

    def test_demo_data_loaded(self):
        """The demo database is installed with demo data: it must be complete."""
        dupont = self.env.ref("credit_control.demo_partner_dupont", raise_if_not_found=False)
        if not dupont:
            self.skipTest("database installed without demo data")
        main = self.env.ref("base.main_company")
        partners = self.env["res.partner"].sudo().with_company(main).search([("credit_grade_id", "!=", False)])
        self.assertGreaterEqual(len(partners), 10)
        request = self.env["credit.release.request"].sudo().search([("partner_id", "=", dupont.id)])
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.order_id, self.env.ref("credit_control.demo_order_dupont"))
        figures = self.figures(dupont, main)
        # 18,000 EUR at 0.92 EUR per USD.
        self.assertAlmostEqual(figures["receivable"], 19565.22, places=2)
        self.assertEqual(figures["oldest_overdue_days"], 35)
        hengtong = self.env.ref("credit_control.demo_partner_hengtong")
        # 150,000 CNY less a 50,000 CNY payment, at 7.10 CNY per USD.
        self.assertAlmostEqual(self.figures(hengtong, main)["receivable"], 14084.51, places=2)
