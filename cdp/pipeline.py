"""The batch pipeline: generate (demo), ingest every source, build the dbt project.

Library functions: they log and raise, the CLI shows progress.
"""

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from cdp.config import Settings
from ingestion.runner import SOURCE_NAMES, MetaApi, ShopApi, SourceRun, run_source

log = logging.getLogger(__name__)


@dataclass
class StageTimings:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@contextmanager
def local_shop_api(settings: Settings) -> Iterator[ShopApi]:
    """Serve the landing shop files through the local webshop API (demo and tests), with a fresh token."""
    from cdp.local_apis.shop import serve_shop_api

    token = os.environ.get("CDP_SHOP_ACCESS_TOKEN") or secrets.token_urlsafe(24)
    with serve_shop_api(settings.landing_dir / "shop", token, rate_per_s=None) as base_url:
        yield ShopApi(base_url=base_url, access_token=token)


@contextmanager
def local_meta_api(settings: Settings) -> Iterator[MetaApi]:
    """Serve the landing ad insights and leads through the local Meta Graph API (demo and tests)."""
    from cdp.generate.marketing import META_ACCOUNT_ID
    from cdp.local_apis.meta import serve_meta_api

    token = os.environ.get("CDP_META_ACCESS_TOKEN") or secrets.token_urlsafe(24)
    with serve_meta_api(settings.landing_dir, token, calls_per_window=None) as base_url:
        yield MetaApi(base_url=base_url, access_token=token, account_id=META_ACCOUNT_ID)


def ingest(
    settings: Settings,
    sources: list[str] | None = None,
    use_local_shop_api: bool = True,
    on_source_done: Callable[[SourceRun], None] | None = None,
    destination: str = "warehouse",
) -> list[SourceRun]:
    """Load each source in turn (one DuckDB writer at a time) into the warehouse or the Parquet lake;
    returns what each run loaded."""
    names = list(sources or SOURCE_NAMES)
    runs = []
    needs_shop = "shop" in names and use_local_shop_api
    needs_meta = bool({"ads", "social"} & set(names)) and use_local_shop_api
    with (
        local_shop_api(settings) if needs_shop else nullcontext(None) as shop_api,
        local_meta_api(settings) if needs_meta else nullcontext(None) as meta_api,
    ):
        for name in names:
            run = run_source(
                name,
                settings,
                shop_api=shop_api if name == "shop" else None,
                destination=destination,
                meta_api=meta_api if name in ("ads", "social") else None,
            )
            runs.append(run)
            if on_source_done is not None:
                on_source_done(run)
    return runs
