{{ config(tags=['spark']) }}
-- reference.news_feeds: the loaded file as readers query it (published with the marts), one row per
-- row of raw.news_feeds, columns as in the file. Models read stg_reference__* instead.
select * from {{ source('raw', 'news_feeds') }}
