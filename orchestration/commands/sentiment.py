"""`adrpulse sentiment-eval`: how well each offline sentiment scorer agrees with hand labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from assets.news.sentiment import DEFAULT_SCORER, SCORERS, LabelledSetError, evaluate, read_labelled
from assets.settings import REPO_ROOT, Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_table

LABELLED_SET = REPO_ROOT / "tests" / "data" / "labelled_headlines.csv"


def cmd_sentiment_eval(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    try:
        rows = read_labelled(path)
    except LabelledSetError as exc:
        raise CliError(f"{exc}. Point --file at a CSV with columns headline,label.") from None
    counts = {label: sum(1 for _, lab in rows if lab == label) for label in
              ("positive", "negative", "neutral")}
    print(f"{len(rows)} hand-labelled headlines in {path} "
          f"({', '.join(f'{n} {label}' for label, n in counts.items())}).")
    results = evaluate(rows, args.scorer or list(SCORERS))
    table = [
        (
            r.scorer + (" (used)" if r.scorer == DEFAULT_SCORER else ""),
            r.version,
            f"{r.accuracy:.3f}",
            f"{r.macro_f1:.3f}",
            f"{r.f1_by_label['positive']:.3f}",
            f"{r.f1_by_label['negative']:.3f}",
            f"{r.f1_by_label['neutral']:.3f}",
        )
        for r in sorted(results, key=lambda r: -r.macro_f1)
    ]
    print(format_table(
        ["scorer", "version", "accuracy", "macro_f1", "f1_pos", "f1_neg", "f1_neu"], table
    ))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sentiment-eval",
        help="measure each sentiment scorer's agreement with hand-labelled headlines",
        description=(
            "Score every headline of a hand-labelled CSV (columns headline,label; label "
            "positive, negative or neutral; lines starting with # are comments) with each "
            "offline scorer and print its accuracy and macro F1. Offline and read-only: it "
            "opens neither the warehouse nor the network. The pipeline scores news items with "
            f"the scorer marked (used), {DEFAULT_SCORER!r}."
        ),
    )
    p.add_argument("--file", default=str(LABELLED_SET),
                   help="labelled CSV (default: tests/data/labelled_headlines.csv)")
    p.add_argument("--scorer", action="append", choices=sorted(SCORERS),
                   help="measure only this scorer (repeatable; default: all)")
    p.set_defaults(func=cmd_sentiment_eval)
