import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round, format_date, formatLang, split_every

from ..reports.pdf_batch import render_per_record

_logger = logging.getLogger(__name__)
# Interest invoices created and posted per ORM call: Odoo's cost per invoice grows with the batch
# (22 ms at S with 1,485 in one call, 33 ms at L with 29,160); 200 per call was 11 % faster at S.
INVOICES_PER_BATCH = 200

# Errors that come from another transaction, not from the customers: the batch is taken again.
CONCURRENCY_ERRORS = (pg_errors.SerializationFailure, pg_errors.LockNotAvailable, pg_errors.DeadlockDetected)
# Pending events recorded at once from which their tables' statistics are refreshed.
ANALYZE_AFTER = 1000
# First key of the per-customer advisory locks of dunning runs (the second is the customer id).
ADVISORY_LOCK_SPACE = 20_584_417


class Charged(NamedTuple):
    """Interest charged on one instalment (receivable line) of an invoice for the days from
    ``since`` to ``until`` (excluded), in the invoice's currency."""

    line_id: int
    move_id: int
    move_name: str
    since: datetime.date
    until: datetime.date
    amount: float


@dataclass
class DunningStep:
    """What one run does for one customer at one level: the instalments it covers (one row
    per receivable line of an invoice, see :meth:`CreditDunningEngine._overdue_instalments`)."""

    company: models.BaseModel
    partner: models.BaseModel
    level: models.BaseModel
    rows: list = field(default_factory=list)

    @property
    def amount(self):
        return sum(row["amount_company"] for row in self.rows)


class CreditDunningEngine(models.AbstractModel):
    """The one dunning engine, used by the daily job, a manager's *Run now* and the preview.

    A run has two phases. :meth:`_plan` selects the overdue instalments of the undisputed
    customer invoices of each company in one query (an invoice on "30 % now, balance in 60
    days" is late from its first instalment's date), finds the highest level each has reached
    and not been dunned for, and groups them per customer and level.
    :meth:`_create_pending_events` records each group as a ``pending`` event whose lines hold
    the unique (instalment, level) key: nothing is
    sent yet. :meth:`_execute_pending` then completes the pending events a batch at a time:
    the letters of a batch are rendered together, its emails, chatter messages and activities
    created together and queued in the same transaction as the events' ``done`` state, so that
    a rerun (the same day, after a crash, or concurrently) never repeats a step and resumes the
    pending ones. A batch that fails is split until only the failing customers' events fail.
    Batches hold whole customers and are locked, so several runs can complete them side by
    side: the daily job and the executor job it triggers use both of Odoo's cron workers.
    """

    _name = "credit.dunning.engine"
    _description = "Dunning Engine"

    _batch_size = 1000  # events completed per transaction
    _max_collisions = 10  # batches taken again after colliding with another run, per run

    # ------------------------------------------------------------------ entry points
    @api.model
    def _cron_run_dunning(self):
        """Daily job: every company, committing after each batch (``ir.cron`` progress).

        Once the run is planned, the executor job is triggered: with Odoo's two cron workers
        the pending events are then completed by both, side by side.
        """
        # pylint: disable-next=no-search-all  # every company: a handful of rows
        self._run(self.env["res.company"].search([]), commit=True)

    @api.model
    def _cron_execute_dunning(self):
        """Executor job: complete the pending events of every company alongside the daily
        job (and whatever an interrupted run left pending)."""
        # pylint: disable-next=no-search-all  # every company: a handful of rows
        self.sudo()._execute_pending(self.env["res.company"].search([]), commit=True)

    @api.model
    def _run_manual(self, companies, partners=None):
        """A manager's *Run now*, in the caller's transaction.

        The cron jobs' own locks do not cover a manual run: take the jobs' row locks, which
        running jobs hold, so that the scheduled dunning and a manual run never overlap.
        """
        if not self.env.user.has_group("credit_control.group_credit_manager"):
            raise AccessError(self.env._("Only a credit manager can run the dunning."))
        crons = self._crons()
        # A job row another transaction wrote since this one began (every run of a job writes
        # it) cannot be locked at REPEATABLE READ either: a serialization failure, refused
        # like a running job instead of reaching the manager (or the log) as a raw error.
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    "SELECT id FROM ir_cron WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED",
                    tuple(crons.ids)), log_exceptions=False)
                locked = self.env.cr.fetchall()
        except CONCURRENCY_ERRORS:
            locked = []
        if len(locked) != len(crons):
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
        events = self._create_pending_events(self._plan(companies, date, partners), date)
        if commit and len(events) > self._batch_size:
            self.env.ref("credit_control.ir_cron_credit_dunning_execute")._trigger()
        return self._execute_pending(companies, partners, commit)

    @api.model
    def _crons(self):
        """The daily job and its executor job, which a manual run must not overlap."""
        return (self.env.ref("credit_control.ir_cron_credit_dunning")
                | self.env.ref("credit_control.ir_cron_credit_dunning_execute")).sudo()

    # ------------------------------------------------------------------ planning
    @api.model
    def _overdue_instalments(self, company, date, partners=None):
        """The overdue instalments of the open, posted, undisputed customer invoices of
        ``company`` on ``date`` that no active payment plan covers, with the levels already
        executed for each (one query).

        An instalment is a receivable line of the invoice (``display_type = 'payment_term'``):
        it is late from its own ``date_maturity``, not from the invoice's due date, which Odoo
        sets to the *last* instalment's. Each row carries the instalment's number and the
        invoice's count of instalments, for the letters. A step recorded before dunning went
        per instalment (no ``move_line_id``) covered every instalment of its invoice.
        """
        rows = self.env.execute_query_dict(SQL(
            """
            SELECT t.line_id, t.move_id, t.partner_id, t.currency_id, t.amount_residual,
                   t.amount_company, t.date_due, t.instalment_number, t.instalment_count,
                   ARRAY_REMOVE(ARRAY_AGG(l.level_id), NULL) AS done_level_ids,
                   MAX(l.date) AS last_date
              FROM (SELECT aml.id AS line_id, am.id AS move_id, am.commercial_partner_id AS partner_id,
                           am.currency_id, aml.amount_residual_currency AS amount_residual,
                           aml.amount_residual AS amount_company,
                           COALESCE(aml.date_maturity, aml.date) AS date_due,
                           ROW_NUMBER() OVER instalments AS instalment_number,
                           COUNT(*) OVER (PARTITION BY am.id) AS instalment_count
                      FROM account_move am
                      JOIN account_move_line aml ON aml.move_id = am.id AND aml.display_type = 'payment_term'
                     WHERE am.company_id = %(company)s AND am.move_type = 'out_invoice'
                       AND am.state = 'posted' AND am.amount_residual > 0
                       AND NOT EXISTS (SELECT 1 FROM credit_dispute d
                                       WHERE d.move_id = am.id AND d.state = 'open')
                       -- an active payment plan takes its invoices off the ladder
                       AND am.id NOT IN (%(planned)s)
                       AND (%(all)s OR am.commercial_partner_id = ANY(%(partners)s))
                    WINDOW instalments AS (PARTITION BY am.id ORDER BY aml.date_maturity, aml.id)
                   ) t
              LEFT JOIN credit_dunning_event_line l
                     ON l.move_id = t.move_id AND (l.move_line_id IS NULL OR l.move_line_id = t.line_id)
                    AND l.state IS DISTINCT FROM 'failed'
             WHERE t.amount_company > 0
               -- overdue, or as close to its due date as the earliest level (a courtesy
               -- reminder of -3 days: 3 days before it, or a level on the due date itself)
               AND t.date_due < %(date)s + GREATEST(0, 1 - (SELECT MIN(days_overdue) FROM credit_dunning_level))
             GROUP BY t.line_id, t.move_id, t.partner_id, t.currency_id, t.amount_residual,
                      t.amount_company, t.date_due, t.instalment_number, t.instalment_count
             ORDER BY t.partner_id, t.date_due, t.move_id, t.line_id
            """,
            company=company.id, date=date, all=partners is None,
            partners=partners.commercial_partner_id.ids if partners is not None else [],
            planned=self.env["credit.payment.plan"]._active_moves_query(),
        ))
        for row in rows:
            row["days_overdue"] = (date - row["date_due"]).days
        return rows

    @api.model
    def _plan(self, companies, date, partners=None):
        """The :class:`DunningStep` list a run on ``date`` would execute (writes nothing)."""
        self.env.flush_all()
        steps = []
        for company in companies:
            rows = self._overdue_instalments(company, date, partners)
            if not rows:
                continue
            customers = self.env["res.partner"].with_company(company).browse(
                {row["partner_id"] for row in rows})
            procedures = {customer.id: customer._credit_dunning_procedure() for customer in customers}
            ladders = {procedure: procedure._dunning_ladder(company)
                       for procedure in set(procedures.values()) if procedure}
            level_days = {rung.key.id: rung.days_overdue for ladder in ladders.values() for rung in ladder.rungs}
            # A level's minimum is compared with the customer's overdue amount; a reminder
            # before the due date, with the amount coming due (the instalments not yet late).
            overdue, coming = defaultdict(float), defaultdict(float)
            for row in rows:
                (overdue if row["days_overdue"] > 0 else coming)[row["partner_id"]] += row["amount_company"]
            groups = {}
            for row in rows:
                partner_id = row["partner_id"]
                ladder = ladders.get(procedures[partner_id])
                rung = ladder and ladder.due(
                    row["days_overdue"], (overdue if row["days_overdue"] > 0 else coming)[partner_id],
                    # a level no ladder of this run knows counts as nothing done
                    done_days=[level_days[done_id] for done_id in row["done_level_ids"] if done_id in level_days],
                    days_since_last=(date - row["last_date"]).days if row["last_date"] else None)
                if not rung:
                    continue
                level = rung.key
                key = (partner_id, level.id)
                if key not in groups:
                    groups[key] = DunningStep(company, customers.browse(partner_id), level)
                groups[key].rows.append(row)
            steps += groups.values()
        return steps

    @api.model
    def _create_pending_events(self, steps, date):
        """Record each step as a pending event; a step another run recorded first is skipped.

        The events and their lines are inserted in bulk (two statements per thousand steps).
        If another run recorded some of the same (invoice, level) pairs meanwhile, the unique
        index refuses the chunk: its steps are then recorded one by one and the taken ones
        skipped.
        """
        event_ids = []
        for chunk in split_every(1000, steps):
            try:
                with self.env.cr.savepoint():
                    event_ids += self._insert_events(chunk, date)
            except pg_errors.UniqueViolation:
                for step in chunk:
                    try:
                        with self.env.cr.savepoint():
                            event_ids += self._insert_events([step], date)
                    except pg_errors.UniqueViolation:
                        _logger.info("Dunning of %s at level %s already recorded by another run.",
                                     step.partner.display_name, step.level.name)
        if len(event_ids) >= ANALYZE_AFTER:
            # The execution selects these rows by event right away: with the statistics of
            # yesterday's tables the planner expects none and loops over every line per event
            # (an UPDATE of one batch ran for minutes at L). Committed with the events.
            self.env.cr.execute(SQL("ANALYZE credit_dunning_event, credit_dunning_event_line"))
        self.env["credit.dunning.event"].invalidate_model()
        self.env["credit.dunning.event.line"].invalidate_model()
        self.env["res.partner"].invalidate_model(["credit_dunning_event_ids"])
        return self.env["credit.dunning.event"].browse(event_ids)

    @api.model
    def _insert_events(self, steps, date):
        """Insert the pending events of ``steps`` and their lines; return the event ids in order.

        Values are passed as one array per column (``unnest``): a statement of thousands of
        rows is then built and sent without formatting each row.
        """
        # cr.execute rather than env.execute_query, here and below: a run that collides with
        # another one expects the unique index to refuse the insert, which must not be logged.
        cr, uid = self.env.cr, self.env.uid
        cr.execute(SQL(
            """
            INSERT INTO credit_dunning_event
                   (date, partner_id, company_id, procedure_id, level_id, currency_id, amount_total,
                    channel, state, user_id, create_uid, write_uid, create_date, write_date)
            SELECT %(date)s, t.partner_id, t.company_id, t.procedure_id, t.level_id, t.currency_id,
                   t.amount_total, t.channel, 'pending', %(uid)s, %(uid)s, %(uid)s,
                   now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM unnest(%(partners)s::int[], %(companies)s::int[], %(procedures)s::int[],
                          %(levels)s::int[], %(currencies)s::int[], %(amounts)s::numeric[],
                          %(channels)s::varchar[])
                   AS t(partner_id, company_id, procedure_id, level_id, currency_id, amount_total, channel)
            RETURNING id, partner_id, company_id, level_id
            """,
            date=date, uid=uid,
            partners=[step.partner.id for step in steps],
            companies=[step.company.id for step in steps],
            procedures=[step.level.procedure_id.id for step in steps],
            levels=[step.level.id for step in steps],
            currencies=[step.company.currency_id.id for step in steps],
            amounts=[step.company.currency_id.round(step.amount) for step in steps],
            channels=[step.level.channel for step in steps],
        ), log_exceptions=False)
        # A step is one (customer, company, level): map the new ids back to the steps.
        ids = {(partner_id, company_id, level_id): event_id
               for event_id, partner_id, company_id, level_id in cr.fetchall()}
        event_ids = [ids[step.partner.id, step.company.id, step.level.id] for step in steps]
        lines = [(event_id, step, row) for event_id, step in zip(event_ids, steps, strict=True) for row in step.rows]
        if lines:
            cr.execute(SQL(
                """
                INSERT INTO credit_dunning_event_line
                       (event_id, state, date, partner_id, company_id, level_id, move_id, move_line_id,
                        instalment_number, instalment_count, date_due, days_overdue, currency_id,
                        amount_residual, amount_residual_company,
                        create_uid, write_uid, create_date, write_date)
                SELECT t.event_id, 'pending', %(date)s, t.partner_id, t.company_id, t.level_id,
                       t.move_id, t.move_line_id, t.instalment_number, t.instalment_count,
                       t.date_due, t.days_overdue, t.currency_id, t.amount_residual,
                       t.amount_company, %(uid)s, %(uid)s,
                       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM unnest(%(events)s::int[], %(partners)s::int[], %(companies)s::int[],
                              %(levels)s::int[], %(moves)s::int[], %(lines)s::int[], %(numbers)s::int[],
                              %(counts)s::int[], %(dues)s::date[], %(days)s::int[],
                              %(currencies)s::int[], %(residuals)s::numeric[], %(company_amounts)s::numeric[])
                       AS t(event_id, partner_id, company_id, level_id, move_id, move_line_id,
                            instalment_number, instalment_count, date_due, days_overdue,
                            currency_id, amount_residual, amount_company)
                """,
                date=date, uid=uid,
                events=[event_id for event_id, _step, _row in lines],
                partners=[step.partner.id for _id, step, _row in lines],
                companies=[step.company.id for _id, step, _row in lines],
                levels=[step.level.id for _id, step, _row in lines],
                moves=[row["move_id"] for _id, _step, row in lines],
                lines=[row["line_id"] for _id, _step, row in lines],
                numbers=[row["instalment_number"] for _id, _step, row in lines],
                counts=[row["instalment_count"] for _id, _step, row in lines],
                dues=[row["date_due"] for _id, _step, row in lines],
                days=[row["days_overdue"] for _id, _step, row in lines],
                currencies=[row["currency_id"] for _id, _step, row in lines],
                residuals=[row["amount_residual"] for _id, _step, row in lines],
                company_amounts=[row["amount_company"] for _id, _step, row in lines],
            ), log_exceptions=False)
        return event_ids

    # ------------------------------------------------------------------ execution
    @api.model
    def _execute_pending(self, companies, partners=None, commit=False):
        """Complete the pending events of ``companies`` (this run's and any left by a crash),
        a batch at a time.

        With ``commit``, each batch is its own transaction and other runs may complete batches
        at the same time (the executor job): a batch that collides with one of theirs is
        rolled back and taken again.
        """
        executed = self.env["credit.dunning.event"]
        collisions = 0
        while True:
            if commit and not self.env["ir.cron"]._commit_progress(
                    remaining=self._count_pending(companies, partners)):
                break  # out of time: the scheduler calls the job again
            try:
                batch = self._take_batch(companies, partners)
                if not batch:
                    # Nothing left, or what is left is being completed by another run: nothing
                    # remains for this run, which the scheduler must not call again at once.
                    if commit:
                        self.env["ir.cron"]._commit_progress(remaining=0)
                    break
                for company, events in batch.grouped("company_id").items():
                    self.with_company(company)._execute_events(events.with_company(company))
            except CONCURRENCY_ERRORS:
                if not commit or collisions >= self._max_collisions:
                    raise
                collisions += 1
                self.env.cr.rollback()
                self.env.invalidate_all()
                continue
            executed |= batch
            if commit:
                self.env["ir.cron"]._commit_progress(len(batch))
            # Keep memory bounded: what this batch loaded is not needed by the next one.
            self.env.invalidate_all()
        return executed

    @api.model
    def _count_pending(self, companies, partners=None):
        """Pending events this run can still take: not those of the customers another run is
        completing (their advisory locks, see :meth:`_take_batch`)."""
        query = self.env["credit.dunning.event"]._search(self._pending_domain(companies, partners))
        query.add_where(SQL(
            """credit_dunning_event.partner_id NOT IN (
                   SELECT objid::integer FROM pg_locks
                    WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2
                      AND granted AND pid != pg_backend_pid())""", ADVISORY_LOCK_SPACE))
        [(count,)] = self.env.execute_query(query.select(SQL("COUNT(*)")))
        return count

    @api.model
    def _pending_domain(self, companies, partners=None):
        domain = [("state", "=", "pending"), ("company_id", "in", companies.ids)]
        if partners is not None:
            domain.append(("partner_id", "in", partners.commercial_partner_id.ids))
        return domain

    @api.model
    def _take_batch(self, companies, partners=None):
        """Lock the next pending events to complete and return them: whole customers, and no
        customer another run is completing (two runs must never write the same customer).

        Rows another run has locked are skipped; a customer cut by the batch limit is left for
        the next batch; a per-customer advisory lock, held until the transaction ends, keeps
        out the rare customer whose remaining events another run is completing.
        """
        Event = self.env["credit.dunning.event"]
        query = Event._search(self._pending_domain(companies, partners))
        rows = self.env.execute_query(SQL(
            """
            SELECT credit_dunning_event.id, credit_dunning_event.partner_id
              FROM %s WHERE %s
             ORDER BY credit_dunning_event.partner_id, credit_dunning_event.id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """, query.from_clause, query.where_clause, self._batch_size))
        if len(rows) == self._batch_size and rows[0][1] != rows[-1][1]:
            rows = [row for row in rows if row[1] != rows[-1][1]]
        free = {partner_id for (partner_id,) in self.env.execute_query(SQL(
            "SELECT p FROM unnest(%s::int[]) AS p WHERE pg_try_advisory_xact_lock(%s, p)",
            sorted({partner_id for _id, partner_id in rows}), ADVISORY_LOCK_SPACE))}
        return Event.browse([event_id for event_id, partner_id in rows if partner_id in free])

    @api.model
    def _execute_events(self, events):
        """Perform ``events`` together; a failure is narrowed down by halves to the events that
        cause it, which are recorded as failed while the others are done."""
        try:
            with self.env.cr.savepoint():
                self._complete(self._perform(events))
        except CONCURRENCY_ERRORS:
            raise  # not the customers' fault: the whole batch is taken again (see _execute_pending)
        except Exception as error:  # noqa: BLE001 - any failure of one customer is recorded, the run goes on
            if len(events) > 1:
                half = len(events) // 2
                self._execute_events(events[:half])
                self._execute_events(events[half:])
                return
            _logger.warning("Dunning event %s for %s failed", events.id, events.partner_id.display_name,
                            exc_info=True)
            events.write({"state": "failed", "error": str(error) or repr(error)})

    @api.model
    def _complete(self, values):
        """Record the outcome of performed events, ``{event: values}``, in one statement.

        An event is written once, by the engine, when performed; with thousands per batch the
        ORM would issue one update per event (their values all differ) and recompute the state
        of every line: one ``UPDATE ... FROM (VALUES ...)`` instead, and the lines' stored state
        follows in a second one.
        """
        if not values:
            return
        self.env.flush_all()
        fnames = ["state", "channel", "error", "mail_message_id", "letter_attachment_id", "fee_move_id",
                  "activity_note"]
        types = {"mail_message_id": "int4", "letter_attachment_id": "int4", "fee_move_id": "int4"}
        rows = SQL(", ").join(
            SQL("(%s, %s)", event.id, SQL(", ").join(
                SQL("%s::%s", vals[fname] or None, SQL(types.get(fname, "varchar"))) for fname in fnames))
            for event, vals in values.items())
        ids = [event.id for event in values]
        completed = self.env.execute_query(SQL(
            """
            UPDATE credit_dunning_event e
               SET %(assign)s, write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
              FROM (VALUES %(rows)s) AS v(id, %(columns)s)
             WHERE e.id = v.id AND e.state = 'pending'
            RETURNING e.id
            """,
            assign=SQL(", ").join(SQL("%s = v.%s", SQL.identifier(f), SQL.identifier(f)) for f in fnames),
            uid=self.env.uid, rows=rows,
            columns=SQL(", ").join(SQL.identifier(f) for f in fnames),
        ))
        if len(completed) != len(ids):
            raise UserError(self.env._("Another run completed some of these dunning events meanwhile."))
        self.env.execute_query(SQL(
            """
            UPDATE credit_dunning_event_line l SET state = e.state
              FROM credit_dunning_event e
             WHERE l.event_id = e.id AND e.id = ANY(%s)
            """, ids))
        self.env["credit.dunning.event"].browse(ids).invalidate_recordset([*fnames, "write_uid", "write_date"])
        self.env["credit.dunning.event.line"].invalidate_model(["state"])

    @api.model
    def _perform(self, events):
        """Send or schedule everything the levels of ``events`` ask, for all of them at once
        (one company); return the final values of each event."""
        values = {event: {"state": "done", "channel": event.level_id.channel, "error": False}
                  for event in events}
        emailing = events.filtered(lambda event: event.level_id.send_email)
        recipients = self._email_recipients(emailing.partner_id)
        mute = emailing.filtered(lambda event: not recipients[event.partner_id.id])
        for event in mute:
            values[event].update(state="fallback", channel="letter", error=self.env._(
                "%(partner)s has no email address: the letter is in the chatter to be posted.",
                partner=event.partner_id.display_name))
        letters = self._render_letters(events.filtered(lambda event: event.level_id.send_letter) | mute)
        statements = self._render_statements((emailing - mute).filtered(lambda event: event.level_id.attach_statement))
        Attachment = self.env["ir.attachment"]
        messages = self._send_emails(emailing - mute, recipients, {
            event.id: letters.get(event.id, Attachment) | statements.get(event.id, Attachment)
            for event in emailing - mute})
        messages.update(self._post_letters(
            events.filtered(lambda event: event.id in letters and event.id not in messages), letters))
        activities = self._schedule_activities(events, mute)
        self._charge_interest(events.filtered(lambda event: event.level_id.charge_interest))
        self._put_on_hold(events.filtered(lambda event: event.level_id.put_on_hold))
        self._mark_in_collection(events.filtered(lambda event: event.level_id.legal_handover))
        for event in events:
            event_activities = activities.get(event.id, self.env["mail.activity"])
            values[event].update(
                mail_message_id=messages[event.id].id if event.id in messages else False,
                letter_attachment_id=letters[event.id].id if event.id in letters else False,
                fee_move_id=self._charge_fee(event).id if event.level_id.fee_type != "none" else False,
                activity_note=", ".join(
                    f"{activity.activity_type_id.name}: {activity.user_id.name}"
                    for activity in event_activities) or False)
        return values

    # ------------------------------------------------------------------ actions
    @api.model
    def _invoice_summary(self, event):
        """``INV/1 (1,000.00 $, 35 days), INV/2 1/2 (...), ...`` for messages and activity notes."""
        return ", ".join(
            self.env._("%(invoice)s (%(amount)s, %(days)s days)", invoice=line.display_name,
                       amount=formatLang(self.env, line.amount_residual, currency_obj=line.currency_id),
                       days=line.days_overdue)
            for line in event.line_ids)

    @api.model
    def _responsible(self, event, managers):
        """The customer's salesperson, else a credit manager, else the user running dunning."""
        return event.partner_id.user_id or managers[:1] or self.env.user

    @api.model
    def _email_recipients(self, partners):
        """``{partner id: recipient}``: each customer's invoicing contact with an email, else the
        customer if it has one, else an empty recordset (as Odoo's ``address_get``: the customer
        itself if it is an invoice address, else its first invoice contact)."""
        recipients = {}
        for partner in partners:
            invoicing = partner if partner.type == "invoice" else partner.child_ids.filtered(
                lambda child: child.type == "invoice" and not child.is_company)[:1]
            recipients[partner.id] = next(
                (candidate for candidate in (invoicing, partner) if candidate.email), partner.browse())
        return recipients

    @api.model
    def _render_letters(self, events):
        """The formal letter of each of ``events``, as attachments on the customers:
        ``{event id: attachment}`` (a handful of wkhtmltopdf calls for the whole batch)."""
        if not events:
            return {}
        contents, report_format = render_per_record(
            self.env, "credit_control.action_report_credit_dunning_letter", events)
        # Named in the customer's language, as the letter is (one read of the levels per language).
        attachments = self.env["ir.attachment"].create([{
            "name": f"{event.level_id.with_context(lang=event.partner_id.lang).name} - {event.partner_id.name}"
                    f" - {event.date}.{report_format}",
            "raw": contents[event.id],
            "mimetype": "application/pdf" if report_format == "pdf" else "text/html",
            "res_model": "res.partner",
            "res_id": event.partner_id.id,
        } for event in events])
        return dict(zip(events.ids, attachments, strict=True))

    @api.model
    def _render_statements(self, events):
        """The statement of account of each customer of ``events`` on its date, for the levels
        that attach it to their email: ``{event id: attachment}``, rendered in batch for all
        the customers of a date (``credit.statement.engine._statement_attachments``). The
        period is the statement wizard's default one, up to the run date."""
        statements = {}
        engine = self.env["credit.statement.engine"]
        for (company, day), day_events in events.grouped(lambda event: (event.company_id, event.date)).items():
            attachments = engine._statement_attachments(day_events.partner_id, company, *engine._default_period(day))
            statements.update({event.id: attachments[event.partner_id.id] for event in day_events})
        return statements

    @api.model
    def _reply_to(self, events):
        """``{partner id: reply-to}`` of the customers of ``events``, computed as Odoo does for
        a mass mailing (the catchall alias, else the company's address), once for the batch."""
        partners = events.partner_id
        company = events.company_id[:1]
        return partners._notify_get_reply_to_batch(
            defaults=dict.fromkeys(partners.ids, company.email_formatted),
            author_ids=dict.fromkeys(partners.ids, company.partner_id.id))

    @api.model
    def _send_emails(self, events, recipients, attachments):
        """Queue one email per event from its level's template, in the customer's language (the
        template's ``lang``), with its ``attachments`` (letter, statement); like Odoo's mass
        mailing the email is kept in the customer's chatter and is sent by the mail queue, never
        inline. Returns ``{event id: mail.message}``."""
        if not events:
            return {}
        rendered = {}
        by_template = defaultdict(list)
        for event in events:
            by_template[event.level_id.mail_template_id].append(event.id)
        for template, event_ids in by_template.items():
            rendered.update(template._generate_template(event_ids, ["subject", "body_html", "email_from"]))
        reply_to = self._reply_to(events)
        mails = self.env["mail.mail"].create([{
            "model": "res.partner",
            "res_id": event.partner_id.id,
            "record_name": event.partner_id.display_name,
            "message_type": "email_outgoing",
            "is_notification": True,
            "auto_delete": False,
            "author_id": event.company_id.partner_id.id,
            "email_from": rendered[event.id].get("email_from") or event.company_id.email_formatted,
            "reply_to": reply_to[event.partner_id.id],
            "subject": rendered[event.id]["subject"],
            "body_html": rendered[event.id]["body_html"],
            "body": rendered[event.id]["body_html"],
            "recipient_ids": [Command.set(recipients[event.partner_id.id].ids)],
            "attachment_ids": [Command.set(attachments[event.id].ids)],
        } for event in events])
        return {event.id: mail.mail_message_id for event, mail in zip(events, mails, strict=True)}

    @api.model
    def _post_letters(self, events, letters):
        """Put the letters that are not sent by email in the customers' chatter, to be posted:
        ``{event id: mail.message}``."""
        if not events:
            return {}
        reply_to = self._reply_to(events)
        author = self.env.user.partner_id
        messages = self.env["mail.message"].create([{
            "model": "res.partner",
            "res_id": event.partner_id.id,
            "record_name": event.partner_id.display_name,
            "message_type": "notification",
            "subtype_id": self.env.ref("mail.mt_note").id,
            "author_id": author.id,
            "email_from": author.email_formatted,
            "reply_to": reply_to[event.partner_id.id],
            "body": Markup("<p>%s</p>") % self.env._(
                "Dunning letter (%(level)s) for %(invoices)s.",
                level=event.level_id.name, invoices=self._invoice_summary(event)),
            "attachment_ids": [Command.set(letters[event.id].ids)],
        } for event in events])
        return dict(zip(events.ids, messages, strict=True))

    @api.model
    def _schedule_activities(self, events, mute):
        """The activities of ``events``: the level's own, every credit manager's legal hand-over
        and "post the letter" for customers without email; created together, without an
        assignment email per activity (assignees see them in their activities).
        Returns ``{event id: activities}``."""
        partner_model = self.env["ir.model"]._get_id("res.partner")
        legal_type = self.env.ref("credit_control.mail_activity_credit_legal")
        todo_type = self.env.ref("mail.mail_activity_data_todo")
        managers = events.company_id._credit_managers()  # one company per batch
        owners, vals_list = [], []
        notes = {}  # one note per event, however many activities it gets

        def add(event, activity_type, summary, user):
            if event.id not in notes:
                notes[event.id] = Markup("<p>%s</p><p>%s</p>") % (event.name, self._invoice_summary(event))
            owners.append(event.id)
            vals_list.append({
                "res_model_id": partner_model, "res_id": event.partner_id.id,
                "activity_type_id": activity_type.id, "summary": summary, "user_id": user.id,
                "date_deadline": event.date,
                "note": notes[event.id],
            })

        mute_ids = set(mute.ids)
        for event in events:
            level = event.level_id
            if event.id in mute_ids:
                add(event, todo_type, self.env._("Post the dunning letter to %s", event.partner_id.display_name),
                    self._responsible(event, managers))
            if level.create_activity:
                add(event, level.activity_type_id, level.activity_summary or level.name,
                    level.activity_user_id or self._responsible(event, managers))
            if level.legal_handover:
                summary = self.env._("Hand %s over to legal action or a collection agency", event.partner_id.name)
                for manager in managers or self.env.user:
                    add(event, legal_type, summary, manager)
        activities = self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)
        result = defaultdict(lambda: self.env["mail.activity"])
        for event_id, activity in zip(owners, activities, strict=True):
            result[event_id] |= activity
        return result

    @api.model
    def _put_on_hold(self, events):
        """Credit hold with the level's reason, for the customers not on hold yet (audited)."""
        for reason, group in events.grouped(lambda event: event.level_id.hold_reason).items():
            partners = group.partner_id.filtered(lambda partner: not partner.credit_hold)
            if partners:
                # The audit log and the event record the hold: no tracking message per customer.
                partners.with_context(mail_notrack=True).write(
                    {"credit_hold": True, "credit_hold_reason": reason})

    @api.model
    def _mark_in_collection(self, events):
        """Flag the customers handed over to legal collection."""
        partners = events.partner_id.filtered(lambda partner: not partner.credit_in_collection)
        if partners:
            partners.with_context(mail_notrack=True).write({"credit_in_collection": True})

    @api.model
    def _charge_interest(self, events):
        """Charge the late-payment interest accrued on the instalments of ``events`` up to the
        event's date, from their due date or the end of the last charge (never the same days
        twice: ``credit.late.interest.charge``), in the invoices' currency. Where the company
        invoices interest at the step, one posted invoice per event and currency bills it, like
        the fee; where it invoices monthly, the charges are only recorded and
        :meth:`_cron_invoice_interest` bills them next month. Set-based: the interest of all the
        events of a day in one call of the interest engine, the instalments read in one query,
        per company the invoices made together (:meth:`_post_interest_invoices`) and the charges
        inserted in one statement."""
        accrued = {day: group.line_ids.move_id._credit_late_interest(day)
                   for day, group in events.grouped("date").items()}
        instalments = defaultdict(list)
        for event_id, line_id, move_id, move_name, currency_id in self.env.execute_query(SQL(
                """SELECT l.event_id, l.move_line_id, aml.move_id, am.name, aml.currency_id
                     FROM credit_dunning_event_line l
                     JOIN account_move_line aml ON aml.id = l.move_line_id
                     JOIN account_move am ON am.id = aml.move_id
                    WHERE l.event_id = ANY(%s) ORDER BY l.event_id, l.id""", events.ids)):
            instalments[event_id].append((line_id, move_id, move_name, currency_id))
        currencies = self.env["res.currency"].browse(
            {row[3] for rows in instalments.values() for row in rows})
        rounding = {currency.id: partial(float_round, precision_rounding=currency.rounding)
                    for currency in currencies}
        for company, group in events.grouped("company_id").items():
            bills = []
            for event in group:
                items = defaultdict(list)
                for line_id, move_id, move_name, currency_id in instalments[event.id]:
                    since, amount = accrued[event.date].get(move_id, {}).get(line_id, (None, 0.0))
                    amount = rounding[currency_id](amount)
                    if amount > 0:
                        items[currency_id].append(Charged(line_id, move_id, move_name, since, event.date, amount))
                bills += [(event, currencies.browse(currency_id), charged) for currency_id, charged in items.items()]
            if not bills:
                continue
            if company.credit_late_interest_invoicing == "monthly":
                invoices = [None] * len(bills)
            else:
                invoices = self._post_interest_invoices(company, [
                    (event.partner_id, currency, event.date, charged) for event, currency, charged in bills]).ids
            self._insert_charges(company, [
                (event, currency, item, invoice)
                for invoice, (event, currency, charged) in zip(invoices, bills, strict=True) for item in charged])
        events.invalidate_recordset(["interest_charge_ids"])

    @api.model
    def _insert_charges(self, company, rows):
        """Record the charges ``(event, currency, Charged, invoice id or None)`` of ``company`` in
        one INSERT: append-only records without computed values, tens of thousands on the first
        day (the ORM's create took 17 s for 98,000 of them); the unique index refuses the same
        days twice."""
        columns = list(zip(*[(item.line_id, item.move_id, event.partner_id.id, currency.id, item.since,
                              item.until, item.amount, invoice, event.id)
                             for event, currency, item, invoice in rows], strict=True))
        self.env.execute_query(SQL(
            """INSERT INTO credit_late_interest_charge
                      (move_line_id, move_id, partner_id, company_id, currency_id, date_from, date_to, amount,
                       invoice_id, event_id, create_uid, write_uid, create_date, write_date)
               SELECT v.line, v.move, v.partner, %s, v.currency, v.since, v.until, v.amount, v.invoice, v.event,
                      %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                 FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::date[], %s::date[], %s::numeric[],
                             %s::int[], %s::int[])
                      AS v(line, move, partner, currency, since, until, amount, invoice, event)""",
            company.id, self.env.uid, self.env.uid, *[list(column) for column in columns]))
        self.env["credit.late.interest.charge"].invalidate_model()

    @api.model
    def _cron_invoice_interest(self):
        """Daily, acting on the first run of a month: the interest charged before this month and
        not invoiced yet (companies that invoice it monthly) is billed in one posted invoice per
        customer, company and currency, dated today, :data:`INVOICES_PER_BATCH` invoices per
        committed transaction. Idempotent: a billed charge carries its invoice (set in the same
        transaction) and is not selected again."""
        self._invoice_interest(fields.Date.context_today(self), self.env["ir.cron"]._commit_progress)

    @api.model
    def _invoice_interest(self, today, progress):
        """Bill the interest charged before the month of ``today`` and not invoiced yet; after
        each batch ``progress(count)`` (the cron's ``_commit_progress``) commits, and stops the
        run when it returns nothing."""
        Charge = self.env["credit.late.interest.charge"]
        groups = Charge._read_group(
            [("invoice_id", "=", False), ("date_to", "<", today.replace(day=1))],
            ["company_id", "partner_id", "currency_id"], ["id:array_agg"])
        progress(remaining=len(groups))
        for company in dict.fromkeys(company for company, *_rest in groups):
            mine = [group for group in groups if group[0] == company]
            for chunk in split_every(INVOICES_PER_BATCH, mine):
                charges = [Charge.browse(ids).sorted(lambda charge: (charge.date_to, charge.move_id.name or ""))
                           for _company, _partner, _currency, ids in chunk]
                invoices = self._post_interest_invoices(company, [
                    (partner, currency, today, [
                        Charged(charge.move_line_id.id, charge.move_id.id, charge.move_id.name, charge.date_from,
                                charge.date_to, charge.amount) for charge in billed])
                    for (_company, partner, currency, _ids), billed in zip(chunk, charges, strict=True)])
                # Append-only records (no ORM write): the invoice is set where none is yet.
                pairs = [(charge.id, invoice.id) for invoice, billed in zip(list(invoices), charges, strict=True)
                         for charge in billed]
                self.env.execute_query(SQL(
                    """UPDATE credit_late_interest_charge c SET invoice_id = v.invoice
                         FROM unnest(%s::int[], %s::int[]) AS v(charge, invoice)
                        WHERE c.id = v.charge AND c.invoice_id IS NULL""",
                    [charge for charge, _invoice in pairs], [invoice for _charge, invoice in pairs]))
                Charge.invalidate_model(["invoice_id"])
                if not progress(len(chunk)):
                    return

    @api.model
    def _post_interest_invoices(self, company, bills):
        """Create and post one interest invoice per bill ``(partner, currency, date, charged)``,
        ``charged`` listing :class:`Charged` items; returns the invoices in the order of
        ``bills``. One line per invoice whose description lists the instalments in the
        customer's language. The ORM's cost is per invoice line, hence one line, and per
        tracked message, hence no chatter tracking on these generated invoices (the dunning step
        or the charges record them); :data:`INVOICES_PER_BATCH` invoices per create and post."""
        product = self.env.ref("credit_control.product_late_interest")
        Move = self.env["account.move"].with_company(company).with_context(tracking_disable=True)
        invoices = Move.browse()
        for chunk in split_every(INVOICES_PER_BATCH, bills):
            batch = Move.create([{
                "move_type": "out_invoice", "partner_id": partner.id, "company_id": company.id,
                "currency_id": currency.id, "invoice_date": date,
                "invoice_line_ids": [Command.create({
                    "product_id": product.id, "quantity": 1,
                    "price_unit": currency.round(sum(item.amount for item in charged)),
                    "tax_ids": [Command.clear()],
                    "name": self._interest_line_name(partner, currency, charged),
                })],
            } for partner, currency, date, charged in chunk])
            with batch._credit_posting_charges():
                batch.action_post()
            invoices |= batch
        return invoices

    @api.model
    def _interest_line_name(self, partner, currency, charged):
        """The interest line's description, in the customer's language: a title, then one row
        per instalment charged (invoice, days charged, amount)."""
        env = self.with_context(lang=partner.lang or self.env.lang).env
        rows = [env._("Late-payment interest up to %(end)s:",
                      end=format_date(env, max(item.until for item in charged)))]
        rows += [env._("%(invoice)s, %(start)s – %(end)s: %(amount)s",
                       invoice=item.move_name, start=format_date(env, item.since), end=format_date(env, item.until),
                       amount=formatLang(env, item.amount, currency_obj=currency))
                 for item in charged]
        return "\n".join(rows)

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
            with move._credit_posting_charges():
                move.action_post()
        return move
