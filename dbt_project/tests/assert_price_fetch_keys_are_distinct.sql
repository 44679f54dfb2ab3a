-- fct_ticker_performance carries each row's fetch as hash(fetch_id) through its window and looks
-- the id up again afterwards (a string in the window's payload is costly at scale). The lookup is
-- exact only while no two fetch ids share a hash: a 64-bit collision among a few thousand fetches
-- is vanishingly unlikely, and this test would name the pair if it ever happened.
select {{ hash_key('fetch_id') }} as fetch_key, {{ list_agg('fetch_id', ['fetch_id']) }} as fetch_ids
from {{ ref('stg_prices__fetches') }}
group by {{ hash_key('fetch_id') }}
having count(*) > 1
