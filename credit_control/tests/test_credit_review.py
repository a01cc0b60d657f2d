from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.credit_control.models.credit_partner_snapshot import SNAPSHOT_COLUMNS

from .common import CreditCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-02")
class TestCreditReview(CreditCommon):
    """Credit reviews: opened by the daily job on the next review date or on demand, figures
    frozen, proposed by a controller, decided by a manager (another one to raise the limit),
    applied through the customer's audited path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.credit_review_user_id = cls.credit_user
        cls.make_invoice(cls.customer, 900.0, invoice_date=date(2026, 1, 15), due_date=date(2026, 2, 14))
        cls.customer.credit_review_date = date(2026, 3, 1)

    def open_due_reviews(self):
        with self.enter_registry_test_mode():
            self.env.ref("credit_control.ir_cron_credit_open_reviews").method_direct_trigger()
        self.env.invalidate_all()

    def reviews(self, partner=None):
        return self.env["credit.review"].search([("partner_id", "=", (partner or self.customer).id)], order="id")

    def audit(self, since=0):
        return self.env["credit.audit.log"].search(
            [("partner_id", "=", self.customer.id), ("id", ">", since)], order="id")

    def propose(self, review, user, grade, limit, next_review=None):
        with Form(review.with_user(user)) as form:
            form.proposed_grade_id = grade
            form.proposed_limit = limit
            if next_review:
                form.proposed_review_date = next_review
            form.proposal_comment = "<p>Pays on time; 2025 accounts attached.</p>"
        review.with_user(user).action_propose()

    def test_daily_job_opens_due_reviews_with_frozen_figures(self):
        later = self.make_customer("Reviewed Later", limit=500.0, grade=self.grade_b)
        self.assertEqual(later.credit_review_date, date(2026, 9, 2))  # the grade's 6-month interval
        self.open_due_reviews()
        review = self.reviews()
        self.assertRecordValues(review, [{
            "state": "draft", "origin": "schedule", "date_due": date(2026, 3, 1),
            "date_deadline": date(2026, 3, 16), "user_id": self.credit_user.id,
            "grade_id": self.grade_b.id, "credit_limit": 1000.0, "receivable": 900.0,
            "draft_invoices": 0.0, "uninvoiced_orders": 0.0, "exposure": 900.0, "overdue_amount": 900.0,
            "oldest_overdue_days": 16, "figures_date": date(2026, 3, 2), "currency_id": self.currency.id,
            "has_score": True}])
        # The frozen values are the day's credit snapshot, score and suggestions included, and
        # the proposal starts from the suggestion.
        self.env["credit.partner.snapshot"]._snapshot(self.company, date=date(2026, 3, 2), partners=self.customer)
        snapshot = self.env["credit.partner.snapshot"].search([("partner_id", "=", self.customer.id)])
        for column in SNAPSHOT_COLUMNS:
            with self.subTest(column=column):
                self.assertEqual(review[column], snapshot[column])
        self.assertTrue(review.suggested_grade_id)
        self.assertEqual(review.score_breakdown_html, snapshot.score_breakdown_html)
        self.assertEqual((review.proposed_grade_id, review.proposed_limit),
                         (review.suggested_grade_id, review.suggested_limit))
        self.assertEqual(review.activity_ids.user_id, self.credit_user)
        self.assertEqual(review.activity_ids.date_deadline, date(2026, 3, 16))
        self.assertFalse(self.reviews(later))
        # Idempotent, and the figures stay as they were when the review opened.
        self.make_invoice(self.customer, 50.0)
        self.open_due_reviews()
        self.assertEqual(self.reviews(), review)
        self.assertEqual(review.receivable, 900.0)
        self.assertEqual(self.figures(self.customer)["receivable"], 950.0)
        # A refused review is the review of that date: the job does not open it again.
        self.propose(review, self.credit_user, self.grade_b, 1000.0)
        review.with_user(self.credit_manager).action_refuse(note="Keep as is")
        self.open_due_reviews()
        self.assertEqual(self.reviews(), review)

    def test_raise_needs_another_manager_and_applies_through_audit(self):
        action = self.customer.with_user(self.credit_manager).action_credit_review()
        review = self.env["credit.review"].browse(action["res_id"])
        self.assertRecordValues(review, [{"origin": "manual", "user_id": self.credit_manager.id,
                                          "date_due": date(2026, 3, 2)}])
        # Asking again opens the same open review.
        self.assertEqual(self.customer.with_user(self.credit_user).action_credit_review()["res_id"], review.id)
        start = self.audit()[-1:].id
        self.propose(review, self.credit_manager, self.grade_a, 5000.0, next_review=date(2027, 3, 1))
        self.assertRecordValues(review, [{"state": "proposed", "proposed_by_id": self.credit_manager.id,
                                          "limit_raised": True}])
        self.assertIn(self.credit_manager_2, review.activity_ids.user_id)
        self.assertNotIn(self.credit_manager, review.activity_ids.user_id)
        with self.assertRaisesRegex(AccessError, "another credit manager"):
            review.with_user(self.credit_manager).action_approve()
        for user in (self.credit_user, self.salesman):
            with self.assertRaises(AccessError):
                review.with_user(user).action_approve()
        review.with_user(self.credit_manager_2).action_approve(note="Accounts are sound")
        self.assertEqual(review.state, "approved")
        self.assertEqual(review.decided_by_id, self.credit_manager_2)
        self.assertFalse(review.activity_ids)
        self.assertEqual((self.customer.credit_grade_id, self.customer.credit_limit, self.customer.credit_review_date),
                         (self.grade_a, 5000.0, date(2027, 3, 1)))
        rows = self.audit(start)
        self.assertEqual(rows.mapped("event_type"), ["review_proposed", "limit", "grade", "review_approved"])
        self.assertEqual(rows.mapped("user_id"), self.credit_manager | self.credit_manager_2)
        self.assertEqual((rows[1].old_value, rows[1].new_value), ("1000.0", "5000.0"))
        self.assertEqual((rows[3].res_model, rows[3].res_id), ("credit.review", review.id))
        self.assertIn("approved", self.customer.message_ids[0].body)

    def test_lowering_proposer_may_approve_and_next_review_from_grade(self):
        review = self.env["credit.review"].sudo()._open_reviews(self.customer, self.company, "manual")
        with Form(review.with_user(self.credit_manager)) as form:
            form.proposed_grade_id = self.grade_e
            self.assertEqual(form.proposed_review_date, date(2026, 6, 2))  # grade E: 3 months
            form.proposed_limit = 500.0
        review.with_user(self.credit_manager).action_propose()
        review.with_user(self.credit_manager).action_approve()
        self.assertEqual((self.customer.credit_grade_id, self.customer.credit_limit, self.customer.credit_review_date),
                         (self.grade_e, 500.0, date(2026, 6, 2)))

    def test_rights_and_guarded_fields(self):
        review = self.env["credit.review"].sudo()._open_reviews(self.customer, self.company, "manual")
        review = review.with_user(self.credit_user)
        self.assertEqual(review.activity_ids.user_id, self.credit_user)
        review.write({"proposed_limit": 1200.0, "user_id": self.credit_manager_2.id})
        self.assertEqual(review.activity_ids.user_id, self.credit_manager_2)  # the to-do follows
        for vals in ({"state": "approved"}, {"exposure": 0.0}, {"decided_by_id": self.credit_user.id},
                     {"proposed_by_id": self.credit_manager_2.id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                review.write(vals)
        with self.assertRaises(AccessError):
            self.env["credit.review"].with_user(self.credit_manager).create({
                "partner_id": self.customer.id, "company_id": self.company.id,
                "currency_id": self.currency.id, "date_due": "2026-03-02", "date_deadline": "2026-03-02"})
        with self.assertRaises(AccessError):
            review.with_user(self.salesman).read(["exposure"])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).action_credit_review()
        with self.assertRaisesRegex(ValidationError, "above the cap"):
            review.write({"proposed_grade_id": self.grade_b.id, "proposed_limit": 60000.0})
        review.action_propose()
        with self.assertRaisesRegex(UserError, "still to be reviewed"):
            review.write({"proposed_limit": 900.0})
        with self.assertRaises(AccessError):
            review.action_refuse()
        self.assertEqual(self.customer.credit_limit, 1000.0)

    def test_review_limit_ends_active_temporary_limit(self):
        request = self.env["credit.limit.request"].with_user(self.salesman)._request(
            self.customer, self.company, 3000.0, "Season", limit_type="temporary", date_end="2026-03-31")
        request.with_user(self.credit_manager).action_approve()
        review = self.env["credit.review"].sudo()._open_reviews(self.customer, self.company, "manual")
        self.assertEqual(review.credit_limit, 3000.0)
        self.propose(review, self.credit_user, self.grade_b, 2000.0)
        review.with_user(self.credit_manager).action_approve()
        self.assertEqual(request.state, "ended")
        with freeze_time("2026-04-01"):
            with self.enter_registry_test_mode():
                self.env.ref("credit_control.ir_cron_credit_end_temporary_limits").method_direct_trigger()
        self.assertEqual(self.customer.credit_limit, 2000.0)

    def test_daily_job_queries_do_not_grow_with_customers(self):
        def run_for(count, offset):
            for i in range(count):
                partner = self.make_customer(f"Due {offset + i}", limit=1000.0, grade=self.grade_b)
                self.make_invoice(partner, 100.0 + i, invoice_date=date(2026, 1, 15), due_date=date(2026, 2, 14))
                partner.credit_review_date = date(2026, 3, 1)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            # One batch of the job (which commits in between, out of a test's reach).
            Review = self.env["credit.review"].sudo()
            due = Review._due_partners(self.company, date(2026, 3, 2))
            Review._open_reviews(self.env["res.partner"].browse(list(due)), self.company, "schedule", due)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self.open_due_reviews()  # the class's customer, and warm caches
        few, many = run_for(2, 0), run_for(8, 2)
        self.assertEqual(self.env["credit.review"].search_count([("partner_id.name", "=like", "Due %")]), 10)
        self.assertGreater(few, 10)
        self.assertLessEqual(many, few + 2, "the job's queries grow with the number of customers")


@tagged("post_install", "-at_install")
class TestCreditReviewDemo(CreditCommon):
    """The demo database has two due reviews and one temporary limit."""

    def test_demo_reviews_and_temporary_limit(self):
        meida = self.env.ref("credit_control.demo_partner_meida", raise_if_not_found=False)
        if not meida:
            self.skipTest("database installed without demo data")
        company = self.env.ref("base.main_company")
        # The test user works in its own company: read the demo company's records as superuser.
        # The due reviews (the demo's credit warnings open others).
        reviews = self.env["credit.review"].sudo().search([
            ("company_id", "=", company.id), ("state", "=", "draft"), ("origin", "=", "schedule")])
        self.assertEqual(reviews.partner_id, meida | self.env.ref("credit_control.demo_partner_yuanjing"))
        self.assertEqual(reviews.user_id, self.env.ref("credit_control.demo_user_credit"))
        self.assertTrue(all(r.date_due < r.figures_date for r in reviews))
        self.assertEqual(reviews.filtered(lambda r: r.partner_id == meida).exposure,
                         self.figures(meida, company)["exposure"])
        nordic = self.env.ref("credit_control.demo_partner_nordic")
        temporary = self.env["credit.limit.request"].sudo().search([("limit_type", "=", "temporary")])
        self.assertRecordValues(temporary, [{
            "partner_id": nordic.id, "state": "approved", "requested_limit": 55000.0, "previous_limit": 40000.0}])
        self.assertEqual(nordic.sudo().with_company(company).credit_limit, 55000.0)
