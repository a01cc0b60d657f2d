"""The orchestrator of ``./dev bench``: builds or reuses the three databases of a (scale, seed,
generator version) and runs each measured side in its own worker process.

* ``ccb_<key>_base``: core apps (sale_management, account) and the generated data;
* ``ccb_<key>_ours``: a copy of base with credit_control installed and the credit profile applied;
* ``ccb_<key>_oca``: a copy of base with the community modules installed (identical data).

Each database is built by Odoo's own CLI or by a worker process (``bench/worker.py``), and each
side is measured in its own worker process (so memory figures are per side).
"""
import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime

from bench.common import BENCH_SCRIPT, ROOT, log
from bench.report import compare_totals, print_tables, write_results

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
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines()
                  if " ERROR " in ln or " CRITICAL " in ln or "Error" in ln
                  or ln.startswith(("Traceback", "  File", "odoo.", "psycopg2."))]
        return proc.returncode, errors

    def worker(self, kind, conf, db, out, timeout=None, extra=()):
        cmd = [sys.executable, BENCH_SCRIPT, "--worker", kind, "--conf", self.confs[conf],
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
    """Create or reuse the three databases, in order; returns a dict of build facts."""
    facts = {"key": e.key, "steps": steps}
    facts["data"] = _build_base(e, steps)
    facts["profile"] = _build_ours(e, steps)
    if e.args.no_compare:
        return facts
    facts["oca"] = _build_oca(e, steps)
    return facts


def _build_base(e, steps):
    """The core apps and the generated data (all three databases are rebuilt with it)."""
    args, rebuild = e.args, e.args.rebuild
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
    return base_marker


def _build_ours(e, steps):
    """A copy of base with credit_control and its profile; updated when the module changed."""
    rebuild = e.args.rebuild
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
    return ours_marker.get("profile")


def _build_oca(e, steps):
    """A copy of base with the community modules from PyPI, configured like ours."""
    rebuild = e.args.rebuild
    oca_marker = None if rebuild else e.marker(e.dbs["oca"])
    if oca_marker and not oca_marker.get("error") and oca_marker.get("setup_version") != OCA_SETUP_VERSION:
        out = os.path.join(e.work, f"{e.key}_oca_setup.json")
        rc, res = e.worker("oca-setup", "oca", e.dbs["oca"], out)
        oca_marker.update(setup=res.get("summary"), setup_version=OCA_SETUP_VERSION)
        e.set_marker(e.dbs["oca"], oca_marker)
    if oca_marker:
        failed = f" (install failed: {oca_marker['error']})" if oca_marker.get("error") else ""
        log(f"reusing {e.dbs['oca']}{failed}")
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
    return oca_marker


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
                [sys.executable, BENCH_SCRIPT, "--worker", "dunning-job", "--role", role,
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


def measure_side(e, args, side):
    """Measure one side in its own worker process (``bench/worker.py``); returns its result."""
    out = os.path.join(e.work, f"{e.key}_measure_{side}.json")
    rc, res = e.worker(f"measure-{side}", side, e.dbs[side], out, timeout=args.timeout)
    if rc:
        res["exit"] = rc
        _mark_unfinished(res, rc, args.timeout)
    return res


def main_orchestrator(args):
    """Build or reuse the databases, measure our side, its daily dunning job and the community
    side, then report."""
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
    summary["ours"] = res = measure_side(e, args, "ours")
    if res.get("measurements", {}).get("dunning run over all overdue invoices", {}).get("status") != "unavailable":
        log("measuring the daily dunning job with two cron workers")
        name, rec = measure_dunning_job(e, args)
        summary["ours"].setdefault("measurements", {})[name] = rec
    if not args.no_compare:
        if facts["oca"].get("error"):
            summary["oca"] = {"error": facts["oca"]["error"], "measurements": {}}
        else:
            log("measuring the community modules")
            summary["oca"] = measure_side(e, args, "oca")
    summary["comparisons"] = compare_totals(summary)
    summary["total_seconds"] = round(time.monotonic() - started, 1)
    print_tables(summary)
    write_results(summary, args.scale)
