#!/usr/bin/env bash
# Article extraction, side by side: Vigil (dom_smoothie) and Python trafilatura on the same 181
# pages of the article-extraction benchmark in benches/data/, scored by scripts/eval_extraction.py. Installs trafilatura into a
# virtualenv under target/ the first time. Prints F1 and pages per second for both, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/extraction"
mkdir -p "$out"
eval_script=scripts/eval_extraction.py
pages=benches/data/article-extraction/html

cargo bench --bench extraction 2>/dev/null | tee "$out/vigil.txt"
vigil_rate=$(grep -o '[0-9.]* pages/s (1 thread)' "$out/vigil.txt" | cut -d' ' -f1)
vigil_parallel=$(grep -o '[0-9.]* pages/s ([0-9]* threads)' "$out/vigil.txt" | cut -d' ' -f1)

if ! "$out/venv/bin/python" -c "import trafilatura" 2>/dev/null; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet trafilatura lxml_html_clean
fi
"$out/venv/bin/python" - "$pages" "$out/trafilatura.json" <<'PY' | tee "$out/trafilatura.txt"
import gzip, json, pathlib, sys, time
import trafilatura
pages_dir, out = pathlib.Path(sys.argv[1]), sys.argv[2]
pages = sorted((p.name[:-len(".html.gz")], gzip.decompress(p.read_bytes()).decode("utf-8", "replace")) for p in pages_dir.glob("*.html.gz"))
best, predictions = float("inf"), {}
for round in range(3):
    started = time.perf_counter()
    for page_id, html in pages:
        text = trafilatura.extract(html) or ""
        if round == 0:
            predictions[page_id] = text
    best = min(best, time.perf_counter() - started)
json.dump(predictions, open(out, "w"))
print(f"trafilatura {trafilatura.__version__}: best of 3 rounds {best:.2f} s: {len(pages) / best:.0f} pages/s (1 thread)")
PY
traf_rate=$(grep -o '[0-9.]* pages/s' "$out/trafilatura.txt" | cut -d' ' -f1)

echo
for who in vigil trafilatura; do
  printf '%-12s ' "$who"
  python3 "$eval_script" "$out/$who.json" | grep -iE '^(f1|precision|recall)' | tr '\n' ' '
  echo
done
python3 -c "print(f'speed ratio vigil/trafilatura, one thread each: {float($vigil_rate) / float($traf_rate):.1f}x')"
python3 -c "print(f'speed ratio vigil on every core / trafilatura on one: {float($vigil_parallel) / float($traf_rate):.1f}x')"
