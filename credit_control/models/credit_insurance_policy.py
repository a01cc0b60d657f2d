from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from .credit_value_bounds import AMOUNT, DATES, DAYS, PERCENT, shift_date

# How a buyer's cover was decided (see CreditInsurancePolicy._covers).
COVER_SOURCES = [
    ("named", "Named cover"), ("discretionary", "Discretionary limit"),
    ("refused", "Refused or withdrawn"), ("excluded", "Excluded"),
]


class CreditInsurancePolicy(models.Model):
    """A trade-credit insurance policy of one company.

    The insurer grants a cover per buyer (``credit.insurance.limit``); buyers without a named
    cover are covered up to the discretionary limit. Insured losses are paid at the coverage
    percentage, provided overdue buyers are declared within the notification deadline and no
    further credit is given once the oldest overdue passes the maximum extension period.
    """

    _name = "credit.insurance.policy"
    _description = "Credit Insurance Policy"
    _inherit = ["mail.thread", "credit.cached.rules", "credit.value.bounds"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Policy Number", required=True, tracking=True)
    insurer_id = fields.Many2one("res.partner", required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(
        "res.currency", required=True, tracking=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the covers and of the discretionary limit.")
    date_start = fields.Date(string="Start", required=True, tracking=True,
                             default=fields.Date.context_today)
    date_end = fields.Date(string="End", tracking=True)
    coverage_pct = fields.Float(
        string="Coverage (%)", default=90.0, required=True, tracking=True,
        help="Share of an insured loss the insurer pays.")
    discretionary_limit = fields.Monetary(
        tracking=True,
        help="Buyers without a named cover decision are covered up to this amount.")
    max_extension_days = fields.Integer(
        string="Maximum Extension (days)", default=60, tracking=True,
        help="Days after the due date after which further deliveries are no longer covered: "
        "credit sales to a buyer whose oldest overdue is older are blocked.")
    notification_days = fields.Integer(
        string="Overdue Notification Deadline (days)", default=90, tracking=True,
        help="Days after the due date within which an unpaid invoice must be declared to the "
        "insurer, or its cover is lost.")
    notification_alert_days = fields.Integer(
        string="Alert Before Deadline (days)", default=7,
        help="Credit managers get an activity this many days before a notification deadline.")
    claim_days = fields.Integer(
        string="Claim Deadline (days)", default=180,
        help="Days after the due date within which a claim must be filed.")
    premium_rate = fields.Float(
        string="Premium Rate (%)", digits=(16, 4), default=0.25, tracking=True,
        help="Premium as a percentage of the insured turnover.")
    cap_credit_limit = fields.Boolean(
        string="Cap Credit Limits at Cover",
        help="A buyer's credit limit may not exceed its granted cover; granting or reducing a "
        "cover lowers a higher limit.")
    excluded_partner_ids = fields.Many2many(
        "res.partner", string="Excluded Buyers",
        help="Buyers this policy does not cover (e.g. affiliates), on top of the buyers "
        "flagged as not insurable.")
    limit_ids = fields.One2many("credit.insurance.limit", "policy_id", string="Buyer Covers")
    claim_journal_id = fields.Many2one(
        "account.journal", string="Indemnity Journal", check_company=True,
        help="Journal of the entries booking the indemnities received on claims.")
    claim_debit_account_id = fields.Many2one(
        "account.account", string="Indemnity Receivable Account", check_company=True,
        help="Debited when an indemnity is received (the bank, or a receivable on the insurer).")
    claim_credit_account_id = fields.Many2one(
        "account.account", string="Indemnity Income Account", check_company=True,
        help="Credited when an indemnity is received (e.g. insurance indemnities, or bad debt recovered).")
    note = fields.Html()

    _credit_cached_fields = frozenset({
        "active", "company_id", "date_start", "date_end", "max_extension_days", "excluded_partner_ids"})

    _coverage_range = models.Constraint(
        "CHECK (coverage_pct > 0 AND coverage_pct <= 100)",
        "The coverage percentage must be above 0 and at most 100.",
    )
    _days_positive = models.Constraint(
        "CHECK (max_extension_days >= 0 AND notification_days >= 0 AND claim_days >= 0 "
        "AND notification_alert_days >= 0 AND premium_rate >= 0 AND discretionary_limit >= 0)",
        "Deadlines, premium rate and discretionary limit cannot be negative.",
    )

    @api.model
    def _credit_bounds(self):
        return {**super()._credit_bounds(), "date_start": DATES, "date_end": DATES,
                "coverage_pct": (0.01, 100.0), "discretionary_limit": AMOUNT, "max_extension_days": DAYS,
                "notification_days": DAYS, "notification_alert_days": DAYS, "claim_days": DAYS,
                "premium_rate": PERCENT}

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "insurer_id", "company_id", "currency_id")

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for policy in self:
            if policy.date_end and policy.date_end < policy.date_start:
                raise ValidationError(self.env._(
                    "Policy %(policy)s ends before it starts.", policy=policy.display_name))

    # ------------------------------------------------------------------ business
    @api.model
    def _find(self, company, date):
        """The policy of ``company`` in force on ``date`` (empty if none)."""
        return self.sudo().search([
            ("company_id", "=", company.id), ("date_start", "<=", date),
            "|", ("date_end", "=", False), ("date_end", ">=", date),
        ], limit=1)

    @api.model
    @ormcache("company_id", "date")
    def _extension_rule(self, company_id, date):
        """``(policy id, maximum extension days, excluded buyer ids)`` of the policy of the
        company in force on ``date``, or None. Every credit check of an overdue customer reads
        it: kept in the registry cache, which a change of a policy clears."""
        policy = self.with_context(active_test=True)._find(self.env["res.company"].browse(company_id), date)
        if not policy:
            return None
        excluded = policy.with_context(active_test=False).excluded_partner_ids
        return policy.id, policy.max_extension_days, frozenset(excluded.ids)

    def _insured_part(self, amount, cover):
        """The insured part of ``amount`` (a buyer's exposure or loss, policy currency): the
        coverage % of what lies within the buyer's ``cover``."""
        self.ensure_one()
        return self.currency_id.round(min(max(amount, 0.0), cover) * self.coverage_pct / 100.0)

    def _covers(self, partners, date):
        """Cover of each buyer on ``date`` under this policy, in the policy currency.

        :return: ``{partner_id: (amount, source)}`` where source is ``named`` (a granted or
            reduced decision in force), ``refused`` (the insurer refused or withdrew cover),
            ``excluded`` or ``discretionary`` (no decision in force: the discretionary limit).
            An expired decision is no longer in force: the buyer falls back to the
            discretionary limit like any buyer without a named cover.
        """
        self.ensure_one()
        partners = partners.commercial_partner_id
        # The latest decision of each buyer in one query: this runs over every buyer of a
        # report or of the overview.
        self.env["credit.insurance.limit"].flush_model(
            ["policy_id", "partner_id", "state", "granted_date", "expiry_date", "granted_amount"])
        latest = {partner_id: (state, expiry_date, granted_amount)
                  for partner_id, state, expiry_date, granted_amount in self.env.execute_query(SQL(
                      """
                      SELECT DISTINCT ON (partner_id) partner_id, state, expiry_date, granted_amount
                        FROM credit_insurance_limit
                       WHERE policy_id = %s AND partner_id = ANY(%s) AND granted_date <= %s
                         AND state IN ('granted', 'reduced', 'refused', 'withdrawn')
                       ORDER BY partner_id, granted_date DESC, id DESC
                      """, self.id, partners.ids, date))}
        # Archived buyers too: reports include them.
        excluded = set(self.with_context(active_test=False).excluded_partner_ids.ids)
        excluded.update(partners.with_context(active_test=False).search(
            [("id", "in", partners.ids), ("credit_not_insurable", "=", True)]).ids)
        result = {}
        for partner_id in partners.ids:
            state, expiry_date, granted_amount = latest.get(partner_id, (None, None, 0.0))
            if partner_id in excluded:
                result[partner_id] = (0.0, "excluded")
            elif state in ("refused", "withdrawn"):
                result[partner_id] = (0.0, "refused")
            elif state and (not expiry_date or expiry_date >= date):
                result[partner_id] = (float(granted_amount or 0.0), "named")
            else:
                result[partner_id] = (self.discretionary_limit, "discretionary")
        return result

    def _deadlines(self, due_date):
        """``(max-extension date, notification deadline)`` of an invoice due on ``due_date``."""
        self.ensure_one()
        return (shift_date(due_date, days=self.max_extension_days),
                shift_date(due_date, days=self.notification_days))

    @api.model
    def _cron_notification_alerts(self):
        """Daily: warn credit managers before an insured invoice's notification deadline passes.

        One policy at a time, each committed (``ir.cron`` progress); a rerun the same day adds
        no activity an invoice already has."""
        today = fields.Date.context_today(self)
        policies = self.sudo().search(["|", ("date_end", "=", False), ("date_end", ">=", today)])
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(policies))
        for policy in policies:
            first_due = shift_date(today, days=-policy.notification_days)
            moves = self.env["account.move"].sudo().search([
                ("company_id", "=", policy.company_id.id), ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"), ("payment_state", "in", ("not_paid", "partial")),
                ("credit_insurance_declared_date", "=", False),
                ("invoice_date_due", ">=", first_due),
                ("invoice_date_due", "<=", shift_date(first_due, days=policy.notification_alert_days)),
            ])
            moves.filtered("credit_insured")._credit_schedule_deadline_activity()
            if not cron._commit_progress(1):
                break
