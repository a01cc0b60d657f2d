#!/usr/bin/env python3
"""./dev bench — reproducible scale data, measured speed, side by side with the community
alternatives. See bench/README.md.

The orchestrator (this file without ``--worker``) builds or reuses three databases per
(scale, seed, generator version):

* ``ccb_<key>_base``: core apps (sale_management, account) and the generated data;
* ``ccb_<key>_ours``: a copy of base with credit_control installed and the credit profile applied;
* ``ccb_<key>_oca``: a copy of base with the community modules installed (identical data).

Each database is built by Odoo's own CLI or by a worker process of this script, and each side is
measured in its own worker process (so memory figures are per side).
"""
import argparse
import configparser
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

OCA_PACKAGES = [
    "odoo-addon-sale-financial-risk==19.0.1.0.1",
    "odoo-addon-account-financial-risk==19.0.1.0.0.6",
    "odoo-addon-account-credit-control==19.0.1.0.0.13",
    "odoo-addon-account-financial-report==19.0.0.0.26.3",
    "odoo-addon-report-xlsx==19.0.1.0.2.2",
    "odoo-addon-date-range==19.0.1.0.1",
]
OCA_MODULES = ["sale_financial_risk", "account_credit_control", "account_financial_report"]
CORE_MODULES = ["sale_management", "account"]
OCA_SETUP_VERSION = 2  # bump when do_oca_setup changes: reused databases are set up again
FAST_OPERATION = 0.1  # seconds: an operation this fast is measured at least FAST_RUNS times
FAST_RUNS = 30
PAST_DAYS = 180  # the "past date" of the aging reports: today - PAST_DAYS
AGING_BOUNDARIES = [30, 60, 90, 120]  # the community report's fixed buckets
BUCKET_KEYS = ["current", "30_days", "60_days", "90_days", "120_days", "older"]  # their names


def log(msg):
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


# ==========================================================================================
# orchestrator
# ==========================================================================================
class Env:
    """Paths, configuration files and database helpers of the orchestrator."""

    def __init__(self, args):
        self.args = args
        self.dev_conf = os.environ["DEV_CONF"]
        cp = configparser.ConfigParser()
        cp.read(self.dev_conf)
        self.opts = dict(cp["options"])
        import odoo  # noqa: PLC0415 - only the package location is needed here
        self.odoo_py = os.path.dirname(list(odoo.__path__)[0])
        self.odoo_bin = os.path.normpath(os.path.join(self.odoo_py, "..", "..", "..", "bin", "odoo"))
        self.core_addons = os.path.join(list(odoo.__path__)[0], "addons")
        self.devenv = os.path.join(ROOT, ".devenv")
        self.work = os.path.join(self.devenv, "bench")
        self.oca_dir = os.path.join(self.devenv, "bench-addons", "oca")
        os.makedirs(self.work, exist_ok=True)
        self.addons_root = os.path.abspath(args.addons_root or ROOT)
        self.confs = {
            "core": self._write_conf("core", [self.core_addons]),
            "ours": self._write_conf("ours", [self.core_addons, self.addons_root]),
            "oca": self._write_conf("oca", [self.core_addons, os.path.join(self.oca_dir, "odoo", "addons")]),
        }
        from bench.datagen import GENERATOR_VERSION  # noqa: PLC0415
        self.key = f"{args.scale.lower()}_s{args.seed}_g{GENERATOR_VERSION}"
        self.dbs = {side: f"ccb_{self.key}_{side}" for side in ("base", "ours", "oca")}

    def _write_conf(self, name, addons):
        path = os.path.join(self.work, f"{name}.conf")
        lines = ["[options]"]
        for k in ("data_dir", "db_host", "db_port", "db_user", "db_password", "admin_passwd"):
            if self.opts.get(k):
                lines.append(f"{k} = {self.opts[k]}")
        lines += [f"addons_path = {','.join(addons)}", "http_interface = 127.0.0.1",
                  "http_enable = False", "max_cron_threads = 0", "list_db = False"]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    # -------------------------------------------------------------- postgres
    def connect(self, db="postgres"):
        import psycopg2  # noqa: PLC0415
        kw = dict(dbname=db, user=self.opts.get("db_user"), host=self.opts.get("db_host"),
                  port=self.opts.get("db_port"))
        if self.opts.get("db_password"):
            kw["password"] = self.opts["db_password"]
        conn = psycopg2.connect(**kw)
        conn.autocommit = True
        return conn

    def sql(self, query, params=None, db="postgres"):
        conn = self.connect(db)  # autocommit (no "with conn": it would open a transaction)
        try:
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()

    def settle(self, db):
        """VACUUM ANALYZE the tables every side reads, so that both sides are measured on the
        same statistics and visibility map (a copied database has neither: PostgreSQL keeps no
        activity counters for it, so autovacuum would not start before the measurement)."""
        t0 = time.monotonic()
        self.sql("VACUUM (ANALYZE) account_move_line, account_move, account_partial_reconcile,"
                 " res_partner, sale_order, sale_order_line", db=db)
        log(f"vacuum analyze {db}: {time.monotonic() - t0:.0f} s")

    def db_exists(self, db):
        return bool(self.sql("SELECT 1 FROM pg_database WHERE datname = %s", [db]))

    def marker(self, db, key="credit_control_bench.ready"):
        if not self.db_exists(db):
            return None
        conn = self.connect(db)
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
                row = cr.fetchone()
                return json.loads(row[0]) if row else None
        except Exception:  # noqa: BLE001 - an unfinished database has no marker
            return None
        finally:
            conn.close()

    def set_marker(self, db, value, key="credit_control_bench.ready"):
        conn = self.connect(db)
        try:
            with conn.cursor() as cr:
                cr.execute("DELETE FROM ir_config_parameter WHERE key = %s", [key])
                cr.execute("INSERT INTO ir_config_parameter (key, value, create_date, write_date)"
                           " VALUES (%s, %s, now(), now())", [key, json.dumps(value)])
        finally:
            conn.close()

    def drop(self, db):
        self.sql(f'DROP DATABASE IF EXISTS "{db}"')
        shutil.rmtree(os.path.join(self.opts["data_dir"], "filestore", db), ignore_errors=True)

    def copy(self, src, dst):
        self.drop(dst)
        self.sql(f'CREATE DATABASE "{dst}" ENCODING \'unicode\' TEMPLATE "{src}"')
        fs = os.path.join(self.opts["data_dir"], "filestore")
        if os.path.isdir(os.path.join(fs, src)):
            shutil.copytree(os.path.join(fs, src), os.path.join(fs, dst))

    # -------------------------------------------------------------- processes
    def odoo_cli(self, conf, db, *args, timeout=None):
        cmd = [sys.executable, self.odoo_bin, "-c", self.confs[conf], "-d", db,
               "--stop-after-init", "--log-level=warn", "--max-cron-threads=0", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        errors = [l for l in (proc.stdout + proc.stderr).splitlines()
                  if " ERROR " in l or " CRITICAL " in l or l.startswith(("Traceback", "  File", "odoo.", "psycopg2."))
                  or "Error" in l]
        return proc.returncode, errors

    def worker(self, kind, conf, db, out, timeout=None, extra=()):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--conf", self.confs[conf],
               "--db", db, "--out", out, "--scale", self.args.scale, "--seed", str(self.args.seed),
               "--runs", str(self.args.runs), "--op-timeout", str(self.args.op_timeout), *extra]
        try:
            proc = subprocess.run(cmd, timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        result = {}
        if os.path.exists(out):
            with open(out) as f:
                result = json.load(f)
        return rc, result


def module_hash(addons_root):
    h = hashlib.sha1()
    base = os.path.join(addons_root, "credit_control")
    for dirpath, dirnames, filenames in sorted(os.walk(base)):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "tests", "i18n"))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".po", ".pot")):
                continue
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, base).encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def ensure_oca_addons(e):
    target = os.path.join(e.oca_dir, "odoo", "addons")
    stamp = os.path.join(e.oca_dir, ".packages")
    want = "\n".join(OCA_PACKAGES)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return None
    log("installing the community modules from PyPI into .devenv/bench-addons/oca (pip --no-deps)")
    shutil.rmtree(e.oca_dir, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "--no-deps", "--target", e.oca_dir, *OCA_PACKAGES],
                          capture_output=True, text=True)
    if proc.returncode or not os.path.isdir(target):
        return f"pip install failed: {proc.stderr.strip()[-2000:]}"
    with open(stamp, "w") as f:
        f.write(want)
    return None


def build(e, steps):
    """Create or reuse the three databases; returns a dict of build facts."""
    args = e.args
    facts = {"key": e.key, "steps": steps}
    rebuild = args.rebuild

    # ---------------------------------------------------------------- base
    base_marker = None if rebuild else e.marker(e.dbs["base"])
    if base_marker:
        log(f"reusing {e.dbs['base']} (generated {base_marker.get('generated_at')})")
    else:
        for db in e.dbs.values():
            e.drop(db)
        t0 = time.monotonic()
        log(f"creating {e.dbs['base']}: installing {', '.join(CORE_MODULES)} (no demo data)")
        rc, errors = e.odoo_cli("core", e.dbs["base"], "-i", ",".join(CORE_MODULES))
        if rc:
            raise SystemExit(f"installing the core modules failed: {errors[-20:]}")
        t1 = time.monotonic()
        steps["base: install core apps"] = round(t1 - t0, 1)
        log(f"generating the {args.scale} data (seed {args.seed})")
        out = os.path.join(e.work, f"{e.key}_generate.json")
        rc, res = e.worker("generate", "core", e.dbs["base"], out)
        if rc or not res.get("ok"):
            raise SystemExit(f"generation failed: {res.get('error')}")
        steps["base: generate data"] = round(time.monotonic() - t1, 1)
        base_marker = dict(res["summary"], generated_at=datetime.now().isoformat(timespec="seconds"),
                           consistency=res["consistency"], build_seconds=round(time.monotonic() - t0, 1))
        e.set_marker(e.dbs["base"], base_marker)
        log(f"base ready: {res['summary']}")
    facts["data"] = base_marker

    # ---------------------------------------------------------------- ours
    mhash = module_hash(e.addons_root)
    ours_marker = None if rebuild else e.marker(e.dbs["ours"])
    if ours_marker:
        log(f"reusing {e.dbs['ours']}")
        if ours_marker.get("module_hash") != mhash:
            t0 = time.monotonic()
            log("credit_control changed since this database was built: updating it (-u credit_control)")
            rc, errors = e.odoo_cli("ours", e.dbs["ours"], "-u", "credit_control")
            if rc:
                raise SystemExit(f"updating credit_control failed: {errors[-20:]}")
            out = os.path.join(e.work, f"{e.key}_profile.json")
            rc, res = e.worker("profile", "ours", e.dbs["ours"], out)
            if rc or not res.get("ok"):
                raise SystemExit(f"credit profile failed: {res.get('error')}")
            ours_marker.update(module_hash=mhash, profile=res["summary"])
            e.set_marker(e.dbs["ours"], ours_marker)
            steps["ours: update credit_control"] = round(time.monotonic() - t0, 1)
    else:
        t0 = time.monotonic()
        e.copy(e.dbs["base"], e.dbs["ours"])
        log(f"{e.dbs['ours']}: installing credit_control")
        rc, errors = e.odoo_cli("ours", e.dbs["ours"], "-i", "credit_control")
        if rc:
            raise SystemExit(f"installing credit_control failed: {errors[-20:]}")
        t1 = time.monotonic()
        steps["ours: copy + install credit_control"] = round(t1 - t0, 1)
        out = os.path.join(e.work, f"{e.key}_profile.json")
        rc, res = e.worker("profile", "ours", e.dbs["ours"], out)
        if rc or not res.get("ok"):
            raise SystemExit(f"credit profile failed: {res.get('error')}")
        steps["ours: grades, insurance, dunning set-up"] = round(time.monotonic() - t1, 1)
        ours_marker = {"module_hash": mhash, "profile": res["summary"]}
        e.set_marker(e.dbs["ours"], ours_marker)
    facts["profile"] = ours_marker.get("profile")

    # ---------------------------------------------------------------- community
    if args.no_compare:
        return facts
    oca_marker = None if rebuild else e.marker(e.dbs["oca"])
    if oca_marker and not oca_marker.get("error") and oca_marker.get("setup_version") != OCA_SETUP_VERSION:
        out = os.path.join(e.work, f"{e.key}_oca_setup.json")
        rc, res = e.worker("oca-setup", "oca", e.dbs["oca"], out)
        oca_marker.update(setup=res.get("summary"), setup_version=OCA_SETUP_VERSION)
        e.set_marker(e.dbs["oca"], oca_marker)
    if oca_marker:
        log(f"reusing {e.dbs['oca']}" + (f" (install failed: {oca_marker['error']})" if oca_marker.get("error") else ""))
    else:
        t0 = time.monotonic()
        error = ensure_oca_addons(e)
        oca_marker = {}
        if not error:
            e.copy(e.dbs["base"], e.dbs["oca"])
            log(f"{e.dbs['oca']}: installing {', '.join(OCA_MODULES)} from PyPI")
            rc, errors = e.odoo_cli("oca", e.dbs["oca"], "-i", ",".join(OCA_MODULES))
            if rc:
                error = "installing the community modules failed: " + "\n".join(errors[-30:])
        steps["oca: copy + install community modules"] = round(time.monotonic() - t0, 1)
        if not error:
            t1 = time.monotonic()
            out = os.path.join(e.work, f"{e.key}_oca_setup.json")
            rc, res = e.worker("oca-setup", "oca", e.dbs["oca"], out)
            if rc or not res.get("ok"):
                error = f"configuring the community modules failed: {res.get('error')}"
            else:
                oca_marker.update(setup=res["summary"], setup_version=OCA_SETUP_VERSION)
            steps["oca: configure risk flags and credit policy"] = round(time.monotonic() - t1, 1)
        if error:
            log(error)
            oca_marker["error"] = error
        e.set_marker(e.dbs["oca"], oca_marker) if e.db_exists(e.dbs["oca"]) else None
    facts["oca"] = oca_marker
    return facts


# ==========================================================================================
# worker side: runs inside one Odoo registry
# ==========================================================================================
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
        import odoo.init  # noqa: F401, PLC0415
        import odoo  # noqa: PLC0415
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
                             f"peak RSS {rec['peak_rss_mib']} MiB" if rec["status"] == "ok" else rec.get("error", rec["status"])))
        return rec

    def unavailable(self, name, why):
        self.result["measurements"][name] = {"status": "unavailable", "why": why}
        self.save()
        log(f"  {name}: not available ({why})")

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
                summary["policy_levels"] = policy.level_ids.mapped(lambda l: (l.name, l.delay_days, l.channel))
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

    # ------------------------------------------------------------------ measurements
    def _bench_info(self, env):
        from bench import datagen  # noqa: PLC0415
        partners = datagen.bench_partners(env)
        small = partners.filtered(lambda p: p.ref == datagen.SMALL_REF)
        big = partners.filtered(lambda p: p.ref == datagen.BIG_REF)
        return partners, small, big

    def _order_setup(self, partner_ref):
        def setup(env):
            from bench import datagen  # noqa: PLC0415
            partner = env["res.partner"].search([("ref", "=", partner_ref)], limit=1)
            product = env["product.product"].search([("default_code", "=", "BENCH-SERVICE")], limit=1)
            order = env["sale.order"].create({
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 3,
                                       "price_unit": 100.0, "tax_ids": [(5,)]}) for _i in range(3)],
            })
            del datagen
            return order
        return setup

    def _measure_confirm(self, label, ref, check_op):
        def confirm(env, order):
            result = order.action_confirm()
            return order
        def check(env, order):
            return {"order_state": order.state}
        self.measure(f"confirm order: {label}", confirm, self._order_setup(ref), check=check)
        self.measure(f"credit check only: {label}", check_op, self._order_setup(ref))

    def do_measure_ours(self):
        from bench import datagen  # noqa: PLC0415
        with self.registry.cursor() as cr:
            env = self.env(cr)
            partners, small, big = self._bench_info(env)
            n_small = env["account.move"].search_count([("partner_id", "=", small.id), ("payment_state", "=", "not_paid"), ("state", "=", "posted")])
            n_big = env["account.move"].search_count([("partner_id", "=", big.id), ("payment_state", "=", "not_paid"), ("state", "=", "posted")])
            has = {
                "dunning": "credit.dunning.engine" in env and hasattr(env["credit.dunning.engine"], "_run"),
                "aging": "credit.aging.wizard" in env and hasattr(env["credit.aging.wizard"], "action_export_xlsx"),
                "insurance": "credit.insurance.report.wizard" in env and hasattr(env["credit.insurance.report.wizard"], "action_export_xlsx"),
            }
        self.result["open_invoices"] = {"small": n_small, "big": n_big}

        def check_only(env, order):
            return order._credit_error_message()
        for label, ref in ((f"customer with {n_small} open invoices", datagen.SMALL_REF),
                           (f"customer with {n_big} open invoices", datagen.BIG_REF)):
            self._measure_confirm(label, ref, check_only)

        def exposure(env, partners):
            return env["credit.exposure.engine"]._compute_figures(partners, env.company)

        def exposure_check(env, figures):
            return {"customers": len(figures),
                    "total_exposure": round(sum(f["exposure"] for f in figures.values()), 2),
                    "total_receivable": round(sum(f["receivable"] for f in figures.values()), 2),
                    "total_uninvoiced_orders": round(sum(f["uninvoiced_orders"] for f in figures.values()), 2)}
        self.measure("exposure of all customers", exposure,
                     lambda env: datagen.bench_partners(env), check=exposure_check)

        if has["aging"]:
            for label, days in (("today", 0), (f"{PAST_DAYS} days ago", PAST_DAYS)):
                self.measure(f"aging XLSX as of {label}", self._our_aging(days), check=self._our_aging_check,
                             runs=min(self.args.runs, 3))
        else:
            self.unavailable("aging XLSX as of today", "credit.aging.wizard.action_export_xlsx is not in this build")
        if has["insurance"]:
            self.measure("insured-exposure XLSX", self._our_insurance, check=self._xlsx_check,
                         runs=min(self.args.runs, 3))
        else:
            self.unavailable("insured-exposure XLSX", "credit.insurance.report.wizard is not in this build")
        if has["dunning"]:
            self.measure("dunning run over all overdue invoices", self._our_dunning,
                         check=self._our_dunning_check, runs=min(self.args.runs, 3),
                         progress=self._our_dunning_progress)
        else:
            self.unavailable("dunning run over all overdue invoices", "credit.dunning.engine._run is not in this build")

    # -- ours: dunning, aging, insurance (issues 4 and 5)
    def _our_dunning(self, env, _prepared):
        engine = env["credit.dunning.engine"]
        mails_before = env["mail.mail"].search_count([])
        result = engine._run(env.company, date=date.today())
        return {"result": result, "mails_before": mails_before}

    def _our_dunning_progress(self, env):
        env.cr.execute("SELECT state, count(*) FROM credit_dunning_event GROUP BY state")
        events = dict(env.cr.fetchall())
        env.cr.execute("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")
        return {"dunning_events": events, "emails_queued": env.cr.fetchone()[0]}

    def _our_dunning_check(self, env, value):
        figures = {"emails_queued": env["mail.mail"].search_count([]) - value["mails_before"],
                   "emails_outgoing": env["mail.mail"].search_count([("state", "=", "outgoing")])}
        if "credit.dunning.event" in env:
            figures["dunning_events"] = env["credit.dunning.event"].search_count([])
        return figures

    def _our_aging(self, days):
        def op(env, _prepared):
            wizard = env["credit.aging.wizard"].create(self._our_aging_values(env, date.today() - timedelta(days=days)))
            action = wizard.action_export_xlsx()
            return {"wizard": wizard, "action": action}
        return op

    def _our_aging_values(self, env, as_of):
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

    def _xlsx_size(self, env, action):
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

    def _xlsx_check(self, env, value):
        return self._xlsx_size(env, value.get("action") if isinstance(value, dict) else value)

    def _our_aging_check(self, env, value):
        figures = self._xlsx_check(env, value)
        wizard = value["wizard"]
        try:
            rows = wizard._build_rows()
            n = len(AGING_BOUNDARIES) + 2
            sums = [round(sum(r["buckets"][i] for r in rows), 2) for i in range(n)]
            figures["buckets"] = dict(zip(BUCKET_KEYS, sums), residual=round(sum(r["total"] for r in rows), 2))
            figures["rows"] = len(rows)
        except Exception as exc:  # noqa: BLE001 - the totals are a bonus; report why they are missing
            figures["buckets_error"] = f"{type(exc).__name__}: {exc}"
        return figures

    def _our_insurance(self, env, _prepared):
        wizard = env["credit.insurance.report.wizard"].create({})
        return {"action": wizard.action_export_xlsx()}

    # -- the community side
    def do_measure_oca(self):
        from bench import datagen  # noqa: PLC0415
        with self.registry.cursor() as cr:
            env = self.env(cr)
            partners, small, big = self._bench_info(env)
            n_small = env["account.move"].search_count([("partner_id", "=", small.id), ("payment_state", "=", "not_paid"), ("state", "=", "posted")])
            n_big = env["account.move"].search_count([("partner_id", "=", big.id), ("payment_state", "=", "not_paid"), ("state", "=", "posted")])
            has_risk = "risk_total" in env["res.partner"]._fields and hasattr(env["sale.order"], "evaluate_risk_message")
            has_cc = "credit.control.run" in env
            has_afr = "aged.partner.balance.report.wizard" in env
        self.result["open_invoices"] = {"small": n_small, "big": n_big}

        def check_only(env, order):
            return order.evaluate_risk_message(order.partner_invoice_id.commercial_partner_id)
        if has_risk:
            for label, ref in ((f"customer with {n_small} open invoices", datagen.SMALL_REF),
                               (f"customer with {n_big} open invoices", datagen.BIG_REF)):
                self._measure_confirm(label, ref, check_only)

            def exposure(env, partners):
                return partners.mapped("risk_total")

            def exposure_check(env, values):
                env.cr.execute("""
                    SELECT COALESCE(SUM(l.amount_residual), 0) FROM account_move_line l
                      JOIN account_account a ON a.id = l.account_id
                     WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
                       AND NOT l.reconciled AND l.currency_id != l.company_currency_id""")
                foreign = env.cr.fetchone()[0]
                return {"customers": len(values), "total_exposure": round(sum(values), 2),
                        "open_receivable_in_foreign_currency": round(foreign, 2)}
            self.measure("exposure of all customers", exposure,
                         lambda env: datagen.bench_partners(env), check=exposure_check)
        else:
            self.unavailable("confirm order", "sale_financial_risk is not installed")
        if has_cc:
            self.measure("dunning run over all overdue invoices", self._oca_credit_control,
                         check=self._oca_credit_control_check, runs=min(self.args.runs, 3),
                         progress=self._oca_credit_control_progress)
        else:
            self.unavailable("dunning run over all overdue invoices", "account_credit_control is not installed")
        if has_afr:
            for label, days in (("today", 0), (f"{PAST_DAYS} days ago", PAST_DAYS)):
                self.measure(f"aging XLSX as of {label}", self._oca_aging(days), check=self._oca_aging_check,
                             runs=min(self.args.runs, 3))
        else:
            self.unavailable("aging XLSX as of today", "account_financial_report is not installed")

    def _oca_credit_control(self, env, _prepared):
        mails_before = env["mail.mail"].search_count([])
        run = env["credit.control.run"].create({"date": date.today()})
        run.generate_credit_lines()
        run.set_to_ready_lines()
        run.run_channel_action()
        return {"run": run, "mails_before": mails_before}

    def _oca_credit_control_progress(self, env):
        env.cr.execute("SELECT state, count(*) FROM credit_control_line GROUP BY state")
        lines = dict(env.cr.fetchall())
        env.cr.execute("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")
        return {"credit_control_lines": lines, "emails_queued": env.cr.fetchone()[0]}

    def _oca_credit_control_check(self, env, value):
        run = value["run"]
        return {"credit_lines": len(run.line_ids),
                "communications": len(run.line_ids.communication_id),
                "emails_queued": env["mail.mail"].search_count([]) - value["mails_before"]}

    def _oca_aging(self, days):
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

    def _oca_aging_check(self, env, value):
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


# ==========================================================================================
# report
# ==========================================================================================
def fmt_ms(rec):
    if not rec:
        return "—"
    if rec.get("status") == "ok":
        ms = rec["median_ms"]
        return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"
    if rec.get("status") == "unavailable":
        return "n/a"
    return rec.get("status", "?")


def print_tables(summary):
    ours = summary.get("ours", {}).get("measurements", {})
    oca = summary.get("oca", {}).get("measurements", {})
    names = list(ours) + [n for n in oca if n not in ours]
    print()
    print(f"credit_control bench — scale {summary['scale']}, seed {summary['seed']}, "
          f"{summary['data'].get('customers')} customers, {summary['data'].get('invoices')} invoices, "
          f"{summary['data'].get('receivable_lines')} receivable lines, {summary['data'].get('orders')} orders")
    w = max(len(n) for n in names) if names else 30
    print()
    print(f"{'operation':<{w}}  {'ours':>10} {'queries':>8} {'RSS MiB':>8}   {'community':>10} {'queries':>8} {'RSS MiB':>8}   {'ratio':>7}")
    print("-" * (w + 80))
    for name in names:
        a, b = ours.get(name), oca.get(name)
        ratio = ""
        if a and b and a.get("status") == "ok" and b.get("status") == "ok" and a["median_ms"] > 0:
            ratio = f"{b['median_ms'] / a['median_ms']:.1f}×"
        def q(rec):
            return str(rec.get("queries", "")) if rec and rec.get("status") == "ok" else ""
        def m(rec):
            return str(rec.get("peak_rss_mib", "")) if rec and rec.get("status") == "ok" else ""
        print(f"{name:<{w}}  {fmt_ms(a):>10} {q(a):>8} {m(a):>8}   {fmt_ms(b):>10} {q(b):>8} {m(b):>8}   {ratio:>7}")
    print()
    print("ratio = community time / our time (higher is better for credit_control).")
    for side, data in (("ours", ours), ("community", oca)):
        for name, rec in data.items():
            if rec.get("status") not in ("ok",):
                print(f"  {side} · {name}: {rec.get('why') or rec.get('error') or rec.get('status')}")
    for line in summary.get("comparisons", []):
        print(f"  {line}")
    print()


def compare_totals(summary):
    """Where both compute the same thing, the totals must match to the cent."""
    out = []
    ours = summary.get("ours", {}).get("measurements", {})
    oca = summary.get("oca", {}).get("measurements", {})
    a, b = ours.get("exposure of all customers", {}), oca.get("exposure of all customers", {})
    if a.get("total_exposure") is not None and b.get("total_exposure") is not None:
        same = abs(a["total_exposure"] - b["total_exposure"]) < 0.005
        diff = a["total_exposure"] - b["total_exposure"]
        line = (f"exposure totals: ours {a['total_exposure']:.2f} vs community {b['total_exposure']:.2f} — "
                + ("identical" if same else f"DIFFERENT by {diff:.2f}"))
        foreign = b.get("open_receivable_in_foreign_currency")
        from bench.datagen import OTHER_RATE  # noqa: PLC0415
        expected = (foreign or 0) * (1 - 1 / OTHER_RATE)
        if not same and foreign and abs(diff - expected) <= max(1.0, 1e-4 * foreign):
            line += (f" = half of the open receivable in the second currency ({foreign:.2f}): "
                     "account_financial_risk converts the company-currency residual of foreign-currency "
                     "lines as if it were in the foreign currency (rate 2.0 here)")
        out.append(line)
    for name in ours:
        if not name.startswith("aging XLSX"):
            continue
        a, b = ours[name].get("buckets"), oca.get(name, {}).get("buckets")
        if a is not None and b is not None:
            diffs = {k: round(a.get(k, 0) - b.get(k, 0), 2) for k in ["residual", *BUCKET_KEYS]}
            if all(abs(v) < 0.005 for v in diffs.values()):
                out.append(f"{name}: all six buckets and the total identical to the cent "
                           f"(total {a['residual']:.2f})")
            else:
                out.append(f"{name}: buckets DIFFER (ours - community): {diffs}; ours {a}; community {b}")
    return out


def measure_dunning_job(e, args):
    """The daily dunning job as it runs in production: on a committed copy of our database, one
    cron worker runs the daily job and a second one the executor job it triggers (Odoo starts
    two cron workers by default). Wall time from the go to the end of the later worker."""
    name = "dunning: daily job, two cron workers"
    db = e.dbs["ours"] + "_job"
    t0 = time.monotonic()
    e.copy(e.dbs["ours"], db)
    log(f"copied {e.dbs['ours']} to {db} in {time.monotonic() - t0:.0f} s")
    outs = {role: os.path.join(e.work, f"{e.key}_dunning_job_{role}.json") for role in ("main", "executor")}
    procs = {}
    try:
        for role in ("main", "executor"):
            procs[role] = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--worker", "dunning-job", "--role", role,
                 "--main-out", outs["main"], "--conf", e.confs["ours"], "--db", db, "--out", outs[role],
                 "--scale", args.scale], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for role, proc in procs.items():
            line = "?"
            while line and line.strip() != "READY":  # skip anything the worker printed first
                line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the {role} dunning job worker ended before it was ready")
        go = time.time()
        for proc in procs.values():
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs.values():
            proc.communicate(timeout=args.timeout)
        res = {}
        for role, out in outs.items():
            with open(out) as f:
                res[role] = json.load(f)
        if not all(r.get("ok") for r in res.values()):
            return {"status": "error", "error": "; ".join(r.get("error", "") for r in res.values() if not r.get("ok"))}
        states = dict(e.sql("SELECT state, count(*) FROM credit_dunning_event GROUP BY state", db=db))
        emails = e.sql("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'", db=db)[0][0]
        elapsed = max(r["ended"] for r in res.values()) - go
        rec = {"status": "ok", "runs": 1, "median_ms": round(elapsed * 1000, 1),
               "min_ms": round(elapsed * 1000, 1), "max_ms": round(elapsed * 1000, 1),
               "queries": sum(r["queries"] for r in res.values()),
               "peak_rss_mib": max(r["peak_rss_mib"] for r in res.values()),
               "dunning_events": states, "emails_queued": emails,
               "executor_ran": res["executor"]["ran"],
               "workers": {role: {k: r[k] for k in ("queries", "peak_rss_mib")} | {
                   "seconds": round(r["ended"] - go, 1)} for role, r in res.items()},
               "note": "single run on a committed copy; peak RSS is the larger of the two workers"}
    except Exception as exc:  # noqa: BLE001 - reported, never hidden
        rec = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        e.drop(db)
    log(f"  {name}: " + (f"{rec['median_ms'] / 1000:.1f} s, events {rec['dunning_events']}, "
                         f"{rec['emails_queued']} emails queued, workers {rec['workers']}"
                         if rec["status"] == "ok" else rec["error"]))
    return name, rec


def _mark_unfinished(res, rc, timeout):
    for rec in res.get("measurements", {}).values():
        if rec.get("status") == "running":
            rec["status"] = (f"timed out (> {timeout} s for the whole side)" if rc == "timeout"
                             else f"worker ended with exit code {rc}")


def main_orchestrator(args):
    started = time.monotonic()
    e = Env(args)
    steps = {}
    facts = build(e, steps)
    summary = {"scale": args.scale.upper(), "seed": args.seed, "runs": args.runs,
               "date": date.today().isoformat(), "data": facts["data"], "profile": facts.get("profile"),
               "build_steps_seconds": steps, "machine": {"cpus": os.cpu_count()}}
    if args.build_only:
        log(f"built in {time.monotonic() - started:.0f} s: {steps}")
        return
    for side in ("ours",) if args.no_compare or facts["oca"].get("error") else ("ours", "oca"):
        e.settle(e.dbs[side])
    log("measuring credit_control")
    out = os.path.join(e.work, f"{e.key}_measure_ours.json")
    rc, res = e.worker("measure-ours", "ours", e.dbs["ours"], out, timeout=args.timeout)
    summary["ours"] = res
    if rc:
        summary["ours"]["exit"] = rc
        _mark_unfinished(res, rc, args.timeout)
    if res.get("measurements", {}).get("dunning run over all overdue invoices", {}).get("status") != "unavailable":
        log("measuring the daily dunning job with two cron workers")
        name, rec = measure_dunning_job(e, args)
        summary["ours"].setdefault("measurements", {})[name] = rec
    if not args.no_compare:
        if facts["oca"].get("error"):
            summary["oca"] = {"error": facts["oca"]["error"], "measurements": {}}
        else:
            log("measuring the community modules")
            out = os.path.join(e.work, f"{e.key}_measure_oca.json")
            rc, res = e.worker("measure-oca", "oca", e.dbs["oca"], out, timeout=args.timeout)
            summary["oca"] = res
            if rc:
                summary["oca"]["exit"] = rc
                _mark_unfinished(res, rc, args.timeout)
    summary["comparisons"] = compare_totals(summary)
    summary["total_seconds"] = round(time.monotonic() - started, 1)
    print_tables(summary)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", f"bench-{args.scale.upper()}.json")
    for side in ("ours", "oca"):
        for rec in summary.get(side, {}).get("measurements", {}).values():
            rec.pop("traceback", None) if rec.get("status") == "ok" else None
    with open(path, "w") as f:
        json.dump(summary, f, indent=1, default=str, sort_keys=False)
    log(f"wrote {os.path.relpath(path, ROOT)}; total {summary['total_seconds']} s")


def main():
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="S", type=str.upper, choices=["XS", "S", "M", "L"],
                        help="XS (smoke), S ≈ 1k customers/10k invoices, M ≈ 10k/100k, L ≈ 20k/200k")
    parser.add_argument("--tiny", action="store_true", help="same as --scale XS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per operation (median)")
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the databases")
    parser.add_argument("--no-compare", action="store_true", help="skip the community modules")
    parser.add_argument("--build-only", action="store_true", help="build the databases, measure nothing")
    parser.add_argument("--addons-root", help="folder holding credit_control/ (default: this checkout)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per measured side")
    parser.add_argument("--op-timeout", type=int, default=120,
                        help="seconds allowed for one run of one operation (reported as a miss)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--conf", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--main-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tiny:
        args.scale = "XS"
    if args.worker:
        Worker(args).run(args.worker)
        return
    main_orchestrator(args)


if __name__ == "__main__":
    main()
