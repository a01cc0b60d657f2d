from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_date, formatLang

from .credit_value_bounds import shift_date


class CreditProbationEngine(models.AbstractModel):
    """Staged limits of customers in probation: the one place that decides each step.

    A customer in probation steps up once it has paid the grade's number of invoices within
    the grade's overdue tolerance, counting invoices of the last months issued since its
    current step; the step raises the limit by the grade's percentage or amount, up to the
    target limit, never above the grade's cap nor, when the insurance policy caps limits, the
    insurer's named cover. Reaching the target ends the probation. With *step down* on the
    grade, an invoice paid or still open later than the tolerance since the current step takes
    the limit one step back (not below the start limit).

    The company's setting applies each step (audited limit change, chatter message to the
    salesperson) or proposes it to the credit managers (activity, applied from the customer).
    Each step restarts the count, so a rerun the same day changes nothing.
    """

    _name = "credit.probation.engine"
    _description = "Staged Credit Limits"

    @api.model
    def _cron_step_limits(self):
        """Daily: the probation steps of every company, one company per transaction."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search([("active", "=", True)])
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(companies))
        for company in companies:
            self._run(company, today)
            if not cron._commit_progress(1):
                break

    @api.model
    def _run(self, company, date):
        """Apply or propose the due steps in ``company``; returns ``{partner: new limit}``."""
        self = self.sudo()  # the company's job: limits go through the audited write as the server
        partners = self.env["res.partner"].with_company(company).search([("credit_probation", "=", True)])
        done = {}
        plans = self._plans(partners, company, date)
        for partner in partners:
            plan = plans[partner.id]
            if plan["action"] == "restart":
                partner.credit_probation_since = date
                continue
            if plan["action"] == "none":
                continue
            if plan["action"] == "down" or company.credit_probation_mode == "apply":
                self._apply_step(partner, plan["next_limit"], plan["reason"], date)
            elif partner.credit_probation_proposed_limit != plan["next_limit"]:
                self._propose_step(partner, plan["next_limit"], plan["reason"])
            else:
                continue
            done[partner] = plan["next_limit"]
        return done

    @api.model
    def _plans(self, partners, company, date):
        """What each customer in probation needs and gets: ``{partner_id: {action (up, down,
        restart: a late invoice and no step down, so the count starts again; none),
        next_limit, progress, reason}}``, from one query over their invoices."""
        partners = partners.with_company(company).sudo()
        currency = company.currency_id
        stats = self._payment_stats(partners, company, date)
        policy = self.env["credit.insurance.policy"]._find(company, date)
        covers = policy._covers(partners, date) if policy.cap_credit_limit else {}
        result = {}
        for partner in partners:
            grade = partner.credit_grade_id
            limit = partner.credit_limit
            on_time, late = stats.get(partner.id, (0, 0))
            caps = [value for value in (partner.credit_target_limit, grade.max_credit_limit) if value > 0]
            amount, source = covers.get(partner.id, (0.0, False))
            if source == "named":
                caps.append(policy.currency_id._convert(amount, currency, company, date))
            up = min([grade._probation_step(limit, currency)] + caps) if grade else limit
            down = max(grade._probation_step(limit, currency, down=True), grade.probation_start_limit) \
                if grade else limit
            needed = grade.probation_invoices
            since = self._since(partner, grade, date)
            plan = {"action": "none", "next_limit": up, "progress": self.env._(
                "%(paid)s of %(needed)s invoices since %(since)s paid within %(days)s days of their due date",
                paid=on_time, needed=needed, since=format_date(self.env, since), days=grade.overdue_tolerance_days)}
            if late and grade.probation_step_down and currency.compare_amounts(down, limit) < 0:
                plan.update(action="down", next_limit=down, reason=self.env._(
                    "Probation step down: %(late)s invoices paid or open later than the tolerance.", late=late))
            elif late:  # no step down: the count of invoices paid on time starts again
                plan["action"] = "restart"
            elif not late and on_time >= needed and currency.compare_amounts(up, limit) > 0:
                plan.update(action="up", reason=self.env._(
                    "Probation step up: %(paid)s invoices paid on time since %(since)s.", paid=on_time,
                    since=format_date(self.env, since)))
            result[partner.id] = plan
        return result

    @api.model
    def _since(self, partner, grade, date):
        window = shift_date(date, months=-grade.probation_months)
        return max(window, partner.credit_probation_since or window)

    @api.model
    def _payment_stats(self, partners, company, date):
        """``{partner_id: (invoices paid on time, invoices late)}`` since each customer's
        current step, one statement: an invoice is on time when all its instalments were paid
        within the grade's tolerance of their due date, late when one was paid later or is
        still open past it."""
        rows = [(p.id, self._since(p, p.credit_grade_id, date), p.credit_grade_id.overdue_tolerance_days)
                for p in partners if p.credit_grade_id]
        if not rows:
            return {}
        ids, sinces, tolerances = zip(*rows, strict=True)
        self.env.flush_all()
        result = self.env.execute_query(SQL(
            """
            SELECT p.partner_id,
                   COUNT(*) FILTER (WHERE m.on_time AND m.invoice_date >= p.since),
                   COUNT(*) FILTER (WHERE m.late_from > p.since)
              FROM unnest(%(ids)s::int[], %(sinces)s::date[], %(tolerances)s::int[]) p(partner_id, since, tolerance)
              JOIN LATERAL (
                   SELECT am.invoice_date,
                          BOOL_AND(aml.reconciled AND paid.date <= COALESCE(aml.date_maturity, aml.date)
                                   + p.tolerance) AS on_time,
                          MIN(COALESCE(aml.date_maturity, aml.date) + p.tolerance + 1) FILTER (
                              WHERE (aml.reconciled AND paid.date > COALESCE(aml.date_maturity, aml.date) + p.tolerance)
                                 OR (NOT aml.reconciled AND COALESCE(aml.date_maturity, aml.date) + p.tolerance
                                     < %(date)s)) AS late_from
                     FROM account_move am
                     JOIN account_move_line aml ON aml.move_id = am.id AND aml.balance > 0
                     LEFT JOIN LATERAL (SELECT MAX(apr.max_date) AS date FROM account_partial_reconcile apr
                                         WHERE apr.debit_move_id = aml.id) paid ON TRUE
                    WHERE am.commercial_partner_id = p.partner_id AND am.company_id = %(company)s
                      AND am.move_type = 'out_invoice' AND am.state = 'posted'
                      AND %(receivable)s
                      AND (am.invoice_date >= p.since OR NOT aml.reconciled OR paid.date >= p.since)
                    GROUP BY am.id
              ) m ON TRUE
             GROUP BY p.partner_id
            """, ids=list(ids), sinces=list(sinces), tolerances=list(tolerances), date=date, company=company.id,
            receivable=self.env["credit.exposure.engine"]._receivable_account_condition()))
        return {pid: (on_time, late) for pid, on_time, late in result}

    @api.model
    def _apply_step(self, partner, limit, reason, date):
        """Write the new limit through the audited path and tell the salesperson."""
        partner = partner.sudo()
        currency = partner.env.company.currency_id
        old = partner.credit_limit
        target = partner.credit_target_limit or partner.credit_grade_id.max_credit_limit
        vals = {"credit_limit": limit, "credit_probation_since": date, "credit_probation_proposed_limit": 0.0,
                "credit_probation_stage": partner.credit_probation_stage + (1 if limit > old else -1)}
        if target and currency.compare_amounts(limit, target) >= 0:
            vals["credit_probation"] = False
        partner.with_context(credit_audit_reason=reason).write(vals)
        body = Markup("%s<br/>%s") % (reason, self.env._(
            "Credit limit %(old)s → %(new)s%(end)s", old=formatLang(self.env, old, currency_obj=currency),
            new=formatLang(self.env, limit, currency_obj=currency),
            end=self.env._(" (target reached: probation ended)") if "credit_probation" in vals else ""))
        partner.message_post(body=body, subtype_xmlid="mail.mt_note",
                             partner_ids=partner.user_id.partner_id.ids)

    @api.model
    def _propose_step(self, partner, limit, reason):
        """Record the proposal and ask the credit managers for it (an activity each)."""
        partner = partner.sudo()
        company = partner.env.company
        partner.credit_probation_proposed_limit = limit
        summary = self.env._("Probation step for %(partner)s: limit %(limit)s", partner=partner.display_name,
                             limit=formatLang(self.env, limit, currency_obj=company.currency_id))
        for manager in company._credit_managers():
            partner.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=reason,
                                      user_id=manager.id)
