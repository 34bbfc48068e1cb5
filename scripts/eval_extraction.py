#!/usr/bin/env python3
"""Score extracted article bodies against the article-extraction benchmark.

Usage: eval_extraction.py PREDICTIONS.json [--truth DIR] [--bootstrap N]
                          [--per-page] [--json OUT] [--strict]

PREDICTIONS.json maps a page id (the HTML file name without ".html.gz") to
the extracted body text. Each value may be a plain string, or an object with
an "articleBody" string; the whole mapping may also be wrapped as
{"version": "...", "output": {...}}. A null/missing body counts as empty.

--truth DIR is a folder holding ground-truth.json (default: the copy under
benches/data/article-extraction, found relative to this script).

Metric (re-implemented from the benchmark's description):
  * tokens  = maximal runs of Unicode word characters (regex \\w+), case kept;
  * shingles = every run of 4 consecutive tokens (a text with 1..3 tokens
    gives a single shingle made of all its tokens, an empty text none);
  * per page, shingles are compared as multisets: tp = shared count,
    fp = extra predicted, fn = missed; the three are divided by their sum so
    that every page weighs the same;
  * page precision = tp/(tp+fp), page recall = tp/(tp+fn); a page where
    fp = fn = 0 scores 1 on both; a page with an empty prediction is left out
    of the precision mean, a page with an empty truth out of the recall mean;
  * precision and recall are the means over pages, F1 is the harmonic mean
    of those two means (not a mean of per-page F1);
  * accuracy = share of pages whose token sequence equals the truth's.

Standard library only.
"""

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

SHINGLE = 4
WORD = re.compile(r"\w+", re.UNICODE)
DEFAULT_TRUTH = (Path(__file__).resolve().parent.parent
                 / "benches" / "data" / "article-extraction")


def tokens(text):
    return WORD.findall(text or "")


def shingles(toks, n=SHINGLE):
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def page_counts(truth_text, pred_text):
    """Return normalised (tp, fp, fn) for one page."""
    t = shingles(tokens(truth_text))
    p = shingles(tokens(pred_text))
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total:
        return tp / total, fp / total, fn / total
    return 0.0, 0.0, 0.0


def page_precision(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    if tp == 0 and fp == 0:
        return 0.0
    return tp / (tp + fp)


def page_recall(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    if tp == 0 and fn == 0:
        return 0.0
    return tp / (tp + fn)


def _mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def aggregate(counts):
    precs = [page_precision(*c) for c in counts if c[0] + c[1] > 0]
    recs = [page_recall(*c) for c in counts if c[0] + c[2] > 0]
    p, r = _mean(precs), _mean(recs)
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def _stdev(xs):
    if len(xs) < 2:
        return 0.0
    m = _mean(xs)
    return (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5


def body_of(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        body = value.get("articleBody")
        return body if isinstance(body, str) else ""
    raise ValueError("unsupported prediction value: %r" % (type(value),))


def page_id(key):
    for suffix in (".html.gz", ".html"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def load_predictions(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if (isinstance(data, dict) and set(data) == {"version", "output"}
            and isinstance(data["output"], dict)):
        data = data["output"]
    if not isinstance(data, dict):
        raise ValueError("predictions must be a JSON object")
    return {page_id(k): body_of(v) for k, v in data.items()}


def load_truth(folder):
    path = Path(folder)
    if path.is_dir():
        path = path / "ground-truth.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {k: body_of(v) for k, v in data.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(
        usage="eval_extraction.py PREDICTIONS.json [--truth DIR]",
        description="Shingle-based P/R/F1 of extracted article bodies.")
    ap.add_argument("predictions")
    ap.add_argument("--truth", default=str(DEFAULT_TRUTH),
                    help="folder with ground-truth.json (or the file itself)")
    ap.add_argument("--bootstrap", type=int, default=0, metavar="N",
                    help="also print bootstrap std over N resamples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-page", action="store_true",
                    help="print per-page precision/recall, worst first")
    ap.add_argument("--json", metavar="OUT", help="also write results as JSON")
    ap.add_argument("--strict", action="store_true",
                    help="fail if a ground-truth page has no prediction")
    args = ap.parse_args(argv)

    truth = load_truth(args.truth)
    pred = load_predictions(args.predictions)
    missing = sorted(set(truth) - set(pred))
    extra = sorted(set(pred) - set(truth))
    if missing:
        msg = "%d ground-truth pages have no prediction" % len(missing)
        if args.strict:
            print("error: " + msg, file=sys.stderr)
            return 2
        print("warning: %s (scored as empty)" % msg, file=sys.stderr)
    if extra:
        print("warning: %d predicted ids are not in the ground truth "
              "(ignored)" % len(extra), file=sys.stderr)

    ids = sorted(truth)
    counts, exact, rows = [], [], []
    for k in ids:
        c = page_counts(truth[k], pred.get(k, ""))
        counts.append(c)
        exact.append(1.0 if tokens(truth[k]) == tokens(pred.get(k, ""))
                     else 0.0)
        rows.append((k, page_precision(*c), page_recall(*c)))

    res = aggregate(counts)
    res["accuracy"] = _mean(exact)
    res["pages"] = len(ids)
    res["empty_predictions"] = sum(1 for k in ids if not tokens(pred.get(k)))
    res["missing_predictions"] = len(missing)

    if args.bootstrap > 0:
        rng = random.Random(args.seed)
        samples = {"precision": [], "recall": [], "f1": [], "accuracy": []}
        n = len(ids)
        for _ in range(args.bootstrap):
            idx = [rng.randrange(n) for _ in range(n)]
            m = aggregate([counts[i] for i in idx])
            m["accuracy"] = _mean([exact[i] for i in idx])
            for key in samples:
                samples[key].append(m[key])
        for key, xs in samples.items():
            res[key + "_std"] = _stdev(xs)

    if args.per_page:
        for k, p, r in sorted(rows, key=lambda x: 2 * x[1] * x[2] /
                              (x[1] + x[2]) if x[1] + x[2] else 0.0):
            print("%s  P=%.3f R=%.3f" % (k, p, r))
        print()

    for key in ("precision", "recall", "f1", "accuracy"):
        line = "%-10s %.3f" % (key, res[key])
        if key + "_std" in res:
            line += " ± %.3f" % res[key + "_std"]
        print(line)
    print("%-10s %d (empty predictions: %d, missing: %d)"
          % ("pages", res["pages"], res["empty_predictions"],
             res["missing_predictions"]))

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
