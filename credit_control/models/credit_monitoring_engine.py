from collections import defaultdict
from datetime import datetime, time

from odoo import api, fields, models
from odoo.tools import SQL, formatLang

from .credit_value_bounds import shift_date


class CreditMonitoringEngine(models.AbstractModel):
    """The one detector of credit warnings: the daily job and a manager's Run now call
    :meth:`_detect`.

    Per company, each signal is computed for all its customers at once: the credit figures in
    one statement of the exposure engine, each other signal in one query (changes, dunning
    flag, insurer decisions, snapshot trends), so the number of queries does not grow with the
    number of customers. A finding opens a warning unless the same rule already has one open for the
    customer (an *episode*); the open warnings whose condition no longer holds are closed as
    episodes, so that the signal coming back later is a new warning.

    The customers watched in a company are those with an open receivable or confirmed orders
    not invoiced there, or with a limit, grade or hold there.
    """

    _name = "credit.monitoring.engine"
    _description = "Credit Warning Detection"

    # ------------------------------------------------------------------ entry points
    @api.model
    def _cron_detect_warnings(self):
        """Daily: detect the warnings of every company with rules, one company per
        transaction (``ir.cron`` progress); a company done today is not done again."""
        today = fields.Date.context_today(self)
        companies = self.env["credit.warning.rule"].sudo().search([("active", "=", True)]).company_id.filtered(
            lambda company: company.credit_monitoring_date != today)
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(companies))
        for company in companies:
            self._detect(company, today)
            company.sudo().credit_monitoring_date = today
            if not cron._commit_progress(1):
                break

    @api.model
    def _detect(self, company, date):
        """Detect the signals of ``company``'s active rules on ``date``; returns the new warnings."""
        self = self.sudo()  # the job works for the company; it only writes warnings and their actions
        rules = self.env["credit.warning.rule"].search([("company_id", "=", company.id)])
        data = _Data(self, company, date)
        findings = {}
        by_signal = defaultdict(lambda: self.env["credit.warning.rule"])
        for rule in rules:
            by_signal[rule.signal_type] |= rule
        for signal, signal_rules in by_signal.items():
            method = getattr(self, f"_signal_{signal}", None)
            if method:  # manual signals are recorded by users
                findings.update(method(signal_rules, data))
        return self._sync_episodes(company, date, findings)

    # ------------------------------------------------------------------ episodes
    @api.model
    def _sync_episodes(self, company, date, findings):
        """Open a warning for each finding without an open episode of its rule and customer;
        end the open episodes of the evaluated rules whose condition no longer holds.

        :param findings: ``{rule: {partner_id: {measured_value, threshold_value, value_unit,
            details}}}``
        """
        warnings = self.env["credit.warning"]
        open_warnings = warnings.search([
            ("company_id", "=", company.id), ("episode_open", "=", True),
            ("rule_id", "in", [rule.id for rule in findings])])
        open_keys = {(w.rule_id.id, w.partner_id.id) for w in open_warnings}
        cleared = open_warnings.filtered(lambda w: w.partner_id.id not in findings[w.rule_id])
        cleared.write({"episode_open": False, "cleared_date": date})
        vals_list = [
            {"partner_id": partner_id, "company_id": company.id, "rule_id": rule.id,
             "signal_type": rule.signal_type, "severity": rule.severity, "date": date,
             "episode_open": True, **values}
            for rule, found in findings.items() for partner_id, values in found.items()
            if (rule.id, partner_id) not in open_keys]
        new = warnings.with_context(mail_create_nosubscribe=True).create(vals_list)
        new._apply_rule_actions()
        return new

    # ------------------------------------------------------------------ signals
    # Each ``_signal_<type>(rules, data)`` returns ``{rule: {partner_id: values}}``.

    def _signal_overdue(self, rules, data):
        """Oldest overdue more days than the grade's tolerance plus the rule's threshold, and
        overdue amount above the grade's amount tolerance (the credit check's rule)."""
        grades = data.grades()
        result = {}
        for rule in rules:
            found = {}
            for pid, figures in data.figures().items():
                grade = grades.get(pid)
                if not grade or not figures["oldest_overdue_days"]:
                    continue
                tolerance_days, tolerance_amount, _terms, _prepay = grade._credit_rules(grade.id)
                limit_days = tolerance_days + rule.threshold
                if (figures["oldest_overdue_days"] > limit_days
                        and data.currency.compare_amounts(figures["overdue_amount"], tolerance_amount) > 0):
                    found[pid] = self._values(
                        figures["oldest_overdue_days"], limit_days, "days", self.env._(
                            "Oldest overdue %(days)s days (overdue %(amount)s); grade %(grade)s tolerates "
                            "%(tolerance)s days and %(tolerance_amount)s.",
                            days=figures["oldest_overdue_days"], amount=data.money(figures["overdue_amount"]),
                            grade=grade.display_name, tolerance=tolerance_days,
                            tolerance_amount=data.money(tolerance_amount)))
            result[rule] = found
        return result

    def _signal_exposure(self, rules, data):
        """Exposure above the rule's percentage of the credit limit."""
        result = {}
        for rule in rules:
            found = {}
            for pid, figures in data.figures().items():
                limit = figures["credit_limit"]
                if limit <= 0:
                    continue
                pct = round(figures["exposure"] / limit * 100.0, 2)
                if pct > rule.threshold:
                    found[pid] = self._values(pct, rule.threshold, "percent", self.env._(
                        "Exposure %(exposure)s is %(pct)s %% of the credit limit %(limit)s.",
                        exposure=data.money(figures["exposure"]), pct=pct, limit=data.money(limit)))
            result[rule] = found
        return result

    def _signal_concentration(self, rules, data):
        """The customer's share of the company's total exposure above the rule's percentage
        (the same figures as the concentration report)."""
        exposures, total = data.concentration()
        result = {}
        for rule in rules:
            found = {}
            for pid, exposure in exposures.items():
                share = round(exposure / total * 100.0, 2) if total else 0.0
                if share > rule.threshold:
                    found[pid] = self._values(share, rule.threshold, "percent", self.env._(
                        "Exposure %(exposure)s is %(share)s %% of the company's total exposure %(total)s.",
                        exposure=data.money(exposure), share=share, total=data.money(total)))
            result[rule] = found
        return result

    def _signal_dunning_legal(self, rules, data):
        """The dunning handed the customer over for legal action or collection."""
        partners = self.env["res.partner"].with_company(data.company).search(
            [("id", "in", data.universe()), ("credit_in_collection", "=", True)])
        values = self._values(0.0, 0.0, False, self.env._(
            "The dunning handed the customer over for legal action or collection."))
        return {rule: dict.fromkeys(partners.ids, values) for rule in rules}

    def _signal_bank_change(self, rules, data):
        return self._change_signal(rules, data, "bank", self.env._(
            "%(count)s bank-account changes in the last %(days)s days (at least %(threshold)s)."))

    def _signal_identity_change(self, rules, data):
        return self._change_signal(rules, data, "identity", self.env._(
            "%(count)s changes of name, tax or registry number or address in the last %(days)s days "
            "(at least %(threshold)s)."))

    def _change_signal(self, rules, data, change_type, message):
        """At least the rule's threshold (1 or more) changes of ``change_type`` in its window."""
        result = {}
        for rule in rules:
            start = datetime.combine(shift_date(data.date, days=-rule.window_days), time.min)
            groups = self.env["credit.partner.change"]._read_group([
                ("change_type", "=", change_type), ("date", ">=", start),
                ("partner_id", "in", data.universe()), ("company_id", "in", [data.company.id, False]),
            ], ["partner_id"], ["__count"])
            threshold = max(int(rule.threshold), 1)
            result[rule] = {
                partner.id: self._values(count, threshold, "count", message % {
                    "count": count, "days": rule.window_days, "threshold": threshold})
                for partner, count in groups if count >= threshold}
        return result

    def _signal_cover_reduced(self, rules, data):
        """The insurer's latest decision, within the rule's window, refused or withdrew the
        cover or lowered it below the decision before."""
        policy = data.policy()
        if not policy:
            return {rule: {} for rule in rules}
        result = {}
        for rule in rules:
            start = shift_date(data.date, days=-rule.window_days)
            recent = self.env["credit.insurance.limit"].search([
                ("policy_id", "=", policy.id), ("granted_date", ">=", start), ("granted_date", "<=", data.date),
                ("state", "in", ("granted", "reduced", "refused", "withdrawn"))])
            found = {}
            for pid, decisions in data.decisions(recent.partner_id).items():
                latest, previous = decisions[0], (decisions[1] if len(decisions) > 1 else None)
                if latest.granted_date < start:
                    continue
                before = previous.granted_amount if previous and previous.state in ("granted", "reduced") else 0.0
                after = latest.granted_amount if latest.state in ("granted", "reduced") else 0.0
                if latest.state in ("refused", "withdrawn") or policy.currency_id.compare_amounts(after, before) < 0:
                    state = dict(latest._fields["state"]._description_selection(self.env))[latest.state]
                    found[pid] = self._values(
                        data.to_company(policy, after), data.to_company(policy, before), "amount", self.env._(
                            "Insurer decision of %(date)s (%(state)s): cover %(after)s, before %(before)s.",
                            date=latest.granted_date, state=state,
                            after=formatLang(self.env, after, currency_obj=policy.currency_id),
                            before=formatLang(self.env, before, currency_obj=policy.currency_id)))
            result[rule] = found
        return result

    def _signal_cover_expiring(self, rules, data):
        """The named cover in force expires within the rule's threshold (days)."""
        policy = data.policy()
        if not policy:
            return {rule: {} for rule in rules}
        result = {}
        for rule in rules:
            end = shift_date(data.date, days=int(rule.threshold))
            expiring = self.env["credit.insurance.limit"].search([
                ("policy_id", "=", policy.id), ("state", "in", ("granted", "reduced")),
                ("granted_date", "<=", data.date), ("expiry_date", ">=", data.date), ("expiry_date", "<=", end)])
            found = {}
            for pid, decisions in data.decisions(expiring.partner_id).items():
                latest = decisions[0]
                if latest not in expiring:
                    continue  # a later decision replaced it
                days = (latest.expiry_date - data.date).days
                found[pid] = self._values(days, rule.threshold, "days", self.env._(
                    "The insurer's cover of %(amount)s expires on %(date)s, in %(days)s days.",
                    amount=formatLang(self.env, latest.granted_amount, currency_obj=policy.currency_id),
                    date=latest.expiry_date, days=days))
            result[rule] = found
        return result

    def _signal_score_drop(self, rules, data):
        """The score fell by at least the rule's threshold (points) against the customer's
        snapshot of the window's start (its latest one at least that old)."""
        result = {}
        for rule in rules:
            found = {}
            for pid, (current, past) in data.snapshot_trend(rule.window_days).items():
                if current["score"] is None or not past or past["score"] is None:
                    continue
                drop = past["score"] - current["score"]
                if drop >= rule.threshold:
                    found[pid] = self._values(drop, rule.threshold, "points", self.env._(
                        "Score %(score)s, down %(drop)s points from %(past)s on %(date)s.",
                        score=current["score"], drop=drop, past=past["score"], date=past["date"]))
            result[rule] = found
        return result

    def _signal_score_low(self, rules, data):
        """The latest score is under the rule's threshold."""
        result = {}
        for rule in rules:
            result[rule] = {
                pid: self._values(current["score"], rule.threshold, "points", self.env._(
                    "Score %(score)s, under %(threshold)s.", score=current["score"], threshold=rule.threshold))
                for pid, (current, _past) in data.snapshot_trend(0).items()
                if current["score"] is not None and current["score"] < rule.threshold}
        return result

    def _signal_payment_cycle(self, rules, data):
        """Average days late or DSO up by at least the rule's threshold (days) against the
        customer's snapshot of the window's start."""
        result = {}
        for rule in rules:
            found = {}
            for pid, (current, past) in data.snapshot_trend(rule.window_days).items():
                if not past:
                    continue
                increases = {key: (current[key] or 0.0) - (past[key] or 0.0) for key in ("avg_days_late", "dso")}
                key = max(increases, key=increases.get)
                if increases[key] >= rule.threshold:
                    found[pid] = self._values(round(increases[key], 1), rule.threshold, "days", self.env._(
                        "Average days late %(late)s (was %(past_late)s), DSO %(dso)s (was %(past_dso)s) "
                        "against %(date)s.", late=round(current["avg_days_late"] or 0.0, 1),
                        past_late=round(past["avg_days_late"] or 0.0, 1), dso=round(current["dso"] or 0.0, 1),
                        past_dso=round(past["dso"] or 0.0, 1), date=past["date"]))
            result[rule] = found
        return result

    @api.model
    def _values(self, measured, threshold, unit, details):
        return {"measured_value": measured, "threshold_value": threshold, "value_unit": unit,
                "details": details}

    # ------------------------------------------------------------------ figures
    @api.model
    def _watched_partner_ids(self, company):
        """Commercial partners watched in ``company`` (see the class docstring), one query."""
        engine = self.env["credit.exposure.engine"]
        key = str(company.id)
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id FROM account_move_line aml
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE %(receivable)s AND aml.company_id = %(company)s
            UNION
            SELECT p.commercial_partner_id FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_invoice_id
             WHERE so.state = 'sale' AND so.invoice_status = 'to invoice' AND so.company_id = %(company)s
            UNION
            SELECT p.id FROM res_partner p
             WHERE p.id = p.commercial_partner_id
               AND (COALESCE((p.credit_limit ->> %(key)s)::float8, 0) > 0
                    OR (p.credit_grade_id ->> %(key)s) IS NOT NULL
                    OR COALESCE((p.credit_hold ->> %(key)s)::boolean, FALSE))
            """, receivable=engine._receivable_line_condition(), company=company.id, key=key))
        return [pid for (pid,) in rows if pid]

    @api.model
    def _snapshot_trend(self, company, date, window_days):
        """``{partner_id: (current, past)}`` from the daily credit snapshots, one query: each
        customer's latest snapshot of the last week (current) and its latest one at least
        ``window_days`` before ``date`` (past, or None), as dicts of score, average days late,
        DSO and date."""
        self.env["credit.partner.snapshot"].flush_model()
        rows = self.env.execute_query(SQL(
            """
            SELECT cur.partner_id, cur.score, cur.avg_days_late, cur.dso, cur.date,
                   old.score, old.avg_days_late, old.dso, old.date
              FROM (SELECT DISTINCT ON (partner_id) partner_id, score, avg_days_late, dso, date
                      FROM credit_partner_snapshot
                     WHERE company_id = %(company)s AND date <= %(date)s AND date > %(recent)s
                     ORDER BY partner_id, date DESC) cur
              LEFT JOIN LATERAL (
                   SELECT s.score, s.avg_days_late, s.dso, s.date FROM credit_partner_snapshot s
                    WHERE s.partner_id = cur.partner_id AND s.company_id = %(company)s AND s.date <= %(past)s
                    ORDER BY s.date DESC LIMIT 1) old ON %(with_past)s
            """, company=company.id, date=date, recent=shift_date(date, days=-7),
            past=shift_date(date, days=-window_days), with_past=bool(window_days)))
        keys = ("score", "avg_days_late", "dso", "date")
        return {row[0]: (dict(zip(keys, row[1:5], strict=True)),
                         dict(zip(keys, row[5:9], strict=True)) if row[8] else None) for row in rows}

    @api.model
    def _concentration(self, company, date, figures=None):
        """``({partner_id: exposure}, total)`` of the watched customers of ``company``,
        positive exposures only, company currency: what the concentration signal and the
        concentration report read."""
        if figures is None:
            partners = self.env["res.partner"].browse(self._watched_partner_ids(company))
            figures = {pid: values for (pid, _cid), values in self.env["credit.exposure.engine"]._compute_figures(
                partners, company, date).items()}
        exposures = {pid: values["exposure"] for pid, values in figures.items() if values["exposure"] > 0}
        return exposures, company.currency_id.round(sum(exposures.values()))


class _Data:
    """What the signals of one company on one date share, each read once when first needed."""

    def __init__(self, engine, company, date):
        self.engine, self.env, self.company, self.date = engine, engine.env, company, date
        self.currency = company.currency_id
        self._cache = {}

    def _memo(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency)

    def to_company(self, policy, amount):
        return policy.currency_id._convert(amount, self.currency, self.company, self.date)

    def universe(self):
        return self._memo("universe", lambda: self.engine._watched_partner_ids(self.company))

    def partners(self):
        return self.env["res.partner"].browse(self.universe())

    def figures(self):
        """``{partner_id: figures}`` of the exposure engine, one statement."""
        return self._memo("figures", lambda: {
            pid: values for (pid, _cid), values in self.env["credit.exposure.engine"]._compute_figures(
                self.partners(), self.company, self.date).items()})

    def grades(self):
        return self._memo("grades", lambda: {
            partner.id: partner.credit_grade_id
            for partner in self.partners().with_company(self.company) if partner.credit_grade_id})

    def concentration(self):
        return self._memo("concentration", lambda: self.engine._concentration(
            self.company, self.date, self.figures()))

    def policy(self):
        return self._memo("policy", lambda: self.env["credit.insurance.policy"]._find(self.company, self.date))

    def snapshot_trend(self, window_days):
        return self._memo(("trend", window_days), lambda: self.engine._snapshot_trend(
            self.company, self.date, window_days))

    def decisions(self, partners):
        """``{partner_id: [decisions in force on the date, latest first]}`` under the policy."""
        decisions = self.env["credit.insurance.limit"].search([
            ("policy_id", "=", self.policy().id), ("partner_id", "in", partners.ids),
            ("state", "in", ("granted", "reduced", "refused", "withdrawn")), ("granted_date", "<=", self.date),
        ], order="granted_date desc, id desc")
        result = defaultdict(list)
        for decision in decisions:
            result[decision.partner_id.id].append(decision)
        return result
