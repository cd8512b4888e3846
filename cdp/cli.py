"""The `cdp` command: thin wrappers that parse arguments, call the library and show progress."""

import logging
from contextlib import nullcontext
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from cdp.config import Settings
from cdp.errors import CdpError
from cdp.lock import warehouse_lock
from cdp.pipeline import StageTimings, ingest
from ingestion.runner import SOURCE_NAMES, SourceRun

app = typer.Typer(help="Warehouse-native customer data platform.", no_args_is_help=True, add_completion=False)
console = Console()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _settings() -> Settings:
    return Settings.from_env()


def _fail(exc: CdpError) -> None:
    console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(1)


def _do_generate(settings: Settings, customers: int, seed: int, out: Path | None, end_date: date | None) -> None:
    from cdp.generate import generate

    target = out or settings.landing_dir
    with console.status(f"Generating demo data for {customers:,} customers into {target}"):
        stats = generate(target, customers=customers, seed=seed, end_date=end_date)
    console.print(f"Generated demo data in [bold]{target}[/bold]: {stats.people:,} people")


def _do_ingest(
    settings: Settings, sources: list[str], local_shop_api: bool = True, destination: str = "warehouse"
) -> list[SourceRun]:
    with warehouse_lock(settings.duckdb_path, "cdp ingest"), _progress() as progress:
        task = progress.add_task("ingest", total=len(sources))

        def done(run: SourceRun) -> None:
            progress.update(task, advance=1, description=f"ingest: {run.source} ({run.rows_loaded:,} rows)")

        runs = ingest(
            settings, sources, use_local_shop_api=local_shop_api, on_source_done=done, destination=destination
        )
    table = Table("source", "rows loaded", "quarantined", "seconds", title="Ingestion")
    for run in runs:
        table.add_row(run.source, f"{run.rows_loaded:,}", f"{run.rows_quarantined:,}", f"{run.seconds:.1f}")
    console.print(table)
    return runs


def _do_build(settings: Settings, full_refresh: bool = False, target: str = "dev") -> None:
    from cdp.build import count_build_nodes, parse, run_dbt

    extra = ["--full-refresh"] if full_refresh else []
    if target == "spark":
        from cdp.spark import register_lake_tables, spark_session

        with console.status("Starting Spark and registering the Parquet lake"):
            tables = register_lake_tables(spark_session(settings), settings.lake)
        console.print(f"Spark: {len(tables)} raw tables registered from {settings.lake}")
    extra += ["--target", target]
    manifest = parse(settings)
    lock = warehouse_lock(settings.duckdb_path, "cdp build") if target == "dev" else nullcontext()
    with lock, _progress() as progress:
        # probabilistic matching before the graph (on Spark with Splink's Spark backend)
        _match_step(settings, manifest=manifest, target=target)
        task = progress.add_task("dbt build", total=count_build_nodes(manifest))
        run_dbt(
            settings,
            "build",
            extra,
            on_node_done=lambda name, status: progress.advance(task),
            manifest=manifest,
            quiet=True,
        )
    console.print("dbt build [green]passed[/green]")


@app.command()
def generate(
    customers: int = typer.Option(1000, help="Known customers to generate (anonymous visitors come on top)."),
    seed: int = typer.Option(42, help="Random seed; the same seed gives the same files."),
    out: Path | None = typer.Option(None, help="Landing folder (default: CDP_LANDING_DIR or data/landing)."),
    end_date: str | None = typer.Option(None, help="Last day of the generated history, YYYY-MM-DD (default today)."),
) -> None:
    """Generate realistic, messy demo data for ten source systems."""
    try:
        _do_generate(_settings(), customers, seed, out, date.fromisoformat(end_date) if end_date else None)
    except CdpError as exc:
        _fail(exc)


@app.command("ingest")
def ingest_command(
    source: list[str] | None = typer.Option(None, "--source", "-s", help=f"One of {', '.join(SOURCE_NAMES)}."),
    local_shop_api: bool = typer.Option(
        True,
        help="Serve the landing shop, ads and lead files through the local shop and Meta APIs (demo); "
        "off: use .dlt config.",
    ),
    destination: str = typer.Option("warehouse", help="warehouse (DuckDB) or lake (Parquet, for Spark)."),
) -> None:
    """Load sources into the warehouse with dlt (incremental: a re-run loads only what is new)."""
    try:
        _do_ingest(_settings(), source or list(SOURCE_NAMES), local_shop_api, destination)
    except CdpError as exc:
        _fail(exc)


@app.command()
def build(
    full_refresh: bool = typer.Option(False, help="Rebuild incremental models from scratch."),
    target: str = typer.Option("dev", help="dbt target: dev (DuckDB) or spark (the Parquet lake)."),
) -> None:
    """Build the dbt project (staging, identity, marts) and run its tests."""
    try:
        _do_build(_settings(), full_refresh, target)
    except CdpError as exc:
        _fail(exc)


def _match_step(settings: Settings, retrain: bool = False, manifest=None, target: str = "dev") -> None:
    """Build the match features (staging views and int_match_features), then score them (cdp/matching):
    on DuckDB, or with Splink's Spark backend on the dbt Spark target's session."""
    from cdp.build import run_dbt

    run_dbt(settings, "run", ["--select", "+int_match_features", "--target", target], manifest=manifest, quiet=True)
    if target == "spark":
        from cdp.matching.spark_match import match_spark

        result = match_spark(settings, retrain=retrain)
    else:
        from cdp.matching.run import match

        result = match(settings, retrain=retrain)
    console.print(
        f"match: {result.records} records, {result.comparisons} comparisons after blocking, "
        f"{result.accepted} links to accept, {result.review} to review "
        f"({'trained' if result.trained else 'saved'} model {result.model_id}, {result.seconds}s)"
    )


@app.command("match")
def match_command(
    retrain: bool = typer.Option(False, help="Train the model again (EM) and save it over matching/model.json."),
    target: str = typer.Option("dev", help="dbt target: dev (DuckDB) or spark (Splink's Spark backend)."),
) -> None:
    """Score likely duplicate records (Splink) into matching.identity_match_candidates."""
    settings = _settings()
    try:
        if target == "spark":
            from cdp.spark import register_lake_tables, spark_session

            register_lake_tables(spark_session(settings), settings.lake)
        with warehouse_lock(settings.duckdb_path, "cdp match") if target == "dev" else nullcontext():
            _match_step(settings, retrain=retrain, target=target)
    except CdpError as exc:
        _fail(exc)


@app.command("review")
def review_command(
    accept: list[str] | None = typer.Option(
        None, help="Two record keys (source/table/id): must-link them.", metavar="RECORD"
    ),
    reject: list[str] | None = typer.Option(None, help="Two record keys: cannot-link them.", metavar="RECORD"),
    note: str | None = typer.Option(None, help="Why (kept with the decision)."),
    limit: int = typer.Option(10, help="Pairs to list."),
) -> None:
    """List the pairs waiting for review, or record a must-link (--accept A --accept B) or cannot-link
    (--reject A --reject B) decision that every later build honours."""
    from cdp.matching.review import decide, queue

    settings = _settings()
    try:
        for decision, keys in (("must_link", accept), ("cannot_link", reject)):
            if keys:
                if len(keys) != 2:
                    raise typer.BadParameter("give exactly two records")
                left, right = decide(settings, keys[0], keys[1], decision, note=note)
                console.print(f"{decision}: {left} + {right} (applied on the next build)")
        if accept or reject:
            return
        items = queue(settings, limit)
        if not items:
            console.print("review queue is empty")
        for item in items:
            table = Table(
                title=f"{item.record_key_l}  vs  {item.record_key_r}   p={item.match_probability:.4f}"
                f"  weight={item.match_weight:.2f}"
            )
            table.add_column("feature")
            table.add_column("left")
            table.add_column("right")
            table.add_column("weight", justify="right")
            names = sorted(set(item.left) | set(item.right))
            for name in names:
                if item.left.get(name) is None and item.right.get(name) is None:
                    continue
                weight = next((c["weight"] for k, c in item.contributions.items() if name in k), "")
                table.add_row(name, str(item.left.get(name) or ""), str(item.right.get(name) or ""), str(weight))
            console.print(table)
    except CdpError as exc:
        _fail(exc)


@app.command()
def explain(
    customer: str | None = typer.Option(None, help="A customer id, e.g. cus_1a2b..."),
    identifier: str | None = typer.Option(None, help="An identifier as type:value, e.g. email:ann@mail.nl"),
    between: tuple[str, str] | None = typer.Option(None, help="Two identifiers (type:value) to join by a path."),
) -> None:
    """Why identifiers belong to one customer: its identifiers and the edge paths joining them."""
    from cdp.identity.explain import customer_of_identifier
    from cdp.identity.explain import explain as explain_customer
    from cdp.warehouse import connect

    if not customer and not identifier:
        _fail(CdpError("Give --customer ID or --identifier type:value"))
    try:
        with connect(_settings()) as conn:
            result = explain_customer(conn, customer or customer_of_identifier(conn, identifier))
    except CdpError as exc:
        _fail(exc)
    for old in result.retired_ids:
        console.print(f"[yellow]{old}[/yellow] was merged; now part of {result.customer_id}")
    table = Table("identifier", "links records", title=f"Customer {result.customer_id}")
    for key, linkable in result.identifiers:
        table.add_row(key, "yes" if linkable else "no (shared or over a limit)")
    console.print(table)
    linkable = [key for key, ok in result.identifiers if ok]
    if between:
        start, targets = between[0], [between[1]]
    else:
        # from the given identifier, else the hub: the identifier on most links (usually the strongest)
        start = identifier if identifier in linkable else result.hub()
        targets = [key for key in linkable if key != start]
    for target in targets:
        steps = result.path(start, target)
        if steps is None:
            console.print(f"{start} .. {target}: no admitted edge joins them")
            continue
        console.print(f"[bold]{start} -> {target}[/bold]")
        for step in steps:
            console.print(
                f"  {step.from_identifier} -- {step.to_identifier}"
                f"  ({step.source}/{step.source_table}/{step.source_record_id} at {step.observed_at})"
            )
            waterfall = result.waterfalls.get(step.source_record_id) if step.source == "matching" else None
            if waterfall is not None:
                _print_waterfall(waterfall)


def _print_waterfall(waterfall) -> None:
    """A probabilistic edge's evidence: prior, each comparison's level and weight, total."""
    if waterfall.review_decision:
        console.print(f"    reviewer's decision: {waterfall.review_decision}")
    if waterfall.match_weight is None:
        return
    console.print(f"    {'prior (two random records match)':48s} {waterfall.prior_weight:+7.2f}")
    for name, level, weight in waterfall.steps:
        console.print(f"    {name + ': ' + level:48.48s} {weight:+7.2f}")
    console.print(
        f"    {'match weight (probability ' + format(waterfall.match_probability, '.4f') + ')':48s}"
        f" {waterfall.match_weight:+7.2f}"
    )


@app.command()
def run() -> None:
    """The scheduled batch job: ingest every source, then build; then publish and refresh the console's store
    where this installation has them."""
    settings = _settings()
    timings = StageTimings()
    try:
        with timings.stage("ingest"):
            _do_ingest(settings, list(SOURCE_NAMES))
        _export_flows(settings, timings)
        with timings.stage("retention"):
            _do_retention(settings)
        with timings.stage("build"):
            _do_build(settings)
        _refresh_read_stores(settings, timings)
    except CdpError as exc:
        _fail(exc)
    _print_timings(timings)


def _refresh_read_stores(settings: Settings, timings: StageTimings) -> None:
    """The stores readers use, when this installation has them: the profile API's (publish, with its change
    events) and the console's, so the scheduled job leaves every reader current."""
    from console.store import console_store_path
    from console.store import refresh as refresh_console
    from serving import publish, store_path

    if store_path(settings).exists():
        with timings.stage("publish"):
            publish(settings)
    if console_store_path(settings).exists():
        with timings.stage("console refresh"):
            refresh_console(settings)


def _export_flows(settings: Settings, timings: StageTimings) -> None:
    """Flow entries and sends into raw_flows, when automation flows have run here (docs/flows.md)."""
    from automation.export import export_to_warehouse
    from automation.store import flows_store_path

    if flows_store_path(settings).exists():
        with timings.stage("flows export"), warehouse_lock(settings.duckdb_path, "cdp run"):
            export_to_warehouse(settings)


@app.command()
def demo(
    customers: int = typer.Option(1000, help="Known customers to generate."),
    seed: int = typer.Option(42, help="Random seed."),
    live: bool = typer.Option(
        False, "--live", help="Then start collector, loader and profile API and replay web sessions through them."
    ),
    seconds: float = typer.Option(60.0, help="With --live: how long to replay sessions."),
) -> None:
    """Generate demo data, run the whole pipeline and print a summary (with --live: on an existing demo, only
    the live part)."""
    settings = _settings()
    if live and settings.duckdb_path.exists():
        _live_demo(settings, seconds)
        return
    timings = StageTimings()
    try:
        with timings.stage("generate"):
            _do_generate(settings, customers, seed, None, None)
        with timings.stage("ingest"):
            _do_ingest(settings, list(SOURCE_NAMES))
        with timings.stage("build"):
            _do_build(settings)
    except CdpError as exc:
        _fail(exc)
    _print_summary(settings)
    _print_timings(timings)
    if live:
        _live_demo(settings, seconds)


def _live_demo(settings: Settings, seconds: float) -> None:
    import time

    from realtime.live import free_port, live_env, pick_sessions, profile_summary, replay, run_stack
    from serving import publish, store_path

    try:
        if not store_path(settings).exists():
            publish(settings)
        sessions = pick_sessions(settings, count=max(4, int(seconds / 2)))
        if not sessions:
            _fail(CdpError("The demo's web events have no sessions of known users to replay; run `cdp demo` first"))
        spool = settings.duckdb_path.parent / "spool"
        ports = free_port(), free_port()
        console.print(
            f"starting collector (:{ports[0]}), loader, profile API (:{ports[1]}), flows and a local mailbox; "
            f"replaying {len(sessions)} sessions over {seconds:g} s through the Segment client"
        )
        mailbox = settings.duckdb_path.parent / "mailbox"
        with run_stack(
            settings,
            spool,
            ports[0],
            ports[1],
            loader_interval_s=1.0,
            rotate_seconds=1.0,
            env=live_env(),
            flows_dir=settings.project_dir / "flows" / "demo",
            mailbox_dir=mailbox,
        ) as stack:
            report = replay(stack, sessions, seconds, on_progress=lambda line: console.print(line, style="dim"))
            lines = profile_summary(stack, report.pending[-1].user_id if report.pending else sessions[0].user_id)
            time.sleep(5)  # the last carts' 20-second abandonment timers are due by now
    except CdpError as exc:
        _fail(exc)
    messages = sorted(mailbox.glob("*.eml"))
    table = Table("figure", "value", title="Live: collector acknowledgement to profile API")
    for name, value in report.rows():
        table.add_row(name, value)
    console.print(table)
    for line in lines:
        console.print(line)
    console.print(
        f"automation: {len(messages)} email(s) from the demo flows (flows/demo: cart abandonment after 20 s) in "
        f"the local mailbox; open {mailbox / 'index.html'} to read them"
    )


@app.command()
def backtest(
    end: str | None = typer.Option(None, help="End of the data to backtest on, YYYY-MM-DD (default: newest event)."),
    value_horizon_days: int = typer.Option(365, help="Horizon of the value model (needs 2x this much history)."),
) -> None:
    """Backtest the churn and value models of customer_predictions against naive baselines."""
    from datetime import datetime

    from cdp.predict import backtest_warehouse

    try:
        end_at = datetime.fromisoformat(end) if end else None
        with console.status("training and scoring at past dates"):
            result = backtest_warehouse(_settings(), end_at, value_horizon_days)
    except CdpError as exc:
        _fail(exc)
    for line in result.lines():
        console.print(line)


@app.command()
def status() -> None:
    """Per source: rows in the warehouse, last load, rows read, quarantined and duplicate."""
    from cdp.warehouse import source_status

    settings = _settings()
    rows = source_status(settings, list(SOURCE_NAMES))
    if not rows:
        console.print(f"No warehouse at {settings.duckdb_path}: run `cdp ingest` first.")
        raise typer.Exit(1)
    table = Table("source", "rows", "last load (UTC)", "read", "loaded", "quarantined", "duplicates", title="Sources")
    for row in rows:
        table.add_row(
            row.source,
            f"{row.rows:,}",
            row.last_loaded_at.strftime("%Y-%m-%d %H:%M:%S") if row.last_loaded_at else "never",
            f"{row.rows_read:,}",
            f"{row.rows_loaded:,}",
            f"{row.rows_quarantined:,}",
            f"{row.rows_duplicate:,}",
        )
    console.print(table)


@app.command()
def activate(
    sync: list[str] | None = typer.Option(None, "--sync", help="A sync declared in models/activation/_syncs.yml."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Plan and show the changes; send nothing."),
    force: bool = typer.Option(False, "--force", help="Send even when the model is empty or deletes exceed the guard."),
) -> None:
    """Reverse ETL: send what changed in each sync's model to its destination."""
    from activation.runner import run_activation

    try:
        with console.status("Activating" + (" (dry run)" if dry_run else "")):
            results = run_activation(_settings(), sync, dry_run=dry_run, force=force)
    except CdpError as exc:
        _fail(exc)
    table = Table(
        "sync",
        "status",
        "inserts",
        "updates",
        "deletes",
        "acked",
        "failed",
        "requests",
        "note",
        title="Activation" + (" (dry run: nothing sent)" if dry_run else ""),
    )
    for result in results:
        table.add_row(
            result.sync_name,
            result.status,
            f"{result.planned_inserts:,}",
            f"{result.planned_updates:,}",
            f"{result.planned_deletes:,}",
            f"{result.rows_acked:,}",
            f"{result.rows_failed + result.rows_not_sent:,}",
            f"{result.batches_sent:,}",
            result.message,
        )
    console.print(table)
    for result in results if dry_run else []:
        if result.field_changes:
            changed = ", ".join(f"{name} ({count:,})" for name, count in sorted(result.field_changes.items()))
            console.print(f"{result.sync_name}: fields changing in updates: {changed}")
        for key, change, fields in result.sample_changes:
            console.print(f"  {result.sync_name}: {change} {key}" + (f" [{', '.join(fields)}]" if fields else ""))
    if any(result.status in ("incomplete", "aborted") for result in results):
        raise typer.Exit(2)


privacy_app = typer.Typer(help="Privacy requests, access exports and retention.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


def _do_retention(settings: Settings, as_of: datetime | None = None) -> None:
    from cdp.privacy.retention import apply_retention

    with warehouse_lock(settings.duckdb_path, "cdp privacy retention"):
        result = apply_retention(settings, as_of)
    for table, n in sorted(result.deleted.items()):
        console.print(f"retention: deleted {n:,} expired rows from {table}")


@privacy_app.command("request")
def privacy_request(
    request_type: str = typer.Argument(..., help="suppress | suppress_with_delete | delete_only | unsuppress"),
    identifier: str = typer.Option(..., "--identifier", help="KIND:VALUE, e.g. email:ann@example.com"),
    no_build: bool = typer.Option(False, "--no-build", help="Do not rebuild the marts afterwards."),
) -> None:
    """Run a privacy request to completion and print what it did."""
    from cdp.privacy.requests import RequestType, run_request

    valid = [t.value for t in RequestType]
    if request_type.lower() not in valid:
        _fail(CdpError(f"Request type `{request_type}` is not one of {', '.join(valid)}"))
    try:
        settings = _settings()
        with warehouse_lock(settings.duckdb_path, "cdp privacy request"):
            report = run_request(settings, request_type, identifier, rebuild=not no_build)
    except CdpError as exc:
        _fail(exc)
    for line in report.lines():
        console.print(line)
    if report.status != "done":
        raise typer.Exit(code=1)


@privacy_app.command("export")
def privacy_export(
    identifier: str = typer.Option(..., "--identifier", help="KIND:VALUE, e.g. email:ann@example.com"),
    out: Path = typer.Option(..., "--out", help="JSON file to write."),
) -> None:
    """Write everything held on one person (records, profile, traits, segments, consents, sends) to a file."""
    from cdp.privacy.export import export_person

    try:
        document = export_person(_settings(), identifier, out)
    except CdpError as exc:
        _fail(exc)
    console.print(
        f"wrote {out}: {len(document['customer_ids'])} customer ids, {len(document['source_records'])} source"
        f" records, {sum(len(v) for v in document['tables'].values())} rows of {len(document['tables'])} tables"
    )


@privacy_app.command("retention")
def privacy_retention(
    as_of: str | None = typer.Option(None, help="Apply the periods as of this UTC date, YYYY-MM-DD (default now)."),
) -> None:
    """Delete raw records older than their source's retention period (var cdp_retention_days)."""
    moment = datetime.fromisoformat(as_of).replace(tzinfo=UTC) if as_of else None
    _do_retention(_settings(), moment)


serve_app = typer.Typer(help="Run the local servers; without a command, the real-time stack together.")
app.add_typer(serve_app, name="serve")


@serve_app.callback(invoke_without_command=True)
def serve_all(
    ctx: typer.Context,
    collect_port: int = typer.Option(8088, help="Port of the collection API."),
    profiles_port: int = typer.Option(8766, help="Port of the profile API."),
    interval: float = typer.Option(15.0, help="Seconds between the loader's micro-batches."),
    rotate_seconds: float = typer.Option(
        2.0, help="Age at which the collector closes a spool file: flows and the fast path read closed files."
    ),
    flows: bool = typer.Option(True, help="Also run the automation flows of flows/ (engine and sender)."),
) -> None:
    """Collector, loader, profile API and automation flows together (one process each) until interrupted.
    Keys from CDP_COLLECT_WRITE_KEYS, tokens from CDP_PROFILE_API_TOKENS, channels from CDP_FLOWS_*."""
    if ctx.invoked_subcommand is not None:
        return
    import os
    import time

    from realtime.config import WRITE_KEYS_ENV, default_spool_dir
    from realtime.live import run_stack
    from serving.app import TOKENS_ENV

    settings = _settings()
    for variable in (WRITE_KEYS_ENV, TOKENS_ENV):
        if not os.environ.get(variable):
            _fail(CdpError(f"Set {variable} first (see docs/realtime.md)"))
    try:
        with run_stack(
            settings,
            default_spool_dir(settings),
            collect_port,
            profiles_port,
            interval,
            rotate_seconds=rotate_seconds,
            flows_dir=settings.project_dir / "flows" if flows else None,
        ) as stack:
            console.print(
                f"collecting on {stack.collector_url}, profiles on {stack.api_url} (docs at /docs), loading every "
                f"{interval:g}s; logs in {settings.duckdb_path.parent / 'logs'}. Ctrl-C stops them all."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopped")
    except CdpError as exc:
        _fail(exc)


@app.command("publish")
def publish_command() -> None:
    """Copy changed profiles, identifiers, segments, recommendations and recent events into the serving store."""
    from serving import publish

    settings = _settings()
    try:
        result = publish(settings)
    except CdpError as exc:
        _fail(exc)
    table = Table("table", "upserted", "deleted", "unchanged", title=f"Published into {result.store}")
    for name, counts in result.tables.items():
        table.add_row(name, f"{counts.upserted:,}", f"{counts.deleted:,}", f"{counts.unchanged:,}")
    console.print(table)
    console.print(f"{result.rows_written:,} rows written in {result.seconds:.1f}s")


@serve_app.command("profiles")
def serve_profiles(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8766, help="Port to listen on."),
) -> None:
    """Serve the profile API from the serving store (tokens from CDP_PROFILE_API_TOKENS, browser origins from
    CDP_PROFILE_API_ORIGINS); run `cdp publish` first."""
    from serving import store_path
    from serving.app import api_settings_from_env, run_profile_api

    try:
        api_settings = api_settings_from_env(store_path(_settings()))
        console.print(f"serving [bold]{api_settings.store}[/bold] on http://{host}:{port} (docs at /docs)")
        run_profile_api(api_settings, host=host, port=port)
    except CdpError as exc:
        _fail(exc)


@serve_app.command("shop-api")
def serve_shop_api(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8765, help="Port to listen on."),
    rate_per_s: float = typer.Option(2.0, help="Requests per second allowed per token (burst 40)."),
) -> None:
    """Serve data/landing/shop through the local webshop API (token from CDP_SHOP_ACCESS_TOKEN)."""
    import os

    from cdp.local_apis.shop import run_shop_api

    token = os.environ.get("CDP_SHOP_ACCESS_TOKEN")
    if not token:
        _fail(CdpError("Set CDP_SHOP_ACCESS_TOKEN to the token clients must send in `X-Shop-Access-Token`"))
    run_shop_api(_settings().landing_dir / "shop", token, host=host, port=port, rate_per_s=rate_per_s)


@serve_app.command("meta-api")
def serve_meta_api(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8767, help="Port to listen on."),
    calls_per_minute: int = typer.Option(200, help="Calls per minute allowed per token (Graph error 17 beyond)."),
) -> None:
    """Serve data/landing/ads/meta and social through the local Meta Graph API (token from CDP_META_ACCESS_TOKEN)."""
    import os

    from cdp.local_apis.meta import run_meta_api

    token = os.environ.get("CDP_META_ACCESS_TOKEN")
    if not token:
        _fail(CdpError("Set CDP_META_ACCESS_TOKEN to the token clients must send as `access_token`"))
    run_meta_api(_settings().landing_dir, token, host=host, port=port, calls_per_window=calls_per_minute)


@serve_app.command("collect")
def serve_collect(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8088, help="Port to listen on."),
    spool_dir: Path | None = typer.Option(None, help="Spool folder (default: CDP_SPOOL_DIR, else data/spool)."),
) -> None:
    """Serve the Segment-compatible collection API into a durable spool (keys from CDP_COLLECT_WRITE_KEYS)."""
    from realtime.config import CollectorConfig, default_spool_dir
    from realtime.server import run_collector

    try:
        config = CollectorConfig.from_env(spool_dir=spool_dir or default_spool_dir(_settings()))
    except CdpError as exc:
        _fail(exc)
    console.print(f"collecting into [bold]{config.spool_dir}[/bold] on http://{host}:{port}")
    run_collector(config, host=host, port=port)


@serve_app.command("load")
def serve_load_command(
    spool_dir: Path | None = typer.Option(None, help="Spool folder (default: CDP_SPOOL_DIR, else data/spool)."),
    interval: float = typer.Option(15.0, help="Seconds between micro-batches."),
    build: bool = typer.Option(True, help="Run dbt build after a batch that loaded rows."),
    publish: bool = typer.Option(True, help="After the build, publish changes to the profile API's store."),
    batches: int | None = typer.Option(None, help="Stop after this many batches (default: run until stopped)."),
    full_build_every: float = typer.Option(
        3600.0, help="Seconds between whole `dbt build`s (with tests); other batches run the micro_batch selector."
    ),
) -> None:
    """Load the collector's closed spool files into the warehouse every few seconds (the single writer)."""
    from realtime.config import default_spool_dir
    from realtime.loader import serve_load

    settings = _settings()
    folder = spool_dir or default_spool_dir(settings)

    def report(result) -> None:
        console.print(
            f"batch: {result.files_moved} files, {result.rows_loaded:,} rows in {result.seconds_load:.1f}s"
            + (f", build {result.seconds_build:.1f}s" if result.seconds_build else "")
            + (f", published {result.rows_published:,} rows" if result.seconds_publish else "")
            + (f", {result.changes:,} change events" if result.changes else "")
        )

    console.print(f"loading [bold]{folder}[/bold] every {interval:g}s into {settings.duckdb_path}")
    try:
        serve_load(
            settings,
            folder,
            interval_s=interval,
            build=build,
            publish=publish,
            batches=batches,
            on_batch=report,
            full_build_every_s=full_build_every,
        )
    except CdpError as exc:
        _fail(exc)


@serve_app.command("flows")
def serve_flows_command(
    flows_dir: Path = typer.Option(Path("flows"), help="Folder of flow files."),
    spool_dir: Path | None = typer.Option(None, help="Spool folder (default: CDP_SPOOL_DIR, else data/spool)."),
    role: str = typer.Option("all", help="all, engine or sender."),
) -> None:
    """Run the automation flows engine and sender (channels from CDP_FLOWS_* variables, see docs/flows.md)."""
    from automation.errors import FlowError
    from automation.runner import main as run_flows

    try:
        run_flows(
            ["--flows-dir", str(flows_dir), "--role", role, *(["--spool-dir", str(spool_dir)] if spool_dir else [])]
        )
    except FlowError as exc:
        _fail(CdpError(str(exc)))


flows_app = typer.Typer(help="Automation flows: validate, preview, status, export.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")


@flows_app.command("validate")
def flows_validate(flows_dir: Path = typer.Option(Path("flows"), help="Folder of flow files.")) -> None:
    """Check every flow file and the policy against the schema; errors name the file and line."""
    from automation.definitions import validate_folder

    flows, errors = validate_folder(flows_dir)
    for flow in flows:
        console.print(f"[green]ok[/green] {flow.name} v{flow.version}: {flow.trigger['type']}, {len(flow.steps)} steps")
    for error in errors:
        console.print(f"[red]error[/red] {error}")
    if errors:
        raise typer.Exit(1)


@flows_app.command("status")
def flows_status() -> None:
    """Per flow: entered, active, exited, converted; sent, pending, failed; suppressed by reason."""
    from automation.status import SUPPRESSION_REASONS, flow_status
    from automation.store import connect, flows_store_path

    path = flows_store_path(_settings())
    if not path.exists():
        _fail(CdpError(f"No flows store at {path}: start `cdp serve flows` first"))
    rows = flow_status(connect(path))
    table = Table("flow", "entered", "active", "exited", "converted", "sent", "pending", "failed", "suppressed")
    for row in rows:
        reasons = ", ".join(f"{r} {row[f'suppressed_{r}']}" for r in SUPPRESSION_REASONS if row[f"suppressed_{r}"])
        table.add_row(
            row["flow"],
            *(str(row[k]) for k in ("entered", "active", "exited", "converted", "sent", "pending", "failed")),
            f"{row['suppressed']}" + (f" ({reasons})" if reasons else ""),
        )
    console.print(table)


@flows_app.command("preview")
def flows_preview(
    flow_name: str = typer.Argument(..., help="Flow name (file stem in the flows folder)."),
    customer: str = typer.Option(..., help="Customer id, or type:value (email:ann@example.com)."),
    event: str = typer.Option("{}", help="Trigger properties as JSON, for templates that use `event`."),
    flows_dir: Path = typer.Option(Path("flows"), help="Folder of flow files."),
) -> None:
    """Render the flow's messages for one customer and say whether each would be sent; sends nothing."""
    import json

    from automation.errors import FlowError
    from automation.preview import preview
    from serving import store_path
    from serving.store import connect_reader

    try:
        conn = connect_reader(store_path(_settings()))
        for line in preview(flows_dir, flow_name, customer, json.loads(event), conn):
            console.print(line, markup=False, highlight=False)
    except (FlowError, CdpError) as exc:
        _fail(CdpError(str(exc)))


@flows_app.command("export")
def flows_export() -> None:
    """Load flow entries and sends (no bodies, no contact details) into raw_flows in the warehouse."""
    from automation.export import export_to_warehouse

    settings = _settings()
    try:
        with warehouse_lock(settings.duckdb_path, "cdp flows export"):
            counts = export_to_warehouse(settings)
    except CdpError as exc:
        _fail(exc)
    console.print(", ".join(f"{table}: {rows:,} rows" for table, rows in counts.items()) or "nothing to export")


console_app = typer.Typer(help="The web console (docs/console.md); without a command, serve it.")
app.add_typer(console_app, name="console")


@console_app.callback(invoke_without_command=True)
def console_serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8770, help="Port to listen on."),
) -> None:
    """Serve the console (users from CDP_CONSOLE_USERS, cookie key from CDP_CONSOLE_SECRET) from the serving
    store and the console store; run `cdp publish` and `cdp console refresh` first."""
    if ctx.invoked_subcommand is not None:
        return
    from console.app import run_console, settings_from_env
    from console.store import console_store_path
    from serving import store_path

    settings = _settings()
    try:
        console_settings = settings_from_env(store_path(settings), console_store_path(settings), warehouse=settings)
        console.print(f"console on http://{host}:{port}")
        run_console(console_settings, host=host, port=port)
    except CdpError as exc:
        _fail(exc)


@console_app.command("refresh")
def console_refresh() -> None:
    """Rebuild data/console.sqlite from the warehouse (read-only; fails clearly while a writer holds it)."""
    from console.store import refresh

    try:
        counts = refresh(_settings())
    except CdpError as exc:
        _fail(exc)
    console.print(", ".join(f"{table}: {rows:,}" for table, rows in counts.items()))


@console_app.command("hash-password")
def console_hash_password(
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Print a password hash for CDP_CONSOLE_USERS (`name:role:hash`)."""
    from console.auth import hash_password

    console.print(hash_password(password), soft_wrap=True)


@app.command("report")
def report_command(out: Path = typer.Option(Path("artifacts/cdp_report.html"), help="HTML file to write.")) -> None:
    """Write the overview and segment charts as one self-contained HTML file (aggregates only, no PII)."""
    from console.report import write_report
    from console.store import console_store_path

    try:
        path = write_report(console_store_path(_settings()), out)
    except CdpError as exc:
        _fail(exc)
    console.print(f"wrote {path}")


def _print_summary(settings: Settings) -> None:
    from cdp.warehouse import source_status, summary

    result = summary(settings)
    table = Table("figure", "value", title="Customer profiles")
    table.add_row("customers (profiles)", f"{result.customers:,}")
    table.add_row("customers with email or phone", f"{result.known_customers:,}")
    table.add_row("identities", f"{result.identities:,}")
    for source, count in result.records_per_source.items():
        table.add_row(f"records from {source}", f"{count:,}")
    quarantined = sum(s.rows_quarantined for s in source_status(settings, list(SOURCE_NAMES)))
    table.add_row("quarantined rows", f"{quarantined:,}")
    console.print(table)


def _print_timings(timings: StageTimings) -> None:
    table = Table("stage", "seconds", title="Stage timings")
    for stage, seconds in timings.seconds.items():
        table.add_row(stage, f"{seconds:.1f}")
    table.add_row("total", f"{sum(timings.seconds.values()):.1f}")
    console.print(table)


def main() -> None:  # pragma: no cover - console script entry
    logging.basicConfig(level=logging.WARNING)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
