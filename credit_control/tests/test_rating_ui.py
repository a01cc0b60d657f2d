from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRatingUi(HttpCase):
    """The scored worklist, the customer's score breakdown and its trend in headless Chromium."""

    def test_scorecard_tour(self):
        if not self.env.ref("credit_control.demo_partner_mueller", raise_if_not_found=False):
            self.skipTest("needs the demo data")
        user = new_test_user(self.env, login="tour_controller", groups="credit_control.group_credit_user",
                             company_id=self.env.ref("base.main_company").id)
        self.start_tour("/odoo/action-credit_control.res_partner_action_credit",
                        "credit_control_scorecard_tour", login=user.login)
