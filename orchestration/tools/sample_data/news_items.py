"""The sample's news: invented headlines timed around the catalogued events, plus distractors.

All stories are written for this sample (SYNTHETIC, not copied from any outlet). Headlines name the
universe's companies the way newswires do (Alibaba, Jack Ma, JD.com, Temu, iPhone, Instagram ...)
and include look-alikes a tagger must leave alone (JD Vance, apple pie, a meta-analysis, Premier Li,
Antonio). `available_at` is when the feed starts listing an item; `published` is the date the feed
declares (None for the one undated item).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

EST = timezone(timedelta(hours=-5))
EDT = timezone(timedelta(hours=-4))
BEIJING = timezone(timedelta(hours=8))
DUBAI = timezone(timedelta(hours=4))


@dataclass(frozen=True)
class Revision:
    """A later version of an item: same guid, new summary (and Atom `updated`)."""

    at: datetime
    summary: str


@dataclass(frozen=True)
class SampleItem:
    guid: str
    title: str
    slug: str
    summary: str
    published: datetime | None
    available_at: datetime
    summary_is_html: bool = False
    revisions: tuple[Revision, ...] = ()

    def version_at(self, moment: datetime) -> tuple[str, datetime | None]:
        """The summary and last-update time a fetch at `moment` sees."""
        summary, updated = self.summary, self.published
        for revision in self.revisions:
            if revision.at <= moment:
                summary, updated = revision.summary, revision.at
        return summary, updated


def _item(
    guid: str,
    title: str,
    slug: str,
    summary: str,
    published: datetime,
    *,
    html: bool = False,
    revisions: tuple[Revision, ...] = (),
) -> SampleItem:
    return SampleItem(guid, title, slug, summary, published, published, html, revisions)


MARKETS_ITEMS: tuple[SampleItem, ...] = (
    _item(
        "sample-markets-0001",
        "Apple unveils iPhone 16 line-up built around on-device AI",
        "apple-iphone-16-launch",
        "Apple showed four new iPhone models at its September event in Cupertino.",
        datetime(2024, 9, 9, 13, 40, tzinfo=EDT),
    ),
    _item(
        "sample-markets-0002",
        "Apple pie prices climb ahead of Thanksgiving, grocers say",
        "apple-pie-prices-thanksgiving",
        "Butter and flour costs push the price of a homemade pie up about 6% from last year.",
        datetime(2024, 11, 20, 9, 0, tzinfo=EST),
    ),
    _item(
        "sample-markets-0003",
        "Week ahead: Fed minutes and holiday-thin trading",
        "week-ahead-fed-minutes",
        "Volumes are expected to stay light into the year end.",
        datetime(2024, 12, 22, 18, 0, tzinfo=EST),
    ),
    _item(
        "sample-markets-0004",
        "JD Vance sworn in as vice president",
        "vance-sworn-in",
        "The inauguration moved indoors because of the cold.",
        datetime(2025, 1, 20, 12, 30, tzinfo=EST),
    ),
    _item(
        "sample-markets-0005",
        "DeepSeek releases R1 reasoning model, says it matches OpenAI's o1",
        "deepseek-r1-release",
        "The Hangzhou start-up published the model's weights under an MIT licence.",
        datetime(2025, 1, 20, 21, 5, tzinfo=UTC),
    ),
    _item(
        "sample-markets-0006",
        "Nvidia slides premarket as DeepSeek's low-cost model rattles AI trade",
        "nvidia-premarket-deepseek",
        "<p>Chip stocks fell before the open after DeepSeek's assistant topped the App Store.</p>"
        "<p>Futures on the <b>S&amp;P 500</b> were down about 1.5%.</p>",
        datetime(2025, 1, 27, 6, 40, tzinfo=EST),
        html=True,
        revisions=(
            Revision(
                datetime(2025, 1, 27, 17, 10, tzinfo=EST),
                "<p>Nvidia closed down about 17%, erasing nearly $600 billion of "
                "market value, the largest one-day loss for any US company.</p>",
            ),
        ),
    ),
    _item(
        "sample-markets-0007",
        "Apple and Meta hold up as investors rotate out of AI chipmakers",
        "apple-meta-rotation",
        "Companies that buy AI compute rather than sell it fared better in the sell-off.",
        datetime(2025, 1, 27, 19, 0, tzinfo=UTC),
    ),
    _item(
        "sample-markets-0008",
        "Trump orders 10% tariffs on Chinese imports from Feb. 4",
        "tariffs-china-10pct",
        "The order also ends duty-free treatment of small parcels from China.",
        datetime(2025, 2, 1, 21, 30, tzinfo=EST),
    ),
    _item(
        "sample-markets-0009",
        "A meta-analysis of 40 studies finds little effect of remote work on productivity",
        "remote-work-meta-analysis",
        "Economists pooled results from surveys and field experiments.",
        datetime(2025, 2, 3, 10, 0, tzinfo=EST),
    ),
    _item(
        "sample-markets-0010",
        "Apple picks Alibaba to power AI features on iPhones sold in China, report says",
        "apple-alibaba-report",
        "Apple had also tested models from Baidu and DeepSeek, according to people familiar.",
        datetime(2025, 2, 12, 7, 30, tzinfo=EST),
    ),
    _item(
        "sample-markets-0011",
        "Xi to meet private entrepreneurs including Jack Ma, sources say",
        "xi-entrepreneurs-leak",
        "The meeting would be the most visible sign yet of Beijing's warmer tone toward tech.",
        datetime(2025, 2, 14, 8, 0, tzinfo=EST),
    ),
    _item(
        "sample-markets-0018",
        "Hang Seng tech index closes at a three-year high, led by Alibaba",
        "hang-seng-tech-high",
        "Hong Kong traders cited the Apple tie-up and hopes for a policy reset.",
        datetime(2025, 2, 14, 16, 20, tzinfo=BEIJING),
    ),
    _item(
        "sample-markets-0012",
        "Alibaba beats estimates as cloud growth accelerates; shares jump",
        "alibaba-results-beat",
        "US-listed shares rose in premarket trading after the December-quarter results.",
        datetime(2025, 2, 20, 6, 45, tzinfo=EST),
        revisions=(
            Revision(
                datetime(2025, 2, 20, 16, 30, tzinfo=EST),
                "Alibaba's US shares closed up about 8%, their best day in weeks.",
            ),
        ),
    ),
    _item(
        "sample-markets-0013",
        "White House memo calls for curbs on US investment in China",
        "america-first-investment-memo",
        "The memorandum asks agencies to review outbound investment and VIE structures.",
        datetime(2025, 2, 21, 19, 5, tzinfo=EST),
    ),
    _item(
        "sample-markets-0014",
        "Chinese ADRs slide after US investment memo; Alibaba down about 10%",
        "china-adrs-slide-memo",
        "KWEB and FXI fell as investors weighed the risk of delisting threats returning.",
        datetime(2025, 2, 24, 11, 0, tzinfo=EST),
    ),
    # The one item without a date: the feed does not say when it was published.
    SampleItem(
        "sample-markets-0015",
        "Week ahead: Nvidia results and PCE inflation data",
        "week-ahead-nvidia-pce",
        "Nvidia reports on Wednesday; the Fed's preferred inflation gauge follows Friday.",
        None,
        datetime(2025, 2, 23, 12, 0, tzinfo=UTC),
    ),
    _item(
        "sample-markets-0016",
        "US doubles tariffs on Chinese goods to 20%",
        "tariffs-china-20pct",
        "Beijing answered with duties on US farm products.",
        datetime(2025, 3, 4, 0, 1, tzinfo=EST),
    ),
    _item(
        "sample-markets-0017",
        "Tesla and Nvidia lead megacap slide as growth fears mount",
        "megacap-slide-march",
        "The Nasdaq 100 had its worst day since 2022.",
        datetime(2025, 3, 10, 16, 20, tzinfo=EDT),
    ),
)

CHINA_TECH_ITEMS: tuple[SampleItem, ...] = (
    _item(
        "tag:sample.adrpulse.invalid,2024:china-tech/0001",
        "Alibaba to split cloud and e-commerce reporting, Eddie Wu says",
        "alibaba-reporting-eddie-wu",
        "Chief executive Eddie Wu told analysts the change makes the cloud unit easier to value.",
        datetime(2024, 11, 15, 20, 0, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0002",
        "DeepSeek open-sources R1; Chinese AI shares in focus",
        "deepseek-r1-open-source",
        "The release comes with a paper describing reinforcement learning without supervised data.",
        datetime(2025, 1, 20, 20, 0, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0003",
        "Alibaba and Baidu gain in US trading as DeepSeek lifts China AI sentiment",
        "alibaba-baidu-deepseek-gain",
        "Investors bet that cheaper models favour Chinese platforms with their own cloud.",
        datetime(2025, 1, 27, 15, 0, tzinfo=UTC),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0004",
        "Alibaba releases Qwen 2.5-Max, says it beats DeepSeek-V3 on benchmarks",
        "qwen-25-max",
        "The launch landed on the eve of the Lunar New Year holiday.",
        datetime(2025, 1, 29, 1, 30, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0005",
        "Temu owner Pinduoduo faces higher costs as US ends duty-free small parcels",
        "temu-de-minimis",
        "Analysts expect PDD Holdings to shift more sales to local warehouses.",
        datetime(2025, 2, 5, 9, 15, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0006",
        "Joe Tsai confirms Alibaba is working with Apple on AI for iPhones in China",
        "joe-tsai-apple-confirm",
        "Alibaba's chairman spoke at a government summit in Dubai.",
        datetime(2025, 2, 13, 11, 0, tzinfo=DUBAI),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0007",
        "Jack Ma joins Xi's symposium with private entrepreneurs",
        "xi-symposium-jack-ma",
        "<p>Founders from <b>Huawei</b>, <b>BYD</b>, Xiaomi and DeepSeek were also there.</p>",
        datetime(2025, 2, 17, 18, 0, tzinfo=BEIJING),
        html=True,
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0008",
        "Alibaba December-quarter revenue rises 8%; cloud sales grow 13%",
        "alibaba-fq3-results",
        "Revenue reached RMB 280.2 billion.",
        datetime(2025, 2, 20, 19, 35, tzinfo=BEIJING),
        revisions=(
            Revision(
                datetime(2025, 2, 21, 8, 0, tzinfo=BEIJING),
                "Revenue reached RMB 280.2 billion. Eddie Wu said Alibaba will spend "
                "more on AI infrastructure over the next three years than in the past "
                "decade.",
            ),
        ),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0009",
        "NetEase games revenue beats forecasts on new titles",
        "netease-results",
        "Online games made up most of the quarter\u2019s revenue.",
        datetime(2025, 2, 20, 17, 10, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0010",
        "Bilibili swings to a quarterly profit as ad sales grow",
        "bilibili-profit",
        "Daily active users reached a record.",
        datetime(2025, 2, 20, 17, 30, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0011",
        "Premier Li Qiang sets 2025 growth target at around 5%",
        "premier-li-growth-target",
        "The government work report also raised the budget deficit goal to 4% of GDP.",
        datetime(2025, 3, 5, 9, 30, tzinfo=BEIJING),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0012",
        "JD.com revenue beats estimates; Tencent Music and Baidu report next week",
        "jd-results",
        "JD.com also announced a larger share buyback.",
        datetime(2025, 3, 6, 18, 0, tzinfo=BEIJING),
    ),
    # The uncatalogued PDD move on the sample's last session (shocks.UNANNOUNCED_MOVES): a report
    # on day -1 (Friday, during the session) and the news on day 0 (Monday, before the open).
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0013",
        "Temu owner PDD faces EU probe over unsafe products, people familiar say",
        "pdd-eu-probe-report",
        "Regulators are said to be preparing a formal investigation.",
        datetime(2025, 3, 28, 10, 30, tzinfo=EDT),
    ),
    _item(
        "tag:sample.adrpulse.invalid,2025:china-tech/0014",
        "PDD shares tumble as EU opens investigation into Temu over illegal products",
        "pdd-eu-investigation",
        "The Commission said the marketplace failed to stop the sale of illegal products.",
        datetime(2025, 3, 31, 7, 45, tzinfo=EDT),
    ),
)

EV_ITEMS: tuple[SampleItem, ...] = (
    _item(
        "https://sample.adrpulse.invalid/ev/2025/01/byd-2024-sales",
        "BYD's 2024 deliveries top 4.2 million vehicles",
        "byd-2024-sales",
        "Plug-in hybrids made up a growing share of the mix.",
        datetime(2025, 1, 2, 10, 0, tzinfo=BEIJING),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/01/guterres-electric-buses",
        "UN chief Antonio Guterres urges faster shift to electric buses",
        "guterres-electric-buses",
        "He spoke at a transport conference in Geneva.",
        datetime(2025, 1, 23, 14, 0, tzinfo=UTC),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/02/byd-gods-eye",
        "BYD rolls out God's Eye driver assistance across its range, even $10,000 cars",
        "byd-gods-eye",
        "The system is standard on most models and uses DeepSeek for the in-car assistant.",
        datetime(2025, 2, 10, 19, 30, tzinfo=BEIJING),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/02/rivals-pressure",
        "XPeng, Nio and Li Auto under pressure after BYD's free driver-assist push",
        "rivals-pressure-byd",
        "Analyst Li Wei expects a price war in assisted driving.",
        datetime(2025, 2, 11, 9, 0, tzinfo=BEIJING),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/02/tesla-fsd-china",
        "Tesla pushes a driver-assist update to cars in China",
        "tesla-fsd-china",
        "The rollout follows BYD's announcement by two weeks.",
        datetime(2025, 2, 25, 12, 0, tzinfo=BEIJING),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/03/gm-china",
        "GM's China joint venture cuts jobs as local brands gain share",
        "gm-china-restructuring",
        "The Detroit maker took a charge on its China business last year.",
        datetime(2025, 3, 3, 7, 0, tzinfo=EST),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/03/li-auto-i8",
        "Li Auto previews its first all-electric SUV",
        "li-auto-first-bev",
        "Deliveries are expected later in the year.",
        datetime(2025, 3, 14, 20, 0, tzinfo=BEIJING),
    ),
    # The uncatalogued NIO move on the sample's last session (shocks.UNANNOUNCED_MOVES).
    _item(
        "https://sample.adrpulse.invalid/ev/2025/03/nio-funding-talks",
        "Nio in talks with Hefei backers on new funding, report says",
        "nio-funding-talks",
        "The electric-car maker has burned cash for years.",
        datetime(2025, 3, 28, 12, 0, tzinfo=BEIJING),
    ),
    _item(
        "https://sample.adrpulse.invalid/ev/2025/03/nio-strategic-investment",
        "Nio wins 10 billion yuan strategic investment, shares jump",
        "nio-strategic-investment",
        "The money strengthens the balance sheet and funds new models, the company said.",
        datetime(2025, 3, 31, 19, 30, tzinfo=BEIJING),
    ),
)
