import logging
from collections import defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, formatLang

_logger = logging.getLogger(__name__)


@dataclass
class DunningStep:
    """What one run does for one customer at one level: the invoices it covers."""

    company: models.BaseModel
    partner: models.BaseModel
    level: models.BaseModel
    rows: list = field(default_factory=list)

    @property
    def amount(self):
        return sum(row["amount_company"] for row in self.rows)


class CreditDunningEngine(models.AbstractModel):
    """The one dunning engine, used by the daily job, a manager's *Run now* and the preview.

    A run has two phases. :meth:`_plan` selects the overdue, undisputed customer invoices of
    each company in one query, finds the highest level each has reached and not been dunned
    for, and groups them per customer and level. :meth:`_create_pending_events` records each
    group as a ``pending`` event whose lines hold the unique (invoice, level) key: nothing is
    sent yet. :meth:`_execute_pending` then completes pending events one by one, each in a
    savepoint, queuing its email in the same transaction as its ``done`` state, so that a rerun
    (the same day, after a crash, or concurrently) never repeats a step and resumes the
    pending ones.
    """

    _name = "credit.dunning.engine"
    _description = "Dunning Engine"

    _batch_size = 20

    # ------------------------------------------------------------------ entry points
    @api.model
    def _cron_run_dunning(self):
        """Daily job: every company, committing after each batch (``ir.cron`` progress)."""
        self._run(self.env["res.company"].search([]), commit=True)

    @api.model
    def _run_manual(self, companies, partners=None):
        """A manager's *Run now*, in the caller's transaction.

        The cron job's own lock does not cover a manual run: take the job's row lock, which the
        running job holds, so that the two never run at the same time.
        """
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can run the dunning."))
        cron = self.env.ref("credit_control.ir_cron_credit_dunning").sudo()
        if not cron.try_lock_for_update():
            raise UserError(self.env._(
                "The scheduled dunning is running right now. Try again in a few minutes."))
        return self._run(companies, partners=partners)

    @api.model
    def _run(self, companies, date=None, partners=None, commit=False):
        """Plan and execute dunning for ``companies`` on ``date``; return the events executed."""
        # Dunning reads every overdue invoice and writes history, messages and activities on
        # behalf of the company; callers are the cron or a checked credit manager.
        self = self.sudo()
        date = date or fields.Date.context_today(self)
        self._create_pending_events(self._plan(companies, date, partners), date)
        return self._execute_pending(companies, partners, commit)

    # ------------------------------------------------------------------ planning
    @api.model
    def _overdue_invoices(self, company, date, partners=None):
        """Open, posted, undisputed customer invoices of ``company`` past due on ``date``, with
        the levels already executed for each (one query)."""
        rows = self.env.execute_query_dict(SQL(
            """
            SELECT am.id AS move_id, am.commercial_partner_id AS partner_id,
                   am.currency_id, am.amount_residual, am.amount_residual_signed AS amount_company,
                   am.invoice_date_due AS date_due,
                   ARRAY_REMOVE(ARRAY_AGG(l.level_id), NULL) AS done_level_ids,
                   MAX(l.date) AS last_date
              FROM account_move am
              LEFT JOIN credit_dunning_event_line l ON l.move_id = am.id
                                                  AND l.state IS DISTINCT FROM 'failed'
             WHERE am.company_id = %(company)s AND am.move_type = 'out_invoice'
               AND am.state = 'posted' AND am.amount_residual > 0
               AND am.invoice_date_due < %(date)s
               AND NOT EXISTS (SELECT 1 FROM credit_dispute d
                               WHERE d.move_id = am.id AND d.state = 'open')
               AND (%(all)s OR am.commercial_partner_id = ANY(%(partners)s))
             GROUP BY am.id
             ORDER BY am.commercial_partner_id, am.invoice_date_due, am.id
            """,
            company=company.id, date=date, all=partners is None,
            partners=partners.commercial_partner_id.ids if partners is not None else [],
        ))
        for row in rows:
            row["days_overdue"] = (date - row["date_due"]).days
        return rows

    @api.model
    def _plan(self, companies, date, partners=None):
        """The :class:`DunningStep` list a run on ``date`` would execute (writes nothing)."""
        self.env.flush_all()
        Level = self.env["credit.dunning.level"]
        steps = []
        for company in companies:
            rows = self._overdue_invoices(company, date, partners)
            if not rows:
                continue
            customers = self.env["res.partner"].with_company(company).browse(
                {row["partner_id"] for row in rows})
            procedures = {customer.id: customer._credit_dunning_procedure() for customer in customers}
            overdue = defaultdict(float)
            for row in rows:
                overdue[row["partner_id"]] += row["amount_company"]
            groups = {}
            for row in rows:
                procedure = procedures[row["partner_id"]].with_company(company)
                level = procedure and procedure._due_level(row["days_overdue"], overdue[row["partner_id"]])
                if not level:
                    continue
                done = Level.browse(row["done_level_ids"])
                if done and max(done.mapped("days_overdue")) >= level.days_overdue:
                    continue
                if row["last_date"] and (date - row["last_date"]).days < level.min_days_since_previous:
                    continue
                key = (row["partner_id"], level.id)
                if key not in groups:
                    groups[key] = DunningStep(company, customers.browse(row["partner_id"]), level)
                groups[key].rows.append(row)
            steps += groups.values()
        return steps

    @api.model
    def _create_pending_events(self, steps, date):
        """Record each step as a pending event; a step another run recorded first is skipped."""
        events = self.env["credit.dunning.event"]
        for step in steps:
            try:
                with self.env.cr.savepoint():
                    events |= events.create({
                        "date": date,
                        "partner_id": step.partner.id,
                        "company_id": step.company.id,
                        "procedure_id": step.level.procedure_id.id,
                        "level_id": step.level.id,
                        "currency_id": step.company.currency_id.id,
                        "amount_total": step.company.currency_id.round(step.amount),
                        "channel": step.level.channel,
                        "line_ids": [Command.create({
                            "level_id": step.level.id,
                            "move_id": row["move_id"],
                            "date_due": row["date_due"],
                            "days_overdue": row["days_overdue"],
                            "currency_id": row["currency_id"],
                            "amount_residual": row["amount_residual"],
                            "amount_residual_company": row["amount_company"],
                        }) for row in step.rows],
                    })
            except pg_errors.UniqueViolation:
                _logger.info("Dunning of %s at level %s already recorded by another run.",
                             step.partner.display_name, step.level.name)
        return events

    # ------------------------------------------------------------------ execution
    @api.model
    def _execute_pending(self, companies, partners=None, commit=False):
        """Complete the pending events of ``companies`` (this run's and any left by a crash)."""
        Event = self.env["credit.dunning.event"]
        domain = [("state", "=", "pending"), ("company_id", "in", companies.ids)]
        if partners is not None:
            domain.append(("partner_id", "in", partners.commercial_partner_id.ids))
        executed = Event
        while True:
            batch = Event.search(domain, limit=self._batch_size, order="id")
            if commit and not self.env["ir.cron"]._commit_progress(remaining=Event.search_count(domain)):
                break  # out of time: the scheduler calls the job again
            locked = batch.try_lock_for_update().filtered_domain(domain)
            if not locked:
                break  # nothing left, or what is left is being executed by another run
            for event in locked:
                self._execute_event(event.with_company(event.company_id))
            executed |= locked
            if commit:
                self.env["ir.cron"]._commit_progress(len(locked))
        return executed

    @api.model
    def _execute_event(self, event):
        """Perform one event's actions; a failure is recorded on it and does not stop the run."""
        try:
            with self.env.cr.savepoint():
                event.write(self._perform(event))
        except Exception as error:  # noqa: BLE001 - any failure of one customer is recorded, the run goes on
            _logger.warning("Dunning event %s for %s failed", event.id, event.partner_id.display_name,
                            exc_info=True)
            event.write({"state": "failed", "error": str(error) or repr(error)})

    @api.model
    def _perform(self, event):
        """Send or schedule everything ``event``'s level asks for; return the event's final values."""
        level = event.level_id
        partner = event.partner_id.with_company(event.company_id)
        values = {"state": "done", "channel": level.channel}
        errors = []
        activities = self.env["mail.activity"]
        letter = self._render_letter(event) if level.send_letter else self.env["ir.attachment"]
        message = self.env["mail.message"]
        if level.send_email:
            recipient = self._email_recipient(partner)
            if recipient:
                message = self._send_email(event, level._template_for(recipient), recipient, letter)
            else:
                errors.append(self.env._(
                    "%(partner)s has no email address: the letter is in the chatter to be posted.",
                    partner=partner.display_name))
                letter = letter or self._render_letter(event)
                values.update(state="fallback", channel="letter")
                activities |= self._schedule_activity(
                    event, self.env.ref("mail.mail_activity_data_todo"),
                    self.env._("Post the dunning letter to %s", partner.display_name),
                    self._responsible(event))
        if letter and not message:
            message = partner.message_post(
                body=self.env._("Dunning letter (%(level)s) for %(invoices)s.",
                                level=level.name, invoices=self._invoice_summary(event)),
                attachment_ids=letter.ids)
        if level.create_activity:
            activities |= self._schedule_activity(
                event, level.activity_type_id, level.activity_summary or level.name,
                level.activity_user_id or self._responsible(event))
        if level.legal_handover:
            activities |= self._hand_over(event)
        if level.put_on_hold and not partner.credit_hold:
            partner.write({"credit_hold": True, "credit_hold_reason": level.hold_reason})
        fee_move = self._charge_fee(event)
        values.update(
            mail_message_id=message.id, letter_attachment_id=letter.id, fee_move_id=fee_move.id,
            error="\n".join(errors) or False,
            activity_note=", ".join(f"{a.activity_type_id.name}: {a.user_id.name}" for a in activities) or False)
        return values

    # ------------------------------------------------------------------ actions
    @api.model
    def _invoice_summary(self, event):
        """``INV/1 (1,000.00 $, 35 days), ...`` for messages and activity notes."""
        return ", ".join(
            self.env._("%(invoice)s (%(amount)s, %(days)s days)", invoice=line.move_id.name,
                       amount=formatLang(self.env, line.amount_residual, currency_obj=line.currency_id),
                       days=line.days_overdue)
            for line in event.line_ids)

    @api.model
    def _responsible(self, event):
        """The customer's salesperson, else a credit manager, else the user running dunning."""
        managers = event.company_id._credit_managers()
        return event.partner_id.user_id or managers[:1] or self.env.user

    @api.model
    def _email_recipient(self, partner):
        """The customer's invoicing contact with an email, else the customer if it has one."""
        contact = partner.browse(partner.address_get(["invoice"])["invoice"])
        for candidate in (contact, partner):
            if candidate.email:
                return candidate
        return partner.browse()

    @api.model
    def _render_letter(self, event):
        """The formal letter of ``event`` as an attachment on the customer."""
        content, report_format = self.env["ir.actions.report"]._render_qweb_pdf(
            "credit_control.action_report_credit_dunning_letter", event.ids)
        return self.env["ir.attachment"].create({
            "name": f"{event.level_id.name} - {event.partner_id.name} - {event.date}.{report_format}",
            "raw": content,
            "mimetype": "application/pdf" if report_format == "pdf" else "text/html",
            "res_model": "res.partner",
            "res_id": event.partner_id.id,
        })

    @api.model
    def _send_email(self, event, template, recipient, letter):
        """Queue the level's email (not sent inline) and keep it in the customer's chatter."""
        rendered = template._generate_template(event.ids, ["subject", "body_html", "email_from"])[event.id]
        return event.partner_id.message_post(
            body=Markup(rendered["body_html"]), subject=rendered["subject"],
            email_from=rendered.get("email_from") or None,
            author_id=event.company_id.partner_id.id,
            partner_ids=recipient.ids, attachment_ids=letter.ids,
            message_type="comment", subtype_xmlid="mail.mt_comment",
            force_send=False, notify_skip_followers=True)

    @api.model
    def _schedule_activity(self, event, activity_type, summary, user):
        return event.partner_id.activity_schedule(
            activity_type_id=activity_type.id, summary=summary, user_id=user.id,
            date_deadline=event.date,
            note=Markup("<p>%s</p><p>%s</p>") % (event.name, self._invoice_summary(event)))

    @api.model
    def _hand_over(self, event):
        """Legal hand-over: an activity for every credit manager and the collection flag."""
        activity_type = self.env.ref("credit_control.mail_activity_credit_legal")
        summary = self.env._("Hand %s over to legal action or a collection agency", event.partner_id.name)
        activities = self.env["mail.activity"]
        for manager in event.company_id._credit_managers() or self.env.user:
            activities |= self._schedule_activity(event, activity_type, summary, manager)
        event.partner_id.with_company(event.company_id).credit_in_collection = True
        return activities

    @api.model
    def _charge_fee(self, event):
        """The level's fee as a posted invoice, or as a line on the customer's draft invoice,
        following the company setting; returns the invoice."""
        company = event.company_id
        amount = event.level_id.with_company(company)._fee_amount(event.amount_total)
        if company.currency_id.compare_amounts(amount, 0.0) <= 0:
            return self.env["account.move"]
        product = company.credit_dunning_fee_product_id or self.env.ref("credit_control.product_dunning_fee")
        line = Command.create({
            "product_id": product.id, "quantity": 1, "price_unit": amount, "tax_ids": [Command.clear()],
            "name": self.env._("Dunning fee (%(level)s): %(invoices)s",
                               level=event.level_id.name, invoices=", ".join(event.line_ids.move_id.mapped("name"))),
        })
        Move = self.env["account.move"].with_company(company)
        if company.credit_dunning_fee_mode == "line":
            draft = Move.search([
                ("move_type", "=", "out_invoice"), ("state", "=", "draft"), ("company_id", "=", company.id),
                ("commercial_partner_id", "=", event.partner_id.id),
                ("currency_id", "=", company.currency_id.id)], order="id desc", limit=1)
            if draft:
                draft.invoice_line_ids = [line]
                return draft
        move = Move.create({
            "move_type": "out_invoice", "partner_id": event.partner_id.id, "company_id": company.id,
            "currency_id": company.currency_id.id, "invoice_date": event.date,
            "invoice_line_ids": [line],
        })
        if company.credit_dunning_fee_mode == "invoice":
            move.action_post()
        return move
