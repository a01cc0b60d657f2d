from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCreditWarningUi(HttpCase):
    """A credit user opens a warning from the customer form and acknowledges it."""

    def test_open_warning_from_customer_tour(self):
        company = self.env.ref("base.main_company")
        user = new_test_user(self.env, login="tour_warning_user", company_id=company.id,
                             groups="credit_control.group_credit_user,base.group_partner_manager")
        customer = self.env["res.partner"].create({"name": "Tour Warned Customer", "is_company": True})
        warning = self.env["credit.warning"].with_user(user).create({
            "partner_id": customer.id, "company_id": company.id, "signal_type": "manual_lawsuit",
            "note": "<p>Sued by a supplier</p>"})
        warning.sudo().severity = "high"
        self.start_tour(f"/odoo/action-base.action_partner_form/{customer.id}", "credit_control_warning_tour",
                        login=user.login)
        self.assertEqual(warning.state, "acknowledged")
        self.assertEqual(warning.acknowledged_by_id, user)
