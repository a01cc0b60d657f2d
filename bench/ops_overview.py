"""Operation group (ours only): the Credit app's first screen and statements of account.

- "credit overview, computed": create the overview of the company (all its figures and charts
  computed), as the precompute job or *Refresh* does;
- "credit overview, reopened": the app's menu opened again within ten minutes: the user's
  computed overview found and read as its form reads it;
- "credit overview, opened (job's copied)": the app's menu opened by a user without an
  overview of their own, after the job computed the company's (``_cron_precompute``, every ten
  minutes): the job's overview copied and read as the form reads it;
- "statements queued (N customers)": the statement wizard's *Send by Email* for up to 1,000
  customers: the statements computed, rendered to PDF (a few hundred per wkhtmltopdf call) and
  their emails queued.
"""
from odoo import SUPERUSER_ID

STATEMENT_CUSTOMERS = 1000


def measure(worker, side):
    if side != "ours":
        return
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        has_overview = "credit.overview" in env
        has_statement = "credit.statement.wizard" in env
    if has_overview:
        worker.measure("credit overview, computed", _overview, check=_overview_check)
        worker.measure("credit overview, reopened", _reopen, setup=_overview, check=_overview_check)
        worker.measure("credit overview, opened (job's copied)", _reopen, setup=_job_overview,
                       check=_overview_check)
    else:
        worker.unavailable("credit overview", "credit.overview is not in this build")
    if has_statement:
        worker.measure(f"statements queued (up to {STATEMENT_CUSTOMERS} customers)", _statements,
                       setup=_statement_customers, check=_statements_check, runs=1)
    else:
        worker.unavailable("statements queued", "credit.statement.wizard is not in this build")


def _overview(env, _prepared=None):  # also the setup of "reopened"
    overview = env["credit.overview"].with_context(credit_overview_recompute=True).create({})
    overview.flush_recordset()
    return overview


def _job_overview(env):
    """The company's overview as the job computes it for the credit users (superuser)."""
    overview = env["credit.overview"].with_user(SUPERUSER_ID).create(
        {"company_id": env.company.id, "shared": True})
    overview.flush_recordset()
    return overview


def _reopen(env, _computed):
    Overview = env["credit.overview"]
    overview = Overview.browse(Overview.action_open()["res_id"])
    overview.read()  # every field, as the form reads them
    return overview


def _overview_check(env, overview):
    return {"exposure": overview.exposure_total, "overdue": overview.overdue_total,
            "blocked": overview.blocked_count, "customers": overview.customer_count}


def _statement_customers(env):
    """The customers with an open receivable, the largest first (at most 1,000)."""
    groups = env["account.move.line"]._read_group(
        [("account_id.account_type", "=", "asset_receivable"), ("parent_state", "=", "posted"),
         ("reconciled", "=", False), ("partner_id", "!=", False)],
        ["partner_id"], ["amount_residual:sum"])
    partners = env["res.partner"].browse(
        [partner.id for partner, _amount in sorted(groups, key=lambda g: -g[1])[:STATEMENT_CUSTOMERS]])
    partners.write({"email": "statements@example.com"})
    return partners.commercial_partner_id


def _statements(env, partners):
    wizard = env["credit.statement.wizard"].with_context(
        active_model="res.partner", active_ids=partners.ids).create({})
    wizard.action_send()
    return {"partners": len(partners)}


def _statements_check(env, value):
    return {"customers": value["partners"],
            "queued": env["mail.mail"].search_count([("state", "=", "outgoing"), ("model", "=", "res.partner")])}
