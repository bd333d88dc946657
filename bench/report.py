"""Tables on stdout, the PNG chart and the search section of docs/benchmarks.md."""

from __future__ import annotations

import re
from pathlib import Path

TARGET_MS = {"typeahead": 15.0}
DEFAULT_TARGET = 50.0
START, END = "<!-- search:start -->", "<!-- search:end -->"


def _ratio(base: float, ours: float) -> str:
    return f"{base / ours:.1f}x" if ours > 0 else "-"


def table(size: int, info: dict, baselines: dict) -> list[str]:
    rows = [
        "| Query class | p50 ms | p95 ms | target | LIKE p95 (x) | FTS5 p95 (x) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (p50, p95) in info["classes"].items():
        target = TARGET_MS.get(name, DEFAULT_TARGET)
        cells = []
        for kind in ("like", "fts5"):
            base = baselines.get(kind, {}).get(size, {}).get(name)
            cells.append(f"{base[1]:.1f} ({_ratio(base[1], p95)})" if base else "n/a")
        ok = "ok" if p95 <= target else "MISS"
        rows.append(
            f"| {name} | {p50:.1f} | {p95:.1f} | {target:.0f} {ok} | {cells[0]} | {cells[1]} |"
        )
    return rows


def print_size(size: int, info: dict, baselines: dict) -> None:
    print("\n".join(table(size, info, baselines)))
    print()


def print_quality(quality: dict) -> None:
    print("| Query set | queries | hit rate | precision@k | recall@k |")
    print("|---|---:|---:|---:|---:|")
    for kind, q in quality.items():
        print(
            f"| {kind} | {q['queries']} | {q['hit_rate']:.2f} | {q['precision_at_k']:.2f} | "
            f"{q['recall_at_k']:.2f} |"
        )


def chart(results: dict, classes: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results["sizes"])
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.8 / (len(sizes) + 2)
    xs = range(len(classes))
    for i, size in enumerate(sizes):
        values = [results["sizes"][size]["classes"][c][1] for c in classes]
        ax.bar([x + i * width for x in xs], values, width, label=f"Whoosh engine, {size:,}")
    biggest = max(sizes)
    for j, kind in enumerate(("like", "fts5")):
        base = results["baselines"].get(kind, {}).get(biggest, {})
        values = [base.get(c, (None, None))[1] for c in classes]
        ax.bar(
            [x + (len(sizes) + j) * width for x in xs],
            [v or 0 for v in values],
            width,
            label=f"{kind.upper()} baseline, {biggest:,}",
            hatch="//" if j else "..",
        )
    ax.axhline(50, color="black", linestyle="--", linewidth=1, label="50 ms target")
    ax.axhline(15, color="grey", linestyle=":", linewidth=1, label="15 ms typeahead target")
    ax.set_yscale("log")
    ax.set_ylabel("p95 latency (ms, log scale)")
    ax.set_xticks([x + width * (len(sizes) + 1) / 2 for x in xs])
    ax.set_xticklabels(classes, rotation=25, ha="right")
    ax.set_title("Search p95 by query class and directory size (with facets and distance)")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_docs(results: dict, classes: list[str], path: Path) -> None:
    lines = [
        START,
        "## Search",
        "",
        "Measured by `make bench` (`python -m bench search`) on this machine: the full "
        "`search()` call with facet counts and distances (whole-result caching switched "
        "off), on deterministic synthetic directories. Baselines run the same work "
        "(match, five facet counts, distance, one page) in plain SQL `LIKE` and SQLite "
        "FTS5 over the same database; ratios are baseline p95 / engine p95.",
        "",
        "![p95 by query class and size](search-benchmark.png)",
        "",
    ]
    for size in sorted(results["sizes"]):
        info = results["sizes"][size]
        lines += [
            f"### {size:,} providers",
            "",
            f"Generated in {info['generate_s']:.1f} s; full rebuild {info['rebuild_s']:.1f} s; "
            f"index {info['index_mb']:.1f} MB on disk; first search after opening "
            f"{info['first_search_ms']:.0f} ms (builds per-segment arrays)."
            + (
                f" One staff edit: applied to the index in {info['apply_ms']:.0f} ms; first "
                f"search after it {info['refresh_ms']:.0f} ms (re-opens the searcher, reads "
                "only the new segment)."
                if "apply_ms" in info
                else ""
            ),
            "",
        ]
        lines += [*table(size, info, results["baselines"]), ""]
    lines += [
        f"RSS of one gunicorn worker after serving the whole query mix over HTTP (search "
        f"pages and typeahead) at {max(results['sizes']):,} providers: "
        f"**{results['rss_mb']:.0f} MB** (target 300 MB); its peak (VmHWM) was "
        f"{results.get('peak_rss_mb', results['rss_mb']):.0f} MB.",
        "",
        "### Search quality (tests/search_quality on the demo directory)",
        "",
        "| Query set | queries | hit rate | precision@k | recall@k |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, q in results["quality"].items():
        lines.append(
            f"| {kind} | {q['queries']} | {q['hit_rate']:.2f} | "
            f"{q['precision_at_k']:.2f} | {q['recall_at_k']:.2f} |"
        )
    lines += [
        "",
        "Notes: the machine has 2 cores; run `make bench` on an otherwise idle machine, "
        "since other load inflates tail latencies and the rebuild time. Compare the ratios "
        "(baseline p95 / engine p95) rather than absolute figures across machines.",
    ]
    lines.append(END)
    section = "\n".join(lines)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
