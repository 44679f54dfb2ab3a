"""The HTML report, regenerated after each publish from the published marts (not the warehouse),
so it never waits for or blocks the writer. The drawing and rendering live in assets/reporting."""

import dagster as dg

from assets.publish import PUBLISHED_MARTS
from assets.reporting.html import png_data_uri
from assets.reporting.write import write_report
from assets.resources import StateResource
from warehouse.publish import open_published

REPORT = dg.AssetKey(["published", "report"])


@dg.asset(
    key=REPORT,
    deps=[PUBLISHED_MARTS],
    group_name="publish",
    kinds={"html"},
    description=(
        "One self-contained HTML page (ADRPULSE_HOME/reports/adrpulse_report.html): China ADR vs "
        "US megacap baskets with the catalogued events, CAR by event and group with 95% bands, "
        "the forward P/E spread between the baskets with the latest analyst actions, and ticker "
        "performance. Charts are embedded PNGs, also saved beside the page."
    ),
)
def adrpulse_report(
    context: dg.AssetExecutionContext, state: StateResource
) -> dg.MaterializeResult:
    con = open_published(state.published_dir)
    try:
        files = write_report(con, state.reports_dir)
    finally:
        con.close()
    context.log.info(f"report of build {files.build_id} written to {files.html_path}")
    preview = (
        f"Report of build `{files.build_id}`: open `{files.html_path}`\n\n"
        f"![China ADRs vs US megacaps]({png_data_uri(files.relative_png)})\n\n"
        f"![CAR by event and group]({png_data_uri(files.car_png)})\n\n"
        f"![Forward P/E spread]({png_data_uri(files.valuation_png)})"
    )
    return dg.MaterializeResult(
        metadata={
            "build_id": files.build_id,
            "path": dg.MetadataValue.path(str(files.html_path)),
            "url": dg.MetadataValue.url(files.html_path.resolve().as_uri()),
            "charts": dg.MetadataValue.path(str(files.relative_chart_path.parent)),
            "preview": dg.MetadataValue.md(preview),
        }
    )
