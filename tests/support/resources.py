"""The pipeline's resources for a test home, built the way the definitions build them: from
`Settings` (assets/settings.py), so tests exercise the one declaration of settings. Only the
network seams are replaced."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assets.resources import YahooPricesResource, build_resources
from assets.settings import Settings


def settings_for(home: Path, **env: str) -> Settings:
    """Settings of a test home: ADRPULSE_HOME plus the given variables, nothing from the caller's
    environment."""
    return Settings.from_env({"ADRPULSE_HOME": str(home), **env})


def pipeline_resources(home: Path, **env: str) -> dict[str, Any]:
    return build_resources(settings_for(home, **env))


def scripted_yahoo(
    base: YahooPricesResource,
    download: Callable[..., Any] | None = None,
    ticker: Callable[[str], Any] | None = None,
    **overrides: Any,
) -> YahooPricesResource:
    """`base` with yfinance.download replaced by `download` and yfinance.Ticker by `ticker` (the
    network seams, and only they); a seam not given is left as it is."""

    class ScriptedYahoo(YahooPricesResource):
        def download_function(self) -> Callable[..., Any]:
            return download if download is not None else super().download_function()

        def ticker_function(self) -> Callable[[str], Any]:
            return ticker if ticker is not None else super().ticker_function()

    fields = {name: getattr(base, name) for name in YahooPricesResource.model_fields}
    return ScriptedYahoo(**{**fields, **overrides})


def step_failures(result: Any) -> dict[str, str]:
    """Each failed step of a run (an ExecuteInProcessResult) with its error message."""
    return {
        e.step_key: e.event_specific_data.error.message
        for e in result.all_events
        if e.is_step_failure
    }
