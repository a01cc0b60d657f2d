"""Operation group: the daily collection jobs (ours only), each over data made before each run
(untimed, rolled back with the run) so that it does real work at scale:

- late-interest invoicing: the dunning step that invoices late-payment interest
  (``credit.dunning.engine._charge_interest``), for one step per customer with overdue open
  instalments (its 20 oldest), at 8 % a year: one posted interest invoice per customer and
  currency, and the charges recorded;
- late-interest charging (invoiced monthly): the same step in a company that invoices interest
  monthly: the charges recorded only (the daily part);
- monthly interest invoicing: ``credit.dunning.engine._invoice_interest`` (the body of the
  daily job ``_cron_invoice_interest``) on the first day of next month, after that step (untimed):
  one posted invoice per customer and currency for the month's charges;
- limitation alerts: ``account.move._credit_limitation_alerts`` (the body of the daily job
  ``_cron_limitation_alerts``) with a limitation period of one year and 30 alert days: every
  open invoice due more than about a year ago gets its activities;
- claim deadline alerts: ``credit.insurance.claim._deadline_alerts`` (the body of the daily
  job ``_cron_deadline_alerts``) over one draft claim per insured buyer, deadlines spread over
  the next two weeks (about half within the policy's alert days).

The daily jobs commit (``_commit_progress``): their bodies are measured, in the rolled-back
transaction of each run.
"""
from datetime import date, timedelta

INTEREST = "collection: late-interest invoicing"
CHARGED = "collection: late-interest charging (invoiced monthly)"
MONTHLY = "collection: monthly interest invoicing"
LIMITATION = "collection: limitation alerts"
CLAIMS = "collection: claim deadline alerts"
INSTALMENTS_PER_STEP = 20


def measure(worker, side):
    if side != "ours":
        return  # nothing comparable in the community modules
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        available = "credit.late.interest.charge" in env and "credit.insurance.claim" in env
    if not available:
        for name in (INTEREST, CHARGED, MONTHLY, LIMITATION, CLAIMS):
            worker.unavailable(name, "late interest and insurance claims are not in this build")
        return
    runs = min(worker.args.runs, 3)
    # One posted invoice per customer through the ORM: longer than the default op timeout at S.
    worker.measure(INTEREST, _charge_interest, setup=_dunning_steps, check=_interest_check, runs=runs,
                   limit=max(worker.args.op_timeout, 900))
    worker.measure(CHARGED, _charge_interest, setup=_monthly_steps, check=_interest_check, runs=runs)
    worker.measure(MONTHLY, _invoice_interest, setup=_month_charged, check=_monthly_check, runs=runs,
                   limit=max(worker.args.op_timeout, 900))
    worker.measure(LIMITATION, _limitation_alerts, setup=_limitation_period, check=_alert_check, runs=runs)
    worker.measure(CLAIMS, _claim_alerts, setup=_draft_claims, check=_alert_check, runs=runs)


def _dunning_steps(env):
    """A dunning step at the first level of the company's procedure for every customer with
    overdue open instalments (its 20 oldest), made in SQL; the company charges 8 % a year."""
    today = date.today()
    company = env.company
    company.credit_late_interest_rate = 8.0
    level = company.credit_dunning_procedure_id.level_ids.sorted("days_overdue")[:1]
    env.flush_all()
    env.cr.execute(
        """
        CREATE TEMP TABLE bench_step_src ON COMMIT DROP AS
        SELECT * FROM (
            SELECT am.commercial_partner_id AS partner_id, aml.move_id, aml.id AS line_id, aml.date_maturity,
                   aml.currency_id, aml.amount_residual_currency, aml.amount_residual,
                   ROW_NUMBER() OVER (PARTITION BY am.commercial_partner_id ORDER BY aml.date_maturity, aml.id) AS n
              FROM account_move_line aml JOIN account_move am ON am.id = aml.move_id
             WHERE am.move_type = 'out_invoice' AND am.state = 'posted' AND am.company_id = %(company)s
               AND aml.display_type = 'payment_term' AND NOT aml.reconciled AND aml.amount_residual > 0
               AND aml.date_maturity < %(today)s) lines
         WHERE n <= %(per_step)s;
        INSERT INTO credit_dunning_event (date, partner_id, company_id, procedure_id, level_id, currency_id,
                                          amount_total, channel, state, user_id,
                                          create_uid, write_uid, create_date, write_date)
        SELECT %(today)s, partner_id, %(company)s, %(procedure)s, %(level)s, %(currency)s,
               SUM(amount_residual), 'none', 'done', 1, 1, 1, now(), now()
          FROM bench_step_src GROUP BY partner_id;
        INSERT INTO credit_dunning_event_line (event_id, state, date, partner_id, company_id, level_id, move_id,
                                               move_line_id, instalment_number, instalment_count, date_due,
                                               days_overdue, currency_id, amount_residual,
                                               amount_residual_company, create_uid, write_uid, create_date,
                                               write_date)
        SELECT e.id, 'done', e.date, s.partner_id, e.company_id, e.level_id, s.move_id, s.line_id, 1, 1,
               s.date_maturity, %(today)s - s.date_maturity, s.currency_id, s.amount_residual_currency,
               s.amount_residual, 1, 1, now(), now()
          FROM bench_step_src s
          JOIN credit_dunning_event e ON e.partner_id = s.partner_id AND e.date = %(today)s
                                     AND e.level_id = %(level)s;
        SELECT e.id FROM credit_dunning_event e WHERE e.date = %(today)s AND e.level_id = %(level)s;
        """, {"today": today, "company": company.id, "procedure": level.procedure_id.id, "level": level.id,
              "currency": company.currency_id.id, "per_step": INSTALMENTS_PER_STEP})
    events = env["credit.dunning.event"].browse([row[0] for row in env.cr.fetchall()])
    return {"events": events}


def _charge_interest(env, prepared):
    env["credit.dunning.engine"]._charge_interest(prepared["events"].with_env(env))
    return prepared["events"]


def _monthly_steps(env):
    """The steps of :func:`_dunning_steps` in a company that invoices interest monthly."""
    env.company.credit_late_interest_invoicing = "monthly"
    return _dunning_steps(env)


def _month_charged(env):
    """The interest of those steps charged (not invoiced), and the first day of next month."""
    prepared = _monthly_steps(env)
    env["credit.dunning.engine"]._charge_interest(prepared["events"])
    today = date.today()
    return {"events": prepared["events"],
            "next_month": (today.replace(day=1) + timedelta(days=32)).replace(day=1)}


def _invoice_interest(env, prepared):
    env["credit.dunning.engine"]._invoice_interest(prepared["next_month"], lambda *_args, **_kwargs: True)
    return prepared["events"]


def _monthly_check(env, events):
    charges = env["credit.late.interest.charge"].search([("event_id", "in", events.ids)])
    return {"charges": len(charges), "uninvoiced": len(charges.filtered(lambda charge: not charge.invoice_id)),
            "interest_invoices": len(charges.invoice_id),
            "invoiced_total": round(sum(charges.invoice_id.mapped("amount_total")), 2)}


def _interest_check(env, events):
    charges = env["credit.late.interest.charge"].search([("event_id", "in", events.ids)])
    return {"steps": len(events), "instalments": len(events.line_ids), "charges": len(charges),
            "interest_invoices": len(charges.invoice_id),
            "interest_total": round(sum(charges.mapped("amount")), 2)}


def _limitation_period(env):
    """A limitation period of one year in the company, alerts 30 days before."""
    env.company.write({"credit_limitation_years": 1, "credit_limitation_alert_days": 30})
    return {"today": date.today()}


def _limitation_alerts(env, prepared):
    return env["account.move"]._credit_limitation_alerts(env.company, prepared["today"])


def _draft_claims(env):
    """One draft claim per buyer with a cover decision on the company's first policy, on its
    oldest open invoice, deadline 0 to 13 days ahead; the policy alerts 7 days before."""
    today = date.today()
    policy = env["credit.insurance.policy"].search([("company_id", "=", env.company.id)], limit=1)
    policy.notification_alert_days = 7
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO credit_insurance_claim (name, policy_id, company_id, currency_id, partner_id, state,
                                            date_deadline, amount_loss, amount_cover, amount_expected,
                                            amount_received, create_uid, write_uid, create_date, write_date)
        SELECT 'BENCH/' || l.partner_id, %(policy)s, %(company)s, %(currency)s, l.partner_id, 'draft',
               %(today)s + (l.partner_id %% 14), 0, 0, 0, 0, 1, 1, now(), now()
          FROM (SELECT DISTINCT partner_id FROM credit_insurance_limit WHERE policy_id = %(policy)s) l
        """, {"policy": policy.id, "company": policy.company_id.id, "currency": policy.currency_id.id,
              "today": today})
    env["credit.insurance.claim"].invalidate_model()
    return {"today": today}


def _claim_alerts(env, prepared):
    return env["credit.insurance.claim"]._deadline_alerts(prepared["today"])


def _alert_check(env, records):
    activities = env["mail.activity"].search_count([("res_model", "=", records._name), ("res_id", "in", records.ids)])
    return {"alerted": len(records), "activities": activities}
