{{ config(tags=['spark']) }}
-- Published: per universe group (and 'all') and return window, whether headline sentiment lines
-- up with abnormal returns, over the sessions of int_news_sentiment_returns whose return exists.
-- Windows: '[0,0]' = the day-0 abnormal return, '[0,+1]' = day 0 plus day +1.
--   correlation: Pearson correlation of net_sentiment with the window's abnormal return.
--   Positive-news sessions have net_sentiment > 0, negative-news sessions < 0 (neutral ones count
--   in `sessions` only). Welch's two-sample t test of their mean abnormal returns:
--     t = (m_pos - m_neg) / sqrt(s_pos^2 / n_pos + s_neg^2 / n_neg)
--     df = (s_pos^2/n_pos + s_neg^2/n_neg)^2
--          / ((s_pos^2/n_pos)^2 / (n_pos - 1) + (s_neg^2/n_neg)^2 / (n_neg - 1))
--   (sample variances); null with fewer than two sessions on a side or no variance.
--   p_value: two-sided, Student t with the Welch df, exact for fractional df (macro
--     student_t_two_sided_p_value).
with sessions as (
    select * from {{ ref('int_news_sentiment_returns') }}
    where net_sentiment is not null
),

windows as (
    select ticker, session_date, group_name, net_sentiment, '[0,0]' as window_label,
           abnormal_return_day_0 as abnormal_return
    from sessions
    union all
    select ticker, session_date, group_name, net_sentiment, '[0,+1]' as window_label,
           car_day_0_to_1 as abnormal_return
    from sessions
),

grouped as (
    select group_name as summary_group, window_label, net_sentiment, abnormal_return
    from windows
    where abnormal_return is not null
    union all
    select 'all' as summary_group, window_label, net_sentiment, abnormal_return
    from windows
    where abnormal_return is not null
),

stats as (
    select
        summary_group,
        window_label,
        count(*)                                                        as sessions,
        corr(net_sentiment, abnormal_return)                            as correlation,
        count(*) filter (where net_sentiment > 0)                       as positive_sessions,
        count(*) filter (where net_sentiment < 0)                       as negative_sessions,
        avg(abnormal_return) filter (where net_sentiment > 0)           as mean_ar_positive,
        avg(abnormal_return) filter (where net_sentiment < 0)           as mean_ar_negative,
        var_samp(abnormal_return) filter (where net_sentiment > 0)      as var_positive,
        var_samp(abnormal_return) filter (where net_sentiment < 0)      as var_negative
    from grouped
    group by summary_group, window_label
),

welch as (
    select
        *,
        mean_ar_positive - mean_ar_negative                             as mean_ar_difference,
        case when positive_sessions >= 2 and negative_sessions >= 2 then
            var_positive / positive_sessions + var_negative / negative_sessions
        end                                                             as se_squared
    from stats
),

tested as (
    select
        *,
        case when se_squared > 0 then mean_ar_difference / sqrt(se_squared) end as welch_t,
        case when se_squared > 0 then
            se_squared * se_squared
            / (power(var_positive / positive_sessions, 2) / (positive_sessions - 1)
               + power(var_negative / negative_sessions, 2) / (negative_sessions - 1))
        end                                                             as welch_df
    from welch
),

final as (
    select
        summary_group,
        window_label,
        sessions,
        -- NaN when either side is constant: no correlation is defined.
        nullif(correlation, {{ nan_double() }})                              as correlation,
        positive_sessions,
        negative_sessions,
        mean_ar_positive,
        mean_ar_negative,
        mean_ar_difference,
        welch_t,
        welch_df,
        {{ student_t_two_sided_p_value('welch_t', 'welch_df') }}        as p_value
    from tested
)

select * from final
