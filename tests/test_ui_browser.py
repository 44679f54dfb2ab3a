"""The Dagster UI renders in a real browser: headless Chromium (Debian's /usr/bin/chromium, which
.ci/install-chromium.sh installs in CI) opens the asset graph and an asset check's page of a
webserver on loopback and saves screenshots under tests/output/ (git-ignored).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.prepare import sqlite_dagster_yaml
from tests.support.ui_helpers import (
    OUTPUT_DIR,
    GraphQLClient,
    UiProcess,
    shut_down,
    start_webserver,
    wait_for_server_info,
)

pytestmark = pytest.mark.ui  # boots the webserver and a browser: slower

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_TIMEOUT_SECONDS = 180
WINDOW = (1400, 900)
CHECK_ASSET = "marts/fct_event_car"


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}: run .ci/install-chromium.sh (needs root)")
    return CHROMIUM


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[UiProcess]:
    home = tmp_path_factory.mktemp("ui_browser_home")
    dagster_home = home / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(sqlite_dagster_yaml(dagster_home))
    ui = start_webserver(home, dagster_home, home / "webserver.log")
    try:
        wait_for_server_info(ui)
        client = GraphQLClient(ui.url)
        # The "Join the Dagster community" dialog covers the UI on loopback until it is seen.
        client.query("mutation { setNuxSeen }")
        client.close()
        yield ui
    finally:
        shut_down(ui)


def chromium_command(chromium: str, profile: Path, *args: str) -> list[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=20000",
        *args,
    ]


def screenshot(chromium: str, url: str, png: Path, profile: Path) -> None:
    png.unlink(missing_ok=True)
    subprocess.run(
        chromium_command(chromium, profile, f"--screenshot={png}", url),
        capture_output=True,
        timeout=CHROMIUM_TIMEOUT_SECONDS,
        check=False,
    )
    assert png.is_file(), f"Chromium wrote no screenshot of {url}"


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    result = subprocess.run(
        chromium_command(chromium, profile, "--dump-dom", url),
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_SECONDS,
        check=False,
    )
    return result.stdout


def png_pixels(png: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct RGB(A) pixel values of an 8-bit non-interlaced PNG."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    raw, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            raw += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    rows = zlib.decompress(raw)
    stride = width * channels + 1
    # Sample every 8th row, raw bytes after the filter byte: enough to tell a blank page.
    colours = set()
    for y in range(0, height, 8):
        row = rows[y * stride + 1 : (y + 1) * stride]
        colours.update(row[x : x + channels] for x in range(0, len(row), channels * 4))
    return width, height, colours


def assert_real_rendering(png: Path) -> None:
    width, height, colours = png_pixels(png)
    assert (width, height) == WINDOW
    assert png.stat().st_size > 20_000, f"{png} is suspiciously small"
    assert len(colours) > 50, f"{png} is nearly one colour ({len(colours)} values): blank page?"


def test_the_asset_graph_renders(webserver: UiProcess, chromium: str, tmp_path: Path) -> None:
    # fct_event_car's upstream lineage, deep enough to reach the raw tables.
    url = f"{webserver.url}/assets/{CHECK_ASSET}?view=lineage&lineageScope=upstream&lineageDepth=8"
    png = OUTPUT_DIR / "ui_asset_graph.png"
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot(chromium, url, png, tmp_path / "profile")
    assert_real_rendering(png)
    dom = dump_dom(chromium, url, tmp_path / "profile")
    # Long names are elided on the graph (stg_p…_daily_bars): assert short ones.
    for name in ("daily_bars", "int_events", "fct_event_car"):
        assert name in dom, f"{name} not on the asset graph page"


def test_an_asset_check_page_renders(webserver: UiProcess, chromium: str, tmp_path: Path) -> None:
    client = GraphQLClient(webserver.url)
    node = client.query(
        "query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {"
        " ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name } } } } } }",
        {"key": {"path": CHECK_ASSET.split("/")}},
    )["assetNodeOrError"]
    client.close()
    check_name = sorted(c["name"] for c in node["assetChecksOrError"]["checks"])[0]
    url = f"{webserver.url}/assets/{CHECK_ASSET}?view=checks&checkDetail={check_name}"
    png = OUTPUT_DIR / "ui_asset_check.png"
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot(chromium, url, png, tmp_path / "profile")
    assert_real_rendering(png)
    dom = dump_dom(chromium, url, tmp_path / "profile")
    assert check_name in dom
    assert "fct_event_car" in dom
