{{ config(tags=['spark']) }}
-- One event per (ticker, day 0, action category): the analyst actions of that category on that
-- ticker whose day 0 is that session, however many firms. Its title describes the first action
-- (by grade time, then firm) and counts the others. The same grain and id scheme as news events
-- (int_news_events), so int_events can take them as events of origin 'analyst'.
with actions as (
    select * from {{ ref('int_analyst_actions') }}
),

described as (
    select
        *,
        firm || ': ' || action_category
            || coalesce(' ' || from_grade || ' -> ' || to_grade, ' ' || to_grade, '')
            || coalesce(
                ', target ' || cast(round(prior_price_target, 2) as {{ text_type() }})
                || ' -> ' || cast(round(current_price_target, 2) as {{ text_type() }}),
                ', target ' || cast(round(current_price_target, 2) as {{ text_type() }}),
                ''
            )                                                    as action_description
    from actions
),

aggregated as (
    select
        ticker,
        day_zero_date,
        action_category,
        count(*)                                                 as action_count,
        {{ list_agg('firm', ['graded_at', 'firm']) }}            as firms,
        min(graded_at)                                           as first_graded_at,
        {{ arg_min('action_description', ['graded_at', 'firm']) }} as first_description
    from described
    group by ticker, day_zero_date, action_category
),

final as (
    select
        'analyst_' || action_category || '_' || ticker || '_'
            || {{ format_date('day_zero_date', '%Y%m%d') }}     as event_id,
        ticker,
        day_zero_date,
        action_category,
        action_count,
        firms,
        first_graded_at,
        first_description
            || case when action_count > 1
                then ' (+' || cast(action_count - 1 as {{ text_type() }}) || ' more)' else '' end
                                                                 as event_title
    from aggregated
)

select * from final
