"""Schedules: the daily refresh after the US close on XNYS sessions only, and news polling.

Both are STOPPED by default, on every home: `make ui` starts the daemon, and a daemon that began
fetching live data on its own into the home it was given (the demo's, by default) did what nobody
asked for. `adrpulse schedules start` (orchestration/commands/schedules.py) or the UI's toggle
turns them on, recorded on the instance; the live runs themselves still refuse a home that holds
the synthetic sample (assets/sample_home.py) before fetching anything.

The daily run asks for the day's price partition (an XNYS session; end_offset=1 on the
partitions makes it exist at 18:00). Dagster's build_schedule_from_partitioned_job would ask for
the previous partition, so the partition is chosen here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import dagster as dg

from assets.calendar import is_session
from orchestration.jobs import daily_job, news_job

NEW_YORK_TZ = "America/New_York"


@dg.schedule(
    job=daily_job,
    cron_schedule="0 18 * * 1-5",
    execution_timezone=NEW_YORK_TZ,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "18:00 New York on XNYS sessions: the day's price partition, news, marts. Skips weekends "
        "and exchange holidays."
    ),
)
def daily_after_close(context: dg.ScheduleEvaluationContext):
    day = context.scheduled_execution_time.astimezone(ZoneInfo(NEW_YORK_TZ)).date()
    if not is_session(day):
        return dg.SkipReason(f"{day} is not an XNYS session (weekend or exchange holiday)")
    return dg.RunRequest(
        run_key=f"daily-{day.isoformat()}",
        partition_key=day.isoformat(),
        tags={"adrpulse/session": day.isoformat()},
    )


news_every_two_hours = dg.ScheduleDefinition(
    name="news_every_two_hours",
    job=news_job,
    cron_schedule="15 */2 * * *",
    execution_timezone=NEW_YORK_TZ,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Poll the news feeds every two hours, every day (conditional GETs are cheap).",
)

ALL_SCHEDULES = [daily_after_close, news_every_two_hours]
