"""Operation group: a dunning run over all overdue invoices, in one transaction (e-mails
queued), against the community's credit-control run. The daily job with two cron workers is
measured by the orchestrator on a committed copy (see ``orchestrate.measure_dunning_job``)."""
from datetime import date

NAME = "dunning run over all overdue invoices"


def measure(worker, side):
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        if side == "ours":
            available = "credit.dunning.engine" in env and hasattr(env["credit.dunning.engine"], "_run")
        else:
            available = "credit.control.run" in env
    if not available:
        worker.unavailable(NAME, "credit.dunning.engine._run is not in this build" if side == "ours"
                           else "account_credit_control is not installed")
    elif side == "ours":
        worker.measure(NAME, _our_dunning, check=_our_dunning_check, runs=min(worker.args.runs, 3),
                       progress=_progress("credit_dunning_event", "dunning_events"))
    else:
        worker.measure(NAME, _oca_credit_control, check=_oca_credit_control_check,
                       runs=min(worker.args.runs, 3),
                       progress=_progress("credit_control_line", "credit_control_lines"))


def _our_dunning(env, _prepared):
    engine = env["credit.dunning.engine"]
    mails_before = env["mail.mail"].search_count([])
    result = engine._run(env.company, date=date.today())
    return {"result": result, "mails_before": mails_before}


def _progress(table, key):
    """What a run stopped by the timeout had done: the rows of ``table`` per state (reported
    as ``key``) and the e-mails queued."""
    def progress(env):
        env.cr.execute(f"SELECT state, count(*) FROM {table} GROUP BY state")
        rows = dict(env.cr.fetchall())
        env.cr.execute("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")
        return {key: rows, "emails_queued": env.cr.fetchone()[0]}
    return progress


def _our_dunning_check(env, value):
    figures = {"emails_queued": env["mail.mail"].search_count([]) - value["mails_before"],
               "emails_outgoing": env["mail.mail"].search_count([("state", "=", "outgoing")])}
    if "credit.dunning.event" in env:
        figures["dunning_events"] = env["credit.dunning.event"].search_count([])
    return figures


def _oca_credit_control(env, _prepared):
    mails_before = env["mail.mail"].search_count([])
    run = env["credit.control.run"].create({"date": date.today()})
    run.generate_credit_lines()
    run.set_to_ready_lines()
    run.run_channel_action()
    return {"run": run, "mails_before": mails_before}


def _oca_credit_control_check(env, value):
    run = value["run"]
    return {"credit_lines": len(run.line_ids),
            "communications": len(run.line_ids.communication_id),
            "emails_queued": env["mail.mail"].search_count([]) - value["mails_before"]}
