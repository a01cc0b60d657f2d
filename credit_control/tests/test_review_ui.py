from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCreditReviewUi(HttpCase):
    """The review screens in headless Chromium: a controller proposes, a manager approves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.controller = new_test_user(
            cls.env, login="tour_controller", groups="credit_control.group_credit_user",
            company_id=cls.company.id)
        cls.manager = new_test_user(
            cls.env, login="tour_review_manager", groups="credit_control.group_credit_manager",
            company_id=cls.company.id)
        cls.company.credit_review_user_id = cls.controller
        grade = cls.env["credit.grade"].create({
            "code": "TRB", "name": "Tour Review B", "max_credit_limit": 50000.0, "review_interval_months": 6})
        cls.customer = cls.env["res.partner"].create({"name": "Tour Review Customer", "is_company": True})
        cls.customer.write({"credit_limit": 1000.0, "credit_grade_id": grade.id})
        product = cls.env["product.product"].create({
            "name": "Tour review product", "type": "service", "taxes_id": [Command.clear()]})
        order = cls.env["sale.order"].create({
            "partner_id": cls.customer.id,
            "order_line": [Command.create({
                "product_id": product.id, "price_unit": 900.0, "tax_ids": [Command.clear()]})],
        })
        order.action_confirm()
        today = fields.Date.context_today(cls.customer)
        cls.review = cls.env["credit.review"]._open_reviews(
            cls.customer, cls.company, "schedule", {cls.customer.id: today})

    def test_controller_proposes_manager_approves(self):
        self.assertEqual(self.review.exposure, 900.0)
        self.assertTrue(self.review.has_score)
        self.assertEqual(self.review.proposed_grade_id, self.review.suggested_grade_id)
        self.start_tour("/odoo/action-credit_control.credit_review_action",
                        "credit_control_review_propose_tour", login=self.controller.login)
        self.assertEqual(self.review.state, "proposed")
        self.assertEqual(self.review.proposed_by_id, self.controller)
        self.assertEqual(self.review.proposed_limit, 2000.0)
        self.start_tour(f"/odoo/action-credit_control.credit_review_action/{self.review.id}",
                        "credit_control_review_approve_tour", login=self.manager.login)
        self.assertEqual(self.review.state, "approved")
        self.assertEqual(self.customer.credit_limit, 2000.0)
        self.assertEqual(self.customer.credit_grade_id, self.review.suggested_grade_id)
        self.assertEqual(self.env["credit.audit.log"].search(
            [("partner_id", "=", self.customer.id)], limit=1).event_type, "review_approved")
