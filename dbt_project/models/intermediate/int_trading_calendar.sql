{{ config(tags=['spark']) }}
-- One row per XNYS session, numbered so that "n sessions later" is index arithmetic.
with sessions as (
    select session_date from {{ ref('stg_reference__xnys_sessions') }}
),

numbered as (
    select
        session_date,
        cast(row_number() over (order by session_date) as integer)  as session_index,
        lag(session_date) over (order by session_date)              as previous_session_date,
        lead(session_date) over (order by session_date)             as next_session_date,
        year(session_date)                                          as calendar_year
    from sessions
)

select * from numbered
