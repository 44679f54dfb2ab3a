"""News: feed list, safe fetching, parsing into keyed items, and tagging. No Dagster here.

fetch_feed (http.py) -> archive the bytes (warehouse.archive) -> parse_feed (parse.py)
-> tag_item (tagging.py). Each step takes paths and values as arguments.
"""

from assets.news.feeds import Feed, read_feeds
from assets.news.http import FeedResponse, fetch_feed
from assets.news.keys import canonical_link, item_key
from assets.news.parse import NewsItem, ParsedFeed, parse_archived_fetch, parse_feed
from assets.news.tagging import Alias, Tag, load_aliases, tag_item, tag_text

__all__ = [
    "Alias",
    "Feed",
    "FeedResponse",
    "NewsItem",
    "ParsedFeed",
    "Tag",
    "canonical_link",
    "fetch_feed",
    "item_key",
    "load_aliases",
    "parse_archived_fetch",
    "parse_feed",
    "read_feeds",
    "tag_item",
    "tag_text",
]
