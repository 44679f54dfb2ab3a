{{ config(tags=['spark']) }}
-- One row per alert: a ticker whose |standardised abnormal return| on the latest stored session is
-- at least var('alert_sar_threshold') (the setting ADRPULSE_ALERT_SAR_THRESHOLD, which the
-- pipeline passes; the dbt project has no default of its own). alert_id = <ticker>_<yyyymmdd>.
select
    ticker || '_' || {{ format_date('session_date', '%Y%m%d') }}  as alert_id,
    *,
    {{ var('alert_sar_threshold') }}::double             as sar_threshold
from {{ ref('int_latest_session_abnormal_returns') }}
where abs(standardized_abnormal_return) >= {{ var('alert_sar_threshold') }}
