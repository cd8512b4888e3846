"""A serving store published from a copy of the session's demo warehouse, and a client of the profile API."""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from starlette.testclient import TestClient

from cdp.config import Settings
from serving import PublishResult, publish
from serving.app import ApiSettings, create_app
from tests.customer360.conftest import copy_warehouse

TOKEN = "test-token-1"
OTHER_TOKEN = "test-token-2"
SHOP_ORIGIN = "https://shop.example"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Published:
    settings: Settings
    store: Path
    first: PublishResult


@pytest.fixture(scope="session")
def published(demo_warehouse: Settings, tmp_path_factory) -> Published:
    """The demo warehouse published once into a fresh store. Treat as read-only."""
    root = tmp_path_factory.mktemp("serving")
    settings = copy_warehouse(demo_warehouse, root / "warehouse.duckdb")
    store = root / "serving.sqlite"
    return Published(settings, store, publish(settings, store))


@pytest.fixture
def warehouse(published: Published):
    conn = duckdb.connect(str(published.settings.duckdb_path), read_only=True)
    yield conn
    conn.close()


@pytest.fixture
def store_db(published: Published):
    conn = sqlite3.connect(published.store)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def client(published: Published) -> TestClient:
    app = create_app(ApiSettings(store=published.store, tokens=(TOKEN, OTHER_TOKEN), allowed_origins=(SHOP_ORIGIN,)))
    return TestClient(app)


@pytest.fixture
def changed_warehouse(published: Published, tmp_path):
    """A copy of the warehouse and of its published store, for a test that edits the marts."""
    settings = copy_warehouse(published.settings, tmp_path / "warehouse.duckdb")
    store = tmp_path / "serving.sqlite"
    source = sqlite3.connect(published.store)
    source.backup(target := sqlite3.connect(store))
    source.close()
    target.close()
    return settings, store
