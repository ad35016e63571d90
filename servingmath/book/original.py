"""Where each section of the site's chapter is in the English original.

The original is one page, "Serving LLaMA 3-70B on TPUs" (How to Scale Your Model, part 8), with
five headed sections; its worked questions have no anchors of their own, so a question links
to the section it sits in. ``SECTIONS`` maps (page source, heading id on this site) to the
anchor on the original page; hooks/original_links.py renders the link beside each heading and
fails the build when a mapped heading is gone.

The anchors are the ids that the original's site generator (Jekyll, kramdown with GFM input)
gives its headings, copied from ``applied-inference.md`` of jax-ml/scaling-book:

>>> all(slug(title) == anchor for title, anchor in ORIGINAL_HEADINGS.items())
True
"""

from __future__ import annotations

import re
from types import MappingProxyType

# The English original of the chapter (its section 8).
ORIGINAL_URL = "https://jax-ml.github.io/scaling-book/applied-inference/"

# The original's headings (## and ###, in page order) and their anchors.
ORIGINAL_HEADINGS = MappingProxyType(
    {
        "What's the LLaMA Serving Story?": "whats-the-llama-serving-story",
        "Thinking about throughput": "thinking-about-throughput",
        "What about prefill?": "what-about-prefill",
        "Visualizing the Latency Throughput Tradeoff": "visualizing-the-latency-throughput-tradeoff",
        "Worked Problems": "worked-problems",
    }
)
_STORY, _THROUGHPUT, _PREFILL, _VISUAL, _WORKED = ORIGINAL_HEADINGS.values()

# (page source under docs/, heading id on this site) -> anchor on the original page ("" = its top).
SECTIONS: MappingProxyType[tuple[str, str], str] = MappingProxyType(
    {
        ("chapter/basics.md", "applied-inference"): "",
        ("chapter/basics.md", "intro"): "",
        ("chapter/basics.md", "llama-serving-basics"): _STORY,
        ("chapter/basics.md", "model-config"): _STORY,
        ("chapter/basics.md", "hardware"): _STORY,
        ("chapter/basics.md", "q1-kv-cache-size"): _STORY,
        ("chapter/basics.md", "q2-min-chips"): _STORY,
        ("chapter/basics.md", "q3-latency-throughput"): _STORY,
        ("chapter/throughput.md", "throughput"): _THROUGHPUT,
        ("chapter/throughput.md", "q4-critical-batch"): _THROUGHPUT,
        ("chapter/throughput.md", "q5-min-topology"): _THROUGHPUT,
        ("chapter/throughput.md", "q6-latency-at-max-batch"): _THROUGHPUT,
        ("chapter/throughput.md", "q7-throughput-per-chip"): _THROUGHPUT,
        ("chapter/throughput.md", "q8-double-topology"): _THROUGHPUT,
        ("chapter/throughput.md", "q9-sharding"): _THROUGHPUT,
        ("chapter/prefill.md", "prefill"): _PREFILL,
        ("chapter/prefill.md", "q10-prefill-latency"): _PREFILL,
        ("chapter/prefill.md", "q11-eviction-rate"): _PREFILL,
        ("chapter/prefill.md", "q12-prefill-generate-ratio"): _PREFILL,
        ("chapter/visualize.md", "latency-vs-throughput"): _VISUAL,
        ("chapter/visualize.md", "latency-breakdown"): _VISUAL,
        ("chapter/exercises.md", "exercises"): _WORKED,
        ("chapter/exercises.md", "ex1"): _WORKED,
        ("chapter/exercises.md", "ex2"): _WORKED,
        ("chapter/exercises.md", "ex3"): _WORKED,
    }
)


def slug(title: str) -> str:
    """The id kramdown's GFM parser gives a heading: lowercase, punctuation dropped, spaces to dashes.

    >>> slug("Appendix A: How does flash attention work?")
    'appendix-a-how-does-flash-attention-work'
    """
    text = re.sub(r"[^\w\- \t]", "", title.lower())
    return re.sub(r"[ \t]", "-", text)


def original_url(page: str, heading_id: str) -> str | None:
    """The address of the original's section for a heading of this site, or None.

    >>> original_url("chapter/throughput.md", "q4-critical-batch")
    'https://jax-ml.github.io/scaling-book/applied-inference/#thinking-about-throughput'
    >>> original_url("chapter/visualize.md", "weight-dtype") is None  # the site's own section
    True
    """
    anchor = SECTIONS.get((page, heading_id))
    if anchor is None:
        return None
    return f"{ORIGINAL_URL}#{anchor}" if anchor else ORIGINAL_URL


def headings_of(page: str) -> list[str]:
    """The heading ids of ``page`` that link to the original, in the mapping's order."""
    return [heading for (p, heading) in SECTIONS if p == page]
