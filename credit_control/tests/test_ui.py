from odoo import Command
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCreditUi(HttpCase):
    """The key screens in headless Chromium, and the rights over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.main_company")
        cls.salesman = new_test_user(
            cls.env, login="tour_salesman", groups="sales_team.group_sale_salesman",
            company_id=company.id)
        cls.billing_salesman = new_test_user(
            cls.env, login="tour_billing",
            groups="sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
            company_id=company.id)
        cls.manager = new_test_user(
            cls.env, login="tour_manager",
            groups="credit_control.group_credit_manager,sales_team.group_sale_manager",
            company_id=company.id)
        cls.customer = cls.env["res.partner"].create({"name": "Tour Customer", "is_company": True})
        cls.customer.credit_limit = 100.0
        product = cls.env["product.product"].create({
            "name": "Tour product", "type": "service", "taxes_id": [Command.clear()]})
        cls.order = cls.env["sale.order"].with_user(cls.salesman).create({
            "partner_id": cls.customer.id,
            "order_line": [Command.create({
                "product_id": product.id, "price_unit": 500.0, "tax_ids": [Command.clear()]})],
        })

    def test_menu_and_settings_tour(self):
        if not self.env.ref("credit_control.demo_partner_dupont", raise_if_not_found=False):
            self.skipTest("needs the demo data")
        user = new_test_user(self.env, login="tour_credit_user",
                             groups="credit_control.group_credit_manager,base.group_system,account.group_account_manager")
        self.start_tour("/odoo", "credit_control_menu_tour", login=user.login)

    def test_aging_report_tour(self):
        user = new_test_user(self.env, login="tour_aging", groups="credit_control.group_credit_user")
        self.start_tour("/odoo/action-credit_control.credit_aging_wizard_action",
                        "credit_control_aging_tour", login=user.login)

    def test_block_release_approve_confirm_tour(self):
        order_url = f"/odoo/action-sale.action_quotations_with_onboarding/{self.order.id}"
        self.start_tour(order_url, "credit_control_request_release_tour", login="tour_salesman")
        request = self.order.credit_release_ids
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.requested_by_id, self.salesman)
        self.start_tour(
            f"/odoo/action-credit_control.credit_release_request_action/{request.id}",
            "credit_control_approve_release_tour", login="tour_manager")
        self.assertEqual(request.state, "approved")
        self.start_tour(order_url, "credit_control_confirm_released_tour", login="tour_salesman")
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(request.state, "used")

    def _call(self, model, method, args, context):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args,
            "kwargs": {"context": context}})

    def test_rpc_cannot_bypass_with_context_keys(self):
        forged = {"tracking_disable": True, "mail_notrack": True, "credit_bypass": True,
                  "credit_release_create": True, "force_confirm": True, "su": True}
        self.authenticate("tour_billing", "tour_billing")
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("res.partner", "write", [[self.customer.id], {"credit_limit": 1e9}], forged)
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self._call("sale.order", "action_confirm", [[self.order.id]], forged)
        self._call("sale.order", "action_credit_release_request", [[self.order.id]], forged)
        request = self.order.credit_release_ids
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("credit.release.request", "action_approve", [request.ids], forged)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("credit.release.request", "write", [request.ids, {"state": "approved"}], forged)
        self.assertEqual(self.customer.credit_limit, 100.0)
        self.assertEqual(request.state, "pending")
        self.assertEqual(self.order.state, "draft")

    def test_payment_plan_from_customer_tour(self):
        user = new_test_user(self.env, login="tour_plan_user", groups="credit_control.group_credit_user")
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id,
            "invoice_date": "2026-01-01", "invoice_date_due": "2026-01-01",
            "invoice_line_ids": [Command.create({"name": "Overdue work", "quantity": 1, "price_unit": 900.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()
        self.start_tour(f"/odoo/action-credit_control.res_partner_action_credit/{self.customer.id}",
                        "credit_control_payment_plan_tour", login=user.login)
        plan = self.env["credit.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((plan.state, plan.move_ids), ("draft", invoice))
        self.assertEqual(plan.line_ids.mapped("amount"), [450.0, 450.0])
        self.assertEqual(plan.create_uid, user)
    def test_overview_figure_opens_its_list_tour(self):
        """The Credit app's first screen: a figure (blocked quotations) opens its list."""
        user = new_test_user(self.env, login="tour_overview",
                             groups="credit_control.group_credit_user,sales_team.group_sale_salesman_all_leads")
        company = self.env.ref("base.main_company")
        # Only the Tour Customer's quotation stays blocked (the demo has others).
        (self.env["sale.order"]._credit_blocked_quotations(company) - self.order).sudo()._action_cancel()
        self.assertEqual(self.env["sale.order"]._credit_blocked_quotations(company), self.order)
        self.start_tour("/odoo/action-credit_control.credit_overview_action",
                        "credit_control_overview_tour", login=user.login)

    def test_statement_from_customer_form_tour(self):
        user = new_test_user(self.env, login="tour_statement", groups="credit_control.group_credit_user")
        self.customer.email = "ap@tour.example.com"
        self.start_tour(f"/odoo/action-credit_control.res_partner_action_credit/{self.customer.id}",
                        "credit_control_statement_tour", login=user.login)
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.customer.ids)])
        self.assertEqual(len(mail), 1)
        self.assertIn("statement of account", mail.subject)
        self.assertEqual(mail.attachment_ids.res_id, self.customer.id)


@tagged("post_install", "-at_install")
class TestActivityViews(HttpCase):
    """Every model of the add-on with activities has an activity view, offered by its menu's
    window action."""

    def test_activity_view_in_each_action(self):
        models = [name for name in self.env.registry["mail.activity.mixin"]._inherit_children
                  if name.startswith("credit.")]
        self.assertEqual(sorted(models), [
            "credit.insurance.claim", "credit.limit.request", "credit.payment.plan",
            "credit.release.request", "credit.review", "credit.warning"])
        for name in models:
            arch = self.env[name].get_views([(False, "activity")])["views"]["activity"]["arch"]
            self.assertIn("activity-box", arch, name)
            actions = self.env["ir.actions.act_window"].search([("res_model", "=", name)])
            self.assertTrue(actions, name)
            for action in actions:
                self.assertIn("activity", action.view_mode.split(","), f"{name}: {action.xml_id}")
