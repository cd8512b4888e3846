"""The `cdp` command: thin wrappers that parse arguments, call the library and show progress."""

import logging
from datetime import date
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


def _do_ingest(settings: Settings, sources: list[str], local_shop_api: bool = True) -> list[SourceRun]:
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(sources))

        def done(run: SourceRun) -> None:
            progress.update(task, advance=1, description=f"ingest: {run.source} ({run.rows_loaded:,} rows)")

        runs = ingest(settings, sources, use_local_shop_api=local_shop_api, on_source_done=done)
    table = Table("source", "rows loaded", "quarantined", "seconds", title="Ingestion")
    for run in runs:
        table.add_row(run.source, f"{run.rows_loaded:,}", f"{run.rows_quarantined:,}", f"{run.seconds:.1f}")
    console.print(table)
    return runs


def _do_build(settings: Settings, full_refresh: bool = False) -> None:
    from cdp.build import count_build_nodes, parse, run_dbt

    extra = ["--full-refresh"] if full_refresh else []
    manifest = parse(settings)
    with _progress() as progress:
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
    """Generate realistic, messy demo data for eight source systems."""
    try:
        _do_generate(_settings(), customers, seed, out, date.fromisoformat(end_date) if end_date else None)
    except CdpError as exc:
        _fail(exc)


@app.command("ingest")
def ingest_command(
    source: list[str] | None = typer.Option(None, "--source", "-s", help=f"One of {', '.join(SOURCE_NAMES)}."),
    local_shop_api: bool = typer.Option(
        True, help="Serve the landing shop files through the local shop API (demo); off: use .dlt config."
    ),
) -> None:
    """Load sources into the warehouse with dlt (incremental: a re-run loads only what is new)."""
    try:
        _do_ingest(_settings(), source or list(SOURCE_NAMES), local_shop_api)
    except CdpError as exc:
        _fail(exc)


@app.command()
def build(full_refresh: bool = typer.Option(False, help="Rebuild incremental models from scratch.")) -> None:
    """Build the dbt project (staging, identity, marts) and run its tests."""
    try:
        _do_build(_settings(), full_refresh)
    except CdpError as exc:
        _fail(exc)


@app.command()
def run() -> None:
    """The scheduled batch job: ingest every source, then build."""
    settings = _settings()
    timings = StageTimings()
    try:
        with timings.stage("ingest"):
            _do_ingest(settings, list(SOURCE_NAMES))
        with timings.stage("build"):
            _do_build(settings)
    except CdpError as exc:
        _fail(exc)
    _print_timings(timings)


@app.command()
def demo(
    customers: int = typer.Option(1000, help="Known customers to generate."),
    seed: int = typer.Option(42, help="Random seed."),
) -> None:
    """Generate demo data, run the whole pipeline and print a summary."""
    settings = _settings()
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


serve_app = typer.Typer(help="Run the local servers.", no_args_is_help=True)
app.add_typer(serve_app, name="serve")


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
