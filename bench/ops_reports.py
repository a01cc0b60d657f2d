"""Operation group: the reports' XLSX exports — aging as of today and 180 days ago (both
sides; their buckets are compared to the cent by the report) and insured exposure (ours)."""
import json
from datetime import date, timedelta

from bench.common import AGING_BOUNDARIES, BUCKET_KEYS, PAST_DAYS


def measure(worker, side):
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        if side == "ours":
            has_aging = "credit.aging.wizard" in env and hasattr(env["credit.aging.wizard"], "action_export_xlsx")
            has_insurance = ("credit.insurance.report.wizard" in env
                             and hasattr(env["credit.insurance.report.wizard"], "action_export_xlsx"))
        else:
            has_aging, has_insurance = "aged.partner.balance.report.wizard" in env, False
    aging, aging_check = (_our_aging, _our_aging_check) if side == "ours" else (_oca_aging, _oca_aging_check)
    if has_aging:
        for label, days in (("today", 0), (f"{PAST_DAYS} days ago", PAST_DAYS)):
            worker.measure(f"aging XLSX as of {label}", aging(days), check=aging_check,
                           runs=min(worker.args.runs, 3))
    elif side == "ours":
        worker.unavailable("aging XLSX as of today", "credit.aging.wizard.action_export_xlsx is not in this build")
    else:
        worker.unavailable("aging XLSX as of today", "account_financial_report is not installed")
    if side != "ours":
        return
    if has_insurance:
        worker.measure("insured-exposure XLSX", _our_insurance, check=_xlsx_check, runs=min(worker.args.runs, 3))
    else:
        worker.unavailable("insured-exposure XLSX", "credit.insurance.report.wizard is not in this build")


def _our_aging(days):
    def op(env, _prepared):
        wizard = env["credit.aging.wizard"].create(_our_aging_values(env, date.today() - timedelta(days=days)))
        action = wizard.action_export_xlsx()
        return {"wizard": wizard, "action": action}
    return op


def _our_aging_values(env, as_of):
    values = {"date": as_of}
    fields_ = env["credit.aging.wizard"]._fields
    if "bucket_boundaries" in fields_:
        values["bucket_boundaries"] = ",".join(str(b) for b in AGING_BOUNDARIES)
    if "group_by" in fields_:
        values["group_by"] = "customer"
    if "company_ids" in fields_:
        values["company_ids"] = [(6, 0, env.company.ids)]
    if "include_disputed" in fields_:
        values["include_disputed"] = True
    return values


def _xlsx_size(env, action):
    """Size of the produced XLSX: from the attachment the action downloads, if any."""
    url = (action or {}).get("url", "") if isinstance(action, dict) else ""
    if "/web/content/" in url:
        try:
            att_id = int(url.split("/web/content/")[1].split("?")[0].split("/")[0])
            att = env["ir.attachment"].browse(att_id)
            return {"xlsx_bytes": att.file_size, "xlsx_name": att.name}
        except (ValueError, IndexError):
            pass
    return {}


def _xlsx_check(env, value):
    return _xlsx_size(env, value.get("action") if isinstance(value, dict) else value)


def _our_aging_check(env, value):
    figures = _xlsx_check(env, value)
    wizard = value["wizard"]
    try:
        rows = wizard._build_rows()
        n = len(AGING_BOUNDARIES) + 2
        sums = [round(sum(r["buckets"][i] for r in rows), 2) for i in range(n)]
        figures["buckets"] = dict(zip(BUCKET_KEYS, sums, strict=True), residual=round(sum(r["total"] for r in rows), 2))
        figures["rows"] = len(rows)
    except Exception as exc:  # noqa: BLE001 - the totals are a bonus; report why they are missing
        figures["buckets_error"] = f"{type(exc).__name__}: {exc}"
    return figures


def _our_insurance(env, _prepared):
    wizard = env["credit.insurance.report.wizard"].create({})
    return {"action": wizard.action_export_xlsx()}


def _oca_aging(days):
    def op(env, _prepared):
        as_of = date.today() - timedelta(days=days)
        wizard = env["aged.partner.balance.report.wizard"].create({
            "date_at": as_of, "target_move": "posted", "receivable_accounts_only": True,
            "company_id": env.company.id})
        wizard.onchange_type_accounts_only()
        # the report action sends its data through JSON: dates become strings
        data = json.loads(json.dumps(wizard._prepare_report_data(), default=str))
        content, _fmt = env["ir.actions.report"]._render_xlsx(
            "a_f_r.report_aged_partner_balance_xlsx", wizard.ids, data)
        return {"wizard": wizard, "data": data, "xlsx_bytes": len(content)}
    return op


def _oca_aging_check(env, value):
    figures = {"xlsx_bytes": value["xlsx_bytes"]}
    try:
        report = env["report.account_financial_report.aged_partner_balance"]
        values = report._get_report_values(value["wizard"].ids, value["data"])
        totals = {}
        for account in values.get("aged_partner_balance", []):
            for k in ["residual", *BUCKET_KEYS]:
                totals[k] = round(totals.get(k, 0.0) + (account.get(k) or 0.0), 2)
        figures["buckets"] = totals
    except Exception as exc:  # noqa: BLE001
        figures["buckets_error"] = f"{type(exc).__name__}: {exc}"
    return figures
