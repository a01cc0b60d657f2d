"""The worker side of ``./dev bench``: one process inside one Odoo registry, which builds data
(``generate``, ``profile``, ``oca-setup``), runs a cron worker of the daily dunning job
(``dunning-job``) or measures one side (``measure-ours``, ``measure-oca``).

A side is measured by the operation groups listed in :data:`OPERATION_MODULES`, in that order:
each module provides ``measure(worker, side)`` (``side`` is ``"ours"`` or ``"oca"``) and
measures its operations with :meth:`Worker.measure`, or reports them with
:meth:`Worker.unavailable` when their models are not in the build. To bench another concern,
add a module ``bench/ops_<concern>.py`` with that function and append its name here
(see bench/README.md).
"""
import importlib
import json
import signal
import statistics
import sys
import threading
import time
import traceback

from bench.common import FAST_OPERATION, FAST_RUNS, log

OPERATION_MODULES = [
    "bench.ops_credit",  # confirm an order, the credit check alone, exposure of all customers
    "bench.ops_reports",  # aging and insured-exposure XLSX
    "bench.ops_dunning",  # dunning run over all overdue invoices
    "bench.ops_ratings",  # credit snapshot, payment behaviour and scorecard of all customers
    "bench.ops_monitoring",  # warning detection, concentration XLSX, staged limits
    "bench.ops_plans",  # the daily payment-plan adherence job
    "bench.ops_overview",  # the credit overview, statements of account queued for 1,000 customers
    "bench.ops_collection",  # the daily collection jobs: late-interest invoicing, limitation and claim alerts
]


class OperationTimeout(BaseException):  # not an Exception: code under test catching those must not swallow it
    pass


def _alarm(_signum, _frame):
    raise OperationTimeout()


class RssSampler:
    """Peak resident memory of this process while a block runs (sampled every 5 ms)."""

    def __init__(self):
        import psutil  # noqa: PLC0415
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


class Worker:
    def __init__(self, args):
        import odoo  # noqa: PLC0415
        import odoo.init  # noqa: F401, PLC0415
        import odoo.modules.registry  # noqa: PLC0415
        from odoo.tools import config  # noqa: PLC0415
        config.parse_config(["-c", args.conf, "--log-level=warn"])
        self.odoo = odoo
        self.args = args
        self.registry = odoo.modules.registry.Registry(args.db)
        self.out = args.out
        self.result = {"ok": False, "db": args.db, "measurements": {}}
        self.save()

    def save(self):
        with open(self.out, "w") as f:
            json.dump(self.result, f, indent=1, default=str)

    def env(self, cr):
        return self.odoo.api.Environment(cr, self.odoo.SUPERUSER_ID, {"tz": "UTC"})

    # ------------------------------------------------------------------ timing
    def measure(self, name, op, setup=None, runs=None, check=None, limit=None, progress=None):
        """Median wall time of ``op(env, prepared)`` over several runs, each in a transaction that
        is rolled back; ``setup(env)`` prepares (untimed). ``check(env, result)`` returns
        figures stored with the measurement (from the last run)."""
        runs = runs or self.args.runs
        rec = {"status": "running"}
        self.result["measurements"][name] = rec
        self.save()
        times, queries, peaks, extra = [], [], [], {}
        try:
            i = 0
            while i < runs + 1:  # the first run warms caches and is not counted
                with self.registry.cursor() as cr:
                    env = self.env(cr)
                    prepared = setup(env) if setup else None
                    env.flush_all()
                    q0 = cr.sql_log_count
                    limit = limit or self.args.op_timeout
                    signal.signal(signal.SIGALRM, _alarm)
                    signal.alarm(limit)
                    try:
                        with RssSampler() as rss:
                            t0 = time.perf_counter()
                            value = op(env, prepared)
                            env.flush_all()
                            elapsed = time.perf_counter() - t0
                    except OperationTimeout:
                        signal.alarm(0)
                        if progress:  # what the operation had done when it was stopped
                            try:
                                env.flush_all()
                                rec["done_at_timeout"] = progress(env)
                            except Exception as exc:  # noqa: BLE001
                                rec["done_at_timeout"] = f"unknown ({type(exc).__name__})"
                        raise
                    finally:
                        signal.alarm(0)
                    q = cr.sql_log_count - q0
                    if check:
                        extra = check(env, value) or {}
                    cr.rollback()
                if i == 0 and elapsed > 20:
                    # slow operation: one measured run is all we can afford
                    times, queries, peaks = [elapsed], [q], [rss.peak]
                    rec["note"] = "single run (operation longer than 20 s)"
                    break
                if i == 0 and elapsed < FAST_OPERATION:
                    # a median of a few runs of a few milliseconds moves by a third between
                    # bench runs: fast operations get enough runs for a stable median
                    runs = max(runs, FAST_RUNS)
                if i > 0:
                    times.append(elapsed)
                    queries.append(q)
                    peaks.append(rss.peak)
                i += 1
            rec.update(
                status="ok", runs=len(times), median_ms=round(statistics.median(times) * 1000, 1),
                min_ms=round(min(times) * 1000, 1), max_ms=round(max(times) * 1000, 1),
                queries=int(statistics.median(queries)), queries_min=min(queries), queries_max=max(queries),
                peak_rss_mib=round(max(peaks) / 2**20, 1), **extra)
        except OperationTimeout:
            rec.update(status="timeout", error=f"did not finish within {limit} s (--op-timeout); "
                       f"peak RSS so far {round(rss.peak / 2**20, 1)} MiB"
                       + (f"; done by then: {rec['done_at_timeout']}" if rec.get("done_at_timeout") else ""))
        except Exception as exc:  # noqa: BLE001 - reported, never hidden
            rec.update(status="error", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc()[-3000:])
        self.save()
        log(f"  {name}: " + (f"{rec['median_ms']} ms median of {rec['runs']}, {rec['queries']} queries, "
                             f"peak RSS {rec['peak_rss_mib']} MiB" if rec["status"] == "ok"
                             else rec.get("error", rec["status"])))
        return rec

    def unavailable(self, name, why):
        self.result["measurements"][name] = {"status": "unavailable", "why": why}
        self.save()
        log(f"  {name}: not available ({why})")

    def measure_side(self, side):
        """Every operation group's measurements of ``side``, in the order of the list."""
        for name in OPERATION_MODULES:
            importlib.import_module(name).measure(self, side)

    def do_measure_ours(self):
        self.measure_side("ours")

    def do_measure_oca(self):
        self.measure_side("oca")

    def run(self, kind):
        try:
            getattr(self, "do_" + kind.replace("-", "_"))()
            self.result["ok"] = True
        except Exception as exc:  # noqa: BLE001
            self.result["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-4000:]}"
            log(self.result["error"])
        self.save()

    # ------------------------------------------------------------------ data building
    def do_generate(self):
        from bench import datagen  # noqa: PLC0415
        with self.registry.cursor() as cr:
            env = self.env(cr)
            summary = datagen.generate(env, self.args.scale, self.args.seed, log=log)
            cr.commit()
            t0 = time.monotonic()
            consistency = datagen.check_consistency(env, seed=self.args.seed)
            consistency["seconds"] = round(time.monotonic() - t0, 1)
            log(f"consistency: {consistency}")
            cr.commit()
        self.result.update(summary=summary, consistency=consistency)

    def do_profile(self):
        from bench import datagen  # noqa: PLC0415
        with self.registry.cursor() as cr:
            env = self.env(cr)
            summary = datagen.apply_credit_profile(env, self.args.seed, log=log)
            cr.commit()
        self.result.update(summary=summary)

    def do_oca_setup(self):
        """Give the community modules the same policy as ours: the risk includes open and
        overdue invoices, draft invoices and confirmed orders not invoiced; the customers'
        credit limit is core's, shared by both; a three-level credit-control policy on every
        customer (the module's own default data)."""
        from bench import datagen  # noqa: PLC0415
        with self.registry.cursor() as cr:
            env = self.env(cr)
            partners = datagen.bench_partners(env)
            cols = [c for c in ("risk_invoice_draft_include", "risk_invoice_open_include",
                                "risk_invoice_unpaid_include", "risk_sale_order_include")
                    if c in env["res.partner"]._fields]
            cr.execute(f"UPDATE res_partner SET {', '.join(f'{c} = TRUE' for c in cols)} WHERE id = ANY(%s)",
                       [partners.ids])
            summary = {"risk_flags": cols, "partners": len(partners)}
            if "credit.control.policy" in env:
                policy = env.ref("account_credit_control.credit_control_3_time", raise_if_not_found=False) \
                    or env["credit.control.policy"].search([], limit=1)
                env.company.credit_policy_id = policy
                # the policy applies to the receivable accounts (the chart's, unknown to its data)
                policy.account_ids = env["account.account"].search(
                    [("account_type", "=", "asset_receivable"), ("company_ids", "in", env.company.ids)])
                # Their emails go to the partners' addresses: every bench customer has one.
                summary["credit_policy"] = policy.name
                summary["policy_levels"] = policy.level_ids.mapped(lambda rec: (rec.name, rec.delay_days, rec.channel))
            cr.commit()
        self.result.update(summary=summary)

    # ------------------------------------------------------------------ the daily dunning job
    def do_dunning_job(self):
        """One of the two cron workers running the daily dunning job on a committed copy of the
        database (``--role main``: the daily job, which plans, triggers the executor job and
        completes batches; ``--role executor``: the second cron worker, which runs the
        executor job once it is triggered, as Odoo's scheduler would). Waits for the
        orchestrator's go on stdin, so that loading the registry (done once by a running
        cron worker) is not measured."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            executor = env.ref("credit_control.ir_cron_credit_dunning_execute")
            cr.commit()
            print("READY", flush=True)
            sys.stdin.readline()
            with RssSampler() as rss:
                started = time.time()
                q0 = cr.sql_log_count
                ran = True
                if self.args.role == "main":
                    env["credit.dunning.engine"]._cron_run_dunning()
                else:
                    ran = self._wait_for_trigger(cr, executor.id)
                    q0 = cr.sql_log_count  # the polling is the scheduler's, not the job's
                    if ran:
                        env["credit.dunning.engine"]._cron_execute_dunning()
                cr.commit()
                ended = time.time()
        self.result.update(role=self.args.role, ran=ran, started=started, ended=ended,
                           queries=cr.sql_log_count - q0, peak_rss_mib=round(rss.peak / 2**20, 1))

    def _wait_for_trigger(self, cr, cron_id):
        """Poll for the executor job's trigger as a cron worker would be woken up by it; give up
        when the daily job has ended without triggering it (a run of one batch or less)."""
        while True:
            cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s RETURNING id", [cron_id])
            found = bool(cr.fetchall())
            cr.commit()
            if found:
                return True
            try:
                with open(self.args.main_out) as f:
                    if json.load(f).get("ended"):
                        return False
            except ValueError:
                pass  # read while the daily job's worker was writing it

            time.sleep(0.05)
