from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date, formatLang, plaintext2html

from .credit_partner_snapshot import SNAPSHOT_COLUMNS
from .credit_value_bounds import AMOUNT, DATES, shift_date

# Days a controller has to propose once a review is opened: its deadline (and its activity's).
REVIEW_DAYS = 14
# Customers per committed transaction of the daily job.
REVIEW_BATCH = 500
# What a credit user may write on a review, and only while it is to be reviewed: the proposal.
PROPOSAL_FIELDS = frozenset({
    "proposed_grade_id", "proposed_limit", "proposed_review_date", "proposal_comment",
    "attachment_ids", "user_id"})


class CreditReview(models.Model):
    """A periodic (or on-demand) credit review of one customer in one company.

    At creation the review freezes the customer's figures (:meth:`_credit_review_values`):
    the decision is taken on what the controller saw, not on what the figures become. A
    credit controller proposes a grade, a limit and the next review date; a credit manager
    approves or refuses. Approval writes grade, limit and next review date on the customer
    through its audited path; a proposal that raises the limit needs a manager other than its
    proposer. The daily job opens a review for each customer whose next review date arrived.
    """

    _name = "credit.review"
    _description = "Credit Review"
    _inherit = ["mail.thread", "mail.activity.mixin", "credit.value.bounds"]
    _order = "date_due desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id"]

    name = fields.Char(compute="_compute_name")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    origin = fields.Selection(
        [("schedule", "Scheduled"), ("manual", "On demand")],
        required=True, readonly=True, default="manual")
    state = fields.Selection(
        [("draft", "To Review"), ("proposed", "Proposed"), ("approved", "Approved"),
         ("refused", "Refused"), ("cancelled", "Cancelled")],
        default="draft", required=True, readonly=True, tracking=True, index=True,
        group_expand=True)
    user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True, index=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="The credit controller who prepares the proposal.")
    date_due = fields.Date(
        string="Review Date", required=True, readonly=True, index=True,
        help="The customer's next review date that opened the review (today for one on demand).")
    date_deadline = fields.Date(
        string="Deadline", required=True, readonly=True,
        help=f"When the proposal is expected: {REVIEW_DAYS} days after the review was opened.")
    color = fields.Integer(compute="_compute_color")

    # Frozen at creation (see _credit_review_values): the columns of a credit snapshot
    figures_date = fields.Date(string="Figures as of", readonly=True)
    grade_id = fields.Many2one("credit.grade", string="Grade at Review", readonly=True)
    credit_limit = fields.Monetary(string="Limit at Review", readonly=True)
    receivable = fields.Monetary(readonly=True)
    draft_invoices = fields.Monetary(readonly=True)
    uninvoiced_orders = fields.Monetary(string="Orders not Invoiced", readonly=True)
    exposure = fields.Monetary(string="Total Exposure", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True)
    avg_days_to_pay = fields.Float(string="Average Days to Pay", readonly=True, digits=(16, 1))
    avg_days_late = fields.Float(string="Average Days Late", readonly=True, digits=(16, 1))
    on_time_share = fields.Float(string="Paid on Time (%)", readonly=True, digits=(16, 1))
    dso = fields.Float(string="DSO (days)", readonly=True, digits=(16, 1))
    invoices_paid_count = fields.Integer(string="Invoices Paid (12 months)", readonly=True)
    highest_exposure = fields.Monetary(string="Highest Exposure (12 months)", readonly=True)
    dunning_steps = fields.Integer(string="Dunning Steps (12 months)", readonly=True)
    dunning_level = fields.Integer(string="Dunning Level Reached", readonly=True)
    disputes = fields.Integer(string="Disputes (12 months)", readonly=True)
    sales_12m = fields.Monetary(string="Sales (12 months)", readonly=True)
    score = fields.Integer(readonly=True)
    score_breakdown = fields.Json(string="Score Breakdown Data", readonly=True)
    score_breakdown_html = fields.Html(
        string="Score Breakdown", compute="_compute_score_breakdown_html", sanitize=False)
    suggested_grade_id = fields.Many2one("credit.grade", readonly=True)
    suggested_limit = fields.Monetary(readonly=True)
    has_score = fields.Boolean(
        readonly=True, help="A scorecard scored the customer when the review opened.")

    # The controller's proposal
    proposed_grade_id = fields.Many2one(
        "credit.grade", tracking=True, check_company=True,
        domain="[('company_id', 'in', [company_id, False])]")
    proposed_limit = fields.Monetary(tracking=True)
    proposed_review_date = fields.Date(
        string="Next Review", tracking=True,
        help="Default: the review interval of the proposed grade from today.")
    proposal_comment = fields.Html(string="Assessment")
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Financial Statements",
        help="Financial statements, agency reports and other documents the proposal rests on.")
    limit_raised = fields.Boolean(
        compute="_compute_limit_raised",
        help="The proposal raises the limit: a manager other than the proposer must approve it.")
    proposed_by_id = fields.Many2one("res.users", readonly=True)
    proposed_date = fields.Datetime(readonly=True)

    # The manager's decision
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_date = fields.Datetime(readonly=True)
    decision_note = fields.Text(readonly=True)

    _proposed_limit_positive = models.Constraint(
        "CHECK (proposed_limit IS NULL OR proposed_limit >= 0)", "A proposed limit cannot be negative.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "proposed_limit": AMOUNT, "proposed_review_date": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "proposed_grade_id", "user_id")

    @api.constrains("proposed_grade_id", "proposed_limit")
    def _check_proposed_cap(self):
        for review in self:
            cap = review.proposed_grade_id.max_credit_limit
            if cap and review.currency_id.compare_amounts(review.proposed_limit, cap) > 0:
                raise ValidationError(self.env._(
                    "The proposed limit of %(partner)s (%(limit)s) is above the cap of grade "
                    "%(grade)s (%(cap)s).", partner=review.partner_id.display_name,
                    limit=formatLang(self.env, review.proposed_limit, currency_obj=review.currency_id),
                    grade=review.proposed_grade_id.display_name,
                    cap=formatLang(self.env, cap, currency_obj=review.currency_id)))

    @api.depends("partner_id.name", "date_due")
    def _compute_name(self):
        for review in self:
            review.name = self.env._(
                "Credit review of %(partner)s (%(date)s)", partner=review.partner_id.display_name or "",
                date=format_date(self.env, review.date_due) if review.date_due else "")

    @api.depends("state", "date_deadline")
    @api.depends_context("tz")
    def _compute_color(self):
        today = fields.Date.context_today(self)
        for review in self:
            late = review.state in ("draft", "proposed") and review.date_deadline and review.date_deadline < today
            review.color = 1 if late else 0

    @api.depends("score_breakdown")
    def _compute_score_breakdown_html(self):
        """The frozen breakdown, rendered as the snapshot renders its own."""
        Snapshot = self.env["credit.partner.snapshot"]
        for review in self:
            review.score_breakdown_html = Snapshot.new(
                {"score_breakdown": review.score_breakdown}).score_breakdown_html

    @api.depends("proposed_limit", "credit_limit", "currency_id")
    def _compute_limit_raised(self):
        for review in self:
            review.limit_raised = bool(review.currency_id) and review.currency_id.compare_amounts(
                review.proposed_limit, review.credit_limit) > 0

    @api.onchange("proposed_grade_id")
    def _onchange_proposed_grade_id(self):
        if self.proposed_grade_id:
            self.proposed_review_date = self.proposed_grade_id._next_review_date()

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # Reviews are opened by _open_reviews (with sudo, figures frozen by the server).
        if not self.env.su:
            raise AccessError(self.env._(
                "Open a credit review from the customer (Credit Review) or let the daily job open it."))
        return super().create(vals_list)

    def write(self, vals):
        """Users write only the proposal, and only while the review is to be reviewed: the
        state, the frozen figures and the decision are the server's (any field a user may
        write is writable over RPC)."""
        if not self.env.su:
            forbidden = set(vals) - PROPOSAL_FIELDS
            if forbidden:
                raise AccessError(self.env._(
                    "These fields of a credit review cannot be changed: %s", ", ".join(sorted(forbidden))))
            if any(review.state != "draft" for review in self):
                raise UserError(self.env._("Only a review still to be reviewed can change its proposal."))
        result = super().write(vals)
        if vals.get("user_id"):
            # The review's to-do follows its new responsible.
            activity_type = self.env.ref("credit_control.mail_activity_credit_review")
            self.filtered(lambda r: r.state == "draft").sudo().activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type).write({"user_id": vals["user_id"]})
        return result

    # ------------------------------------------------------------------ actions
    def action_propose(self):
        self._check_group("credit_control.group_credit_user")
        for review in self:
            if review.state != "draft":
                raise UserError(self.env._("%s has already been proposed.", review.name))
            if not review.proposed_grade_id:
                raise UserError(self.env._("Propose a grade for %s.", review.partner_id.display_name))
        # The group was checked above; state and proposer are closed to users' writes.
        for review in self:
            values = {"state": "proposed", "proposed_by_id": self.env.uid, "proposed_date": fields.Datetime.now()}
            if not review.proposed_review_date:
                values["proposed_review_date"] = review.proposed_grade_id._next_review_date()
            review.sudo().write(values)
            self.env["credit.audit.log"]._log(
                "review_proposed", review.partner_id, review.company_id,
                old=review._summary(review.grade_id, review.credit_limit),
                new=review._summary(review.proposed_grade_id, review.proposed_limit), document=review)
            review._close_activities(self.env._("Proposed"))
            review._notify_managers()
            review._post(self.env._("Proposal: %(proposal)s, next review on %(date)s.",
                                    proposal=review._summary(review.proposed_grade_id, review.proposed_limit),
                                    date=format_date(self.env, review.proposed_review_date)))
        return True

    def action_approve(self, note=None):
        self._check_decider()
        for review in self:
            if review.limit_raised and review.proposed_by_id == self.env.user:
                raise AccessError(self.env._(
                    "You proposed to raise the limit of %s: another credit manager must approve it.",
                    review.partner_id.display_name))
        for review in self:
            review._apply()
            review._decide("approved", note)
        return True

    def action_refuse(self, note=None):
        self._check_decider()
        for review in self:
            review._decide("refused", note)
        return True

    def action_cancel(self):
        self._check_group("credit_control.group_credit_manager")
        if any(review.state not in ("draft", "proposed") for review in self):
            raise UserError(self.env._("Only an open review can be cancelled."))
        self.sudo().write({"state": "cancelled"})
        self._close_activities(self.env._("Cancelled"))
        return True

    # ------------------------------------------------------------------ business
    @api.model
    def _credit_review_values(self, partners, company, date):
        """``{partner id: values}`` frozen on a new review of each of ``partners`` (commercial
        partners) in ``company``: what the daily credit snapshot records (exposure and payment
        behaviour figures, grade, limit, score, breakdown and suggestions), computed set-based
        by the same method."""
        # Figures need every invoice and order; only numbers are kept on the review.
        rows = self.env["credit.partner.snapshot"].sudo()._snapshot_values(company, date, partners)
        result = {}
        for partner, row in zip(partners, rows, strict=True):
            values = {column: row.get(column) for column in SNAPSHOT_COLUMNS}
            values.update(figures_date=date, has_score="score" in row)
            result[partner.id] = values
        return result

    @api.model
    def _open_reviews(self, partners, company, origin, due_dates=None, user=None):
        """Open one review per customer of ``partners`` in ``company``, figures frozen, the
        responsible (``user``, else the company's review responsible, else its first credit
        manager) given an activity. ``due_dates``: ``{partner id: review date}`` (default
        today)."""
        today = fields.Date.context_today(self)
        partners = partners.commercial_partner_id
        frozen = self._credit_review_values(partners, company, today)
        responsible = user or company.credit_review_user_id or company._credit_managers()[:1]
        vals_list = []
        for partner in partners:
            due = (due_dates or {}).get(partner.id) or today
            vals_list.append({
                "partner_id": partner.id, "company_id": company.id, "currency_id": company.currency_id.id,
                "origin": origin, "user_id": responsible.id, "date_due": due,
                "date_deadline": shift_date(max(due, today), days=REVIEW_DAYS),
                **frozen[partner.id],
                **self._default_proposal(frozen[partner.id]),
            })
        # Opened by the server (job or the customer's button, both checked): closed to users' creates.
        reviews = self.sudo().with_context(mail_create_nolog=True, mail_notrack=True).create(vals_list)
        reviews._schedule_responsible_activities()
        return reviews.with_env(self.env)

    @api.model
    def _default_proposal(self, values):
        """The proposal a review starts from: the scorecard's suggestion where there is one,
        else the customer's grade and limit."""
        return {"proposed_grade_id": values["suggested_grade_id"] or values["grade_id"],
                "proposed_limit": values["credit_limit"] if values["suggested_limit"] is None
                else values["suggested_limit"]}

    def _schedule_responsible_activities(self):
        activity_type = self.env.ref("credit_control.mail_activity_credit_review")
        for user, reviews in self.grouped("user_id").items():
            if user:
                for deadline, batch in reviews.grouped("date_deadline").items():
                    # One create for the batch, no assignment e-mail each.
                    batch.sudo().with_context(mail_activity_quick_update=True).activity_schedule(
                        activity_type_id=activity_type.id, user_id=user.id, date_deadline=deadline)

    @api.model
    def _cron_open_due_reviews(self):
        """Daily: open a review for each customer whose next review date arrived and that has
        no review for that date yet (open or decided), per company, :data:`REVIEW_BATCH`
        customers per committed transaction. Idempotent: a rerun finds them reviewed."""
        cron = self.env["ir.cron"]
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            while True:
                due = self._due_partners(company, today)
                if not due:
                    break
                cron._commit_progress(remaining=len(due))
                batch = self.env["res.partner"].browse(list(due)[:REVIEW_BATCH])
                self.sudo()._open_reviews(batch, company, "schedule", due)
                if not cron._commit_progress(len(batch)):
                    return

    @api.model
    def _due_partners(self, company, today):
        """``{partner id: review date}`` of the commercial partners of ``company`` whose next
        review date is today or past and that have no review opened on or after that date
        and no open review (one statement)."""
        self.env.flush_all()
        review_date = SQL("(p.credit_review_date->>%s)::date", str(company.id))
        self.env.cr.execute(SQL("""
            SELECT p.id, %(review_date)s
              FROM res_partner p
             WHERE p.active AND p.id = p.commercial_partner_id
               AND (p.company_id IS NULL OR p.company_id = %(company)s)
               AND %(review_date)s <= %(today)s
               AND NOT EXISTS (
                   SELECT 1 FROM credit_review r
                    WHERE r.partner_id = p.id AND r.company_id = %(company)s
                      AND (r.state IN ('draft', 'proposed') OR r.date_due >= %(review_date)s))
             ORDER BY p.id
        """, review_date=review_date, company=company.id, today=today))
        return dict(self.env.cr.fetchall())

    def _check_group(self, group):
        if not self.env.user.has_group(group):
            raise AccessError(self.env._("You are not allowed to do this on credit reviews."))

    def _check_decider(self):
        self._check_group("credit_control.group_credit_manager")
        for review in self:
            if review.state != "proposed":
                raise UserError(self.env._("%s has no proposal to decide.", review.name))

    def _apply(self):
        """Write the approved grade, limit and next review date on the customer, as the
        deciding manager (the customer's write audits each change)."""
        self.ensure_one()
        customer = self.partner_id.with_company(self.company_id).sudo()
        values = {"credit_grade_id": self.proposed_grade_id.id, "credit_review_date": self.proposed_review_date}
        if self.currency_id.compare_amounts(customer.credit_limit, self.proposed_limit):
            values["credit_limit"] = self.proposed_limit
            self.env["credit.limit.request"]._end_superseded(
                self.partner_id, self.company_id, self.env._("Replaced by the credit review."))
        # The manager was checked in _check_decider; sudo because writing partners may need
        # partner rights a credit manager lacks. The audit rows keep the manager's uid.
        customer.write(values)

    def _decide(self, state, note):
        self.ensure_one()
        # Checked by the callers; the decision fields are closed to users' writes.
        self.sudo().write({"state": state, "decided_by_id": self.env.uid,
                           "decided_date": fields.Datetime.now(), "decision_note": note or False})
        event = "review_approved" if state == "approved" else "review_refused"
        self.env["credit.audit.log"]._log(
            event, self.partner_id, self.company_id,
            old=self._summary(self.grade_id, self.credit_limit),
            new=self._summary(self.proposed_grade_id, self.proposed_limit), reason=note, document=self)
        self._close_activities(self.env._("Decided"))
        label = self.env._("approved") if state == "approved" else self.env._("refused")
        self._post(self.env._("Credit review %(decision)s by %(user)s: %(proposal)s.%(note)s",
                              decision=label, user=self.env.user.name,
                              proposal=self._summary(self.proposed_grade_id, self.proposed_limit),
                              note=f" {note}" if note else ""),
                   partners=(self.proposed_by_id | self.user_id).partner_id)

    def _summary(self, grade, limit):
        return self.env._("grade %(grade)s, limit %(limit)s", grade=grade.display_name or "-",
                          limit=formatLang(self.env, limit, currency_obj=self.currency_id))

    def _post(self, text, partners=None):
        body = plaintext2html(text)
        self.sudo().message_post(body=body, partner_ids=partners.ids if partners else None)
        self.partner_id.sudo().message_post(body=body)

    def _close_activities(self, feedback):
        self.sudo().activity_ids.action_feedback(feedback=feedback)

    def _notify_managers(self):
        activity_type = self.env.ref("credit_control.mail_activity_credit_review")
        for manager in self.company_id._credit_managers() - self.proposed_by_id:
            self.sudo().activity_schedule(
                activity_type_id=activity_type.id, user_id=manager.id,
                summary=self.env._("Decide the credit review of %s", self.partner_id.display_name))
