"""`newsflow eval related` on a tiny Reuters-shaped corpus: the report has its figures."""

import math
from pathlib import Path

import orjson

from services.related.evaluate import auc, evaluate_related, format_report

GRAIN = "Wheat and corn exports rose as grain shipments from the port increased, traders said of the harvest."
OIL = "Crude oil prices fell after OPEC output rose and refinery demand for crude weakened this month."


def doc(n: int, topic: str, body: str) -> dict[str, object]:
    return {
        "attrs": {"newid": str(n)},
        "title": f"{topic.upper()} REPORT {n}",
        "body": body + f" Item {n}.",
        "date": f"{1 + n % 27:02d}-MAR-1987 10:00:00.00",
        "topics": [topic],
        "places": ["usa"],
        "people": [],
        "orgs": [],
        "companies": [],
    }


def test_auc_ranks_and_ties() -> None:
    assert auc([0.1, 0.9], [False, True]) == 1.0
    assert auc([0.5, 0.5], [False, True]) == 0.5
    assert math.isnan(auc([0.1], [True]))


def test_report_on_a_small_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "reuters21578" / "json-data"
    folder.mkdir(parents=True)
    docs = [doc(n, "grain" if n % 2 else "crude", GRAIN if n % 2 else OIL) for n in range(40)]
    docs.append({"title": "NO TOPIC", "body": "x", "topics": []})
    (folder / "reut2-000.json").write_bytes(orjson.dumps(docs))
    report = evaluate_related(tmp_path, limit=30)
    assert report["documents"] == 30 and report["pairs"] == 30 * 29 // 2
    assert report["auc"] > 0.9 and report["precision_at_k"] > 0.9 > report["base_rate"]
    assert 0 < report["stream_recall_of_offline_top_k"] <= 1
    text = format_report(report)
    assert "AUC" in text and "precision@10" in text
