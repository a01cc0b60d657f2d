from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, formatLang, plaintext2html

from .credit_value_bounds import AMOUNT, DATES, DAYS, PERCENT, shift_date

PLAN_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
MAX_INSTALMENTS = 120


class CreditPaymentPlan(models.Model):
    """A payment plan agreed with a customer in default: the invoices it covers, paid by an
    optional down payment and dated instalments.

    A credit user prepares the plan (draft: invoices, schedule, interest); a credit manager
    activates it. While it is active its invoices leave the dunning ladder and, when the
    company asks for it, the credit check judges the plan's instalments instead of the
    invoices' due dates (``credit.exposure.engine``). The daily job
    :meth:`_cron_follow_adherence` reads the payments reconciled with the covered invoices:
    an instalment unpaid beyond the grace period breaks the plan (dunning resumes at the
    level due, an activity for the credit managers, an optional hold), everything paid
    completes it. The state only changes through these methods (guarded in ``write`` and
    ``create``), each change is audited.
    """

    _name = "credit.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin", "credit.value.bounds"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(default=lambda self: self.env._("New"), readonly=True, copy=False)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True,
        domain="[('is_company', '=', True)]")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, readonly=True,
        help="The covered invoices' currency: a plan covers invoices of one currency.")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    state = fields.Selection(PLAN_STATES, default="draft", required=True, readonly=True, tracking=True,
                             index=True, copy=False)
    move_ids = fields.Many2many(
        "account.move", "credit_payment_plan_move_rel", "plan_id", "move_id", string="Covered Invoices",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
               " ('commercial_partner_id', '=', partner_id), ('amount_residual', '>', 0)]")
    dunning_event_id = fields.Many2one(
        "credit.dunning.event", string="From Dunning Step", readonly=True, index="btree_not_null",
        help="The dunning step after which the plan was agreed.")
    amount_covered = fields.Monetary(
        compute="_compute_amount_covered", help="Open amount of the covered invoices (while draft), "
        "or what it was when the plan was activated.")
    amount_total = fields.Monetary(
        string="Agreed Total", readonly=True, copy=False,
        help="Open amount of the covered invoices when the plan was activated, interest included.")
    amount_total_company = fields.Monetary(
        string="Agreed Total (company currency)", currency_field="company_currency_id", readonly=True, copy=False)
    down_payment = fields.Monetary(help="Paid first, on the first date of the plan.")
    down_payment_date = fields.Date(default=fields.Date.context_today)
    instalment_count = fields.Integer(string="Number of Instalments", default=3)
    first_date = fields.Date(
        string="First Instalment", default=lambda self: shift_date(fields.Date.context_today(self), months=1))
    interval_months = fields.Integer(string="Every (months)", default=1)
    interest_rate = fields.Float(
        string="Interest (% a year)", digits=(5, 2),
        help="Simple interest on the balance left after each payment, actual/365, added to the "
        "instalments when they are generated and invoiced when the plan is activated.")
    interest_amount = fields.Monetary(
        compute="_compute_schedule_totals", help="What the schedule adds to the covered amount.")
    interest_move_id = fields.Many2one("account.move", string="Interest Invoice", readonly=True, copy=False)
    line_ids = fields.One2many("credit.payment.plan.line", "plan_id", string="Schedule", copy=True)
    schedule_total = fields.Monetary(compute="_compute_schedule_totals")
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid", help="Paid on the covered invoices since the plan was activated.")
    grace_days = fields.Integer(
        default=lambda self: self.env.company.credit_plan_grace_days,
        help="An instalment unpaid this many days after its date breaks the plan.")
    hold_on_break = fields.Boolean(
        string="Credit Hold if Broken", default=True,
        help="Put the customer on credit hold when the plan is broken.")
    date_activated = fields.Date(readonly=True, copy=False)
    date_closed = fields.Date(string="Completed / Broken on", readonly=True, copy=False)
    note = fields.Text(string="Terms")

    _down_payment_positive = models.Constraint(
        "CHECK (down_payment >= 0 AND interest_rate >= 0)",
        "The down payment and the interest rate cannot be negative.")

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "down_payment": AMOUNT, "instalment_count": (1, MAX_INSTALMENTS),
                "interval_months": (1, 12), "interest_rate": PERCENT, "grace_days": DAYS,
                "first_date": DATES, "down_payment_date": DATES}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "partner_id", "company_id")

    @api.depends("move_ids.currency_id", "company_id")
    def _compute_currency_id(self):
        for plan in self:
            plan.currency_id = plan.move_ids[:1].currency_id or plan.company_id.currency_id

    @api.depends("move_ids.amount_residual", "amount_total", "interest_move_id", "state")
    def _compute_amount_covered(self):
        for plan in self:
            if plan.state == "draft":
                plan.amount_covered = sum(plan.move_ids.mapped("amount_residual"))
            else:
                plan.amount_covered = plan.amount_total - plan.interest_move_id.amount_total

    @api.depends("line_ids.amount", "amount_covered")
    def _compute_schedule_totals(self):
        for plan in self:
            plan.schedule_total = sum(plan.line_ids.mapped("amount"))
            plan.interest_amount = plan.currency_id.round(max(plan.schedule_total - plan.amount_covered, 0.0))

    @api.depends("move_ids.amount_residual", "amount_total", "state")
    def _compute_amount_paid(self):
        for plan in self:
            if plan.state == "draft":
                plan.amount_paid = 0.0
            else:
                open_amount = sum((plan.move_ids | plan.interest_move_id).mapped("amount_residual"))
                plan.amount_paid = plan.currency_id.round(plan.amount_total - open_amount)

    @api.constrains("move_ids", "partner_id")
    def _check_move_ids(self):
        for plan in self:
            moves = plan.move_ids
            if moves.commercial_partner_id - plan.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("A payment plan covers invoices of its customer only."))
            if len(moves.currency_id) > 1:
                raise ValidationError(self.env._("A payment plan covers invoices of one currency."))
            if any(move.move_type != "out_invoice" or move.state != "posted" for move in moves):
                raise ValidationError(self.env._("A payment plan covers posted customer invoices only."))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("state", "draft") != "draft" for vals in vals_list):
            raise UserError(self.env._("A payment plan is created as a draft, then activated."))
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("credit.payment.plan") or self.env._("New")
        return super().create(vals_list)

    # Fields of the agreement: fixed once the plan is activated.
    _agreement_fields = frozenset({"partner_id", "company_id", "move_ids", "down_payment", "down_payment_date",
                                   "instalment_count", "first_date", "interval_months", "interest_rate",
                                   "line_ids", "amount_total", "amount_total_company", "interest_move_id"})

    def write(self, vals):
        # Any field a user may write is writable over RPC: the state only changes through the
        # actions below (which check the group, then write with sudo), the agreement only
        # while it is a draft.
        if not self.env.su:
            if "state" in vals or {"date_activated", "date_closed", "dunning_event_id"} & set(vals):
                raise UserError(self.env._("The state of a payment plan changes through its buttons only."))
            if self._agreement_fields & set(vals) and any(plan.state != "draft" for plan in self):
                raise UserError(self.env._("Only a draft payment plan can be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_draft_only(self):
        if any(plan.state not in ("draft", "cancelled") or plan.date_activated for plan in self):
            raise UserError(self.env._("Only a draft payment plan can be deleted; cancel an active one."))

    # ------------------------------------------------------------------ actions
    def action_generate_lines(self):
        """Replace the schedule by the down payment and ``instalment_count`` equal instalments
        every ``interval_months`` from ``first_date``, interest added (see ``interest_rate``)."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft payment plan can be changed."))
            plan.write({"line_ids": [Command.clear()] + [Command.create(vals) for vals in plan._schedule()]})
        return True

    def action_activate(self):
        """Activate the agreement (credit managers): fix the agreed amounts, invoice the interest."""
        self._check_manager()
        self._activate()
        return True

    def _activate(self):
        for plan in self:
            plan._check_activable()
            interest = plan._create_interest_invoice()
            moves = plan.move_ids | interest
            plan.sudo().write({
                "state": "active", "date_activated": fields.Date.context_today(self),
                "interest_move_id": interest.id,
                "amount_total": plan.currency_id.round(sum(moves.mapped("amount_residual"))),
                "amount_total_company": plan.company_currency_id.round(sum(moves.mapped("amount_residual_signed"))),
            })
            plan._log_state("draft", "active")

    def action_cancel(self):
        """Cancel a draft or active plan (credit managers for an active one): dunning resumes."""
        if any(plan.state not in ("draft", "active") for plan in self):
            raise UserError(self.env._("Only a draft or active payment plan can be cancelled."))
        if any(plan.state == "active" for plan in self):
            self._check_manager()
        for plan in self:
            old = plan.state
            plan.sudo().write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
            plan._log_state(old, "cancelled")
        return True

    def action_print_agreement(self):
        return self.env.ref("credit_control.action_report_credit_payment_plan").report_action(self)

    # ------------------------------------------------------------------ business
    def _check_manager(self):
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can activate or cancel an active payment plan."))

    def _check_activable(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Only a draft payment plan can be activated."))
        if not self.move_ids:
            raise UserError(self.env._("Choose the invoices the payment plan covers."))
        if not self.line_ids:
            raise UserError(self.env._("Generate or enter the schedule of the payment plan."))
        if any(move.currency_id.is_zero(move.amount_residual) for move in self.move_ids):
            raise UserError(self.env._("A paid invoice cannot be covered by a payment plan."))
        others = self.search([("id", "!=", self.id), ("state", "=", "active"), ("move_ids", "in", self.move_ids.ids)])
        if others:
            raise UserError(self.env._(
                "%(invoices)s already covered by the active plan %(plan)s.",
                invoices=", ".join((others.move_ids & self.move_ids).mapped("name")), plan=others[0].name))
        if self.currency_id.compare_amounts(self.schedule_total, self.amount_covered) < 0:
            raise UserError(self.env._(
                "The schedule (%(schedule)s) does not cover the invoices' open amount (%(covered)s).",
                schedule=formatLang(self.env, self.schedule_total, currency_obj=self.currency_id),
                covered=formatLang(self.env, self.amount_covered, currency_obj=self.currency_id)))

    def _schedule(self):
        """Values of the generated schedule lines: the down payment, then equal instalments of
        the rest; the interest of each is its share of the balance over the days from the
        previous payment (simple, actual/365); the last one takes the rounding."""
        self.ensure_one()
        currency = self.currency_id
        covered = self.amount_covered
        down = min(self.down_payment, covered)
        lines = []
        start = self.down_payment_date or fields.Date.context_today(self)
        if not currency.is_zero(down):
            lines.append({"sequence": 0, "date": start, "amount": down, "is_down_payment": True})
        count = self.instalment_count
        principal = currency.round((covered - down) / count)
        balance, previous = covered - down, start
        for index in range(count):
            day = self.first_date + relativedelta(months=index * self.interval_months)
            part = balance if index == count - 1 else principal
            interest = currency.round(balance * self.interest_rate / 100.0 * max((day - previous).days, 0) / 365.0)
            lines.append({"sequence": index + 1, "date": day, "amount": currency.round(part + interest),
                          "interest": interest})
            balance, previous = balance - part, day
        return lines

    def _create_interest_invoice(self):
        """The plan's interest as a posted invoice in the plan's currency (none without it)."""
        self.ensure_one()
        if self.currency_id.is_zero(self.interest_amount):
            return self.env["account.move"]
        product = self.env.ref("credit_control.product_payment_plan_interest")
        move = self.env["account.move"].sudo().with_company(self.company_id).create({
            "move_type": "out_invoice", "partner_id": self.partner_id.id, "company_id": self.company_id.id,
            "currency_id": self.currency_id.id, "invoice_date": fields.Date.context_today(self),
            "invoice_date_due": self.line_ids.sorted("date")[-1].date,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": self.interest_amount,
                "tax_ids": [Command.clear()],
                "name": self.env._("Interest of payment plan %s", self.name)})],
        })
        move.action_post()
        return move

    def _log_state(self, old, new, reasons=None):
        """Audit rows and chatter notes of a state change of these plans, each written for
        all of them at once (whatever the context); ``reasons``: ``{plan id: reason}``."""
        reasons = reasons or {}
        labels = dict(PLAN_STATES)
        log = self.env["credit.audit.log"]
        log._log_rows([log._row("payment_plan", plan.partner_id, plan.company_id, old=old, new=new,
                                reason=reasons.get(plan.id), document=plan) for plan in self])
        note = self.env.ref("mail.mt_note")
        author = self.env.user.partner_id
        # given for all plans at once: mail.message computes it one message at a time otherwise
        reply_to = self.sudo()._notify_get_reply_to(default=author.email_formatted, author_id=author.id)
        self.env["mail.message"].sudo().create([{
            "model": self._name, "res_id": plan.id, "record_name": plan.name, "message_type": "notification",
            "subtype_id": note.id, "author_id": author.id, "email_from": author.email_formatted,
            "reply_to": reply_to[plan.id],
            "body": plaintext2html(self.env._(
                "Payment plan %(plan)s: %(old)s → %(new)s.%(reason)s", plan=plan.name, old=labels[old],
                new=labels[new], reason=f" {reasons[plan.id]}" if reasons.get(plan.id) else "")),
        } for plan in self])

    @api.model
    def _active_moves_query(self, judged_only=False):
        """SQL of the ids of the invoices an active plan covers (its interest invoice too):
        out of the dunning ladder; with ``judged_only``, only in companies whose credit check
        judges the plans instead (``credit_plan_overdue_by_plan``)."""
        return SQL(
            """
            SELECT m.move_id FROM credit_payment_plan p
             CROSS JOIN LATERAL (SELECT r.move_id FROM credit_payment_plan_move_rel r WHERE r.plan_id = p.id
                                 UNION ALL SELECT p.interest_move_id) m(move_id)
             WHERE p.state = 'active' AND m.move_id IS NOT NULL
               AND (NOT %(judged)s OR p.company_id IN (SELECT id FROM res_company WHERE credit_plan_overdue_by_plan))
            """, judged=judged_only)

    @api.model
    def _status_query(self, date, company_ids=None, partner_ids=None):
        """SQL of one row per active plan on ``date``: ``(plan id, partner, company, paid,
        overdue amount in company currency, first unpaid date, days it is late, agreed total)``.

        What is paid is what the covered invoices (and the interest invoice) lost of their
        open amount since activation; it pays the schedule in date order. The credit check
        (``credit.exposure.engine``) and the adherence job read this one statement.
        """
        return SQL(
            """
            SELECT p.id AS plan_id, p.partner_id, p.company_id, paid.amount AS paid,
                   GREATEST(0, due.amount - paid.amount) * p.amount_total_company / NULLIF(p.amount_total, 0)
                       AS overdue_company,
                   unpaid.date AS first_unpaid, p.amount_total
              FROM credit_payment_plan p
             CROSS JOIN LATERAL (
                   -- the plan's own invoices by primary key (an OR over account_move would scan it per plan)
                   SELECT p.amount_total - COALESCE(SUM(am.amount_residual), 0) AS amount
                     FROM (SELECT r.move_id FROM credit_payment_plan_move_rel r WHERE r.plan_id = p.id
                           UNION SELECT p.interest_move_id) m(move_id)
                     JOIN account_move am ON am.id = m.move_id
                   ) paid
             CROSS JOIN LATERAL (
                   SELECT COALESCE(SUM(l.amount), 0) AS amount FROM credit_payment_plan_line l
                    WHERE l.plan_id = p.id AND l.date < %(date)s) due
              LEFT JOIN LATERAL (
                   SELECT s.date FROM (SELECT l.date, SUM(l.amount) OVER (ORDER BY l.date, l.id) AS cumulated
                                         FROM credit_payment_plan_line l WHERE l.plan_id = p.id) s
                    WHERE s.cumulated > paid.amount + 0.005 ORDER BY s.date LIMIT 1) unpaid ON TRUE
             WHERE p.state = 'active'
               AND (%(all_companies)s OR p.company_id = ANY(%(companies)s))
               AND (%(all_partners)s OR p.partner_id = ANY(%(partners)s))
            """,
            date=date, all_companies=company_ids is None, companies=list(company_ids or []),
            all_partners=partner_ids is None, partners=list(partner_ids or []),
        )

    @api.model
    def _cron_follow_adherence(self):
        """Daily job: see :meth:`_follow_adherence`, committed as the job's progress."""
        plans = self._follow_adherence(fields.Date.context_today(self))
        self.env["ir.cron"]._commit_progress(len(plans), remaining=0)

    @api.model
    def _follow_adherence(self, today):
        """Complete the active plans paid in full, break those with an instalment unpaid
        beyond their grace period on ``today``; one statement for every plan, then only the
        plans that change are loaded. Idempotent: a plan leaves ``active`` once. Returns the
        plans changed."""
        self.env.flush_all()
        rows = self.env.execute_query_dict(SQL(
            "SELECT s.plan_id, s.paid, s.first_unpaid, s.amount_total, p.grace_days"
            " FROM (%s) s JOIN credit_payment_plan p ON p.id = s.plan_id", self._status_query(today)))
        completed = self.sudo().browse([row["plan_id"] for row in rows if row["first_unpaid"] is None])
        broken = {row["plan_id"]: row["first_unpaid"] for row in rows
                  if row["first_unpaid"] and (today - row["first_unpaid"]).days > row["grace_days"]}
        if completed:
            # The audit rows and the note of _log_state record the change: no tracking per plan.
            completed.with_context(mail_notrack=True).write({"state": "completed", "date_closed": today})
            completed._log_state("active", "completed")
        self.sudo().browse(list(broken))._break(broken, today)
        return completed | self.browse(list(broken))

    def _break(self, first_unpaid, today):
        """Break these active plans on ``today`` (``first_unpaid``: ``{plan id: date of the
        instalment unpaid beyond the grace}``): dunning resumes (the engine skips active plans
        only), the credit managers get an activity, customers go on hold where the plan says
        so; each step written for all the plans at once."""
        if not self:
            return
        self.with_context(mail_notrack=True).write({"state": "broken", "date_closed": today})
        reasons = {plan.id: self.env._("instalment of %(date)s unpaid after %(days)s days of grace",
                                       date=fields.Date.to_string(first_unpaid[plan.id]), days=plan.grace_days)
                   for plan in self}
        self._log_state("active", "broken", reasons)
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        # once per company: each call filters the group's users anew (three queries)
        managers = {company: company._credit_managers() for company in self.company_id}
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create([{
            "res_model_id": model_id, "res_id": plan.id, "activity_type_id": todo.id, "user_id": manager.id,
            "summary": self.env._("Payment plan %s broken", plan.name), "note": reasons[plan.id],
            "date_deadline": today,
        } for plan in self for manager in managers[plan.company_id]])
        for company, plans in self.filtered("hold_on_break").grouped("company_id").items():
            partners = plans.partner_id.commercial_partner_id.with_company(company).filtered(
                lambda partner: not partner.credit_hold)
            if partners:
                # The audit log records the hold: no tracking message per customer.
                partners.with_context(mail_notrack=True).write({
                    "credit_hold": True, "credit_hold_reason": self.env._("Payment plan broken")})

    @api.model
    def _action_new(self, partner, moves, event=None):
        """The form of a new draft plan of ``partner`` covering ``moves`` (from the customer or
        from a dunning step ``event``)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Payment Plan"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "current",
            "context": {"default_partner_id": partner.id, "default_company_id": self.env.company.id,
                        "default_move_ids": [Command.set(moves.ids)],
                        "default_dunning_event_id": event.id if event else False},
        }
