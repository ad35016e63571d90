"""The one place that says which digits may be typed by hand in page prose.

Everything else numeric on a page comes from servingmath: ``{{ key }}`` placeholders or
answer blocks executed at build time. Each pattern below names text that contains digits
but is not a quantity: model and chip names, question numbers, chapter references.
"""

from __future__ import annotations

import re

ALLOWED: tuple[tuple[str, str], ...] = (
    # model names
    (r"LLaMA\s\d+B", "LLaMA 70B"),
    (r"LLaMA\s?\d(?:\.\d)?(?:[- ]\d+B)?", "LLaMA 3-70B, LLaMA 3-8B, LLaMA 3-405B, LLaMA 70B"),
    (r"Llama[- ]\d(?:\.\d)?(?:[- ]\d+B)?", "Llama 2 70B, Llama-3-8B (as MLPerf/JetStream write them)"),
    (r"\b(?:8|70|405)B\b", "the LLaMA model sizes as short names (70B, 8B, 405B)"),
    (r"\bllama\d-\d+b(?:-\d+)?\b", "MLPerf benchmark ids (llama2-70b-99)"),
    (r"\bGPT-\d\b", "GPT-4 (the OpenOrca subset MLPerf uses)"),
    # chips and formats
    (r"TPU\s?v\d[ep]?(?:-\d+)?", "TPU v5e, TPU v5p, TPU v6e, TPU v5e-8"),
    (r"\bv\d[ep]\b", "v5e, v5p, v6e"),
    (r"\b[HB]\d{3}\b", "H100, H200, B200"),
    (r"\b(?:bf|fp|int)\d+\b", "bf16, fp8, int8, int4"),
    (r"\bbfloat16\b", "bfloat16"),
    (r"MLPerf Inference v\d\.\d", "MLPerf Inference v4.1 (a benchmark release name)"),
    (r"\bHBM\d?e?\b", "HBM, HBM2e, HBM3"),
    (r"NVLink\s?\d?", "NVLink 5"),
    # structure of the text
    (r"问题\s?\d+", "question numbers"),
    (r"练习\s?\d+", "exercise numbers"),
    (r"第\s?\d+\s?(?:章|部分|节)", "chapter references"),
    (r"\bPart\s\d+\b", "chapter references in English"),
    (r"^\s*\d+\.\s", "ordered-list markers"),
    (r"\b[Dd]ay\s?\d\b", "none used; kept for completeness"),
    # citation metadata
    (r"\b(?:19|20)\d{2}\b(?=\s*年)", "years in citations (2025 年)"),
    (r"arXiv:\d{4}\.\d{4,5}", "arXiv ids"),
    (r"\bv\d+\.\d+(?:\.\d+)?\b", "software versions (mkdocs-jupyter v0.26)"),
    (r"\bPython\s3(?:\.\d+)?\b", "Python 3.11"),
    (r"\bHTTP/\d", "protocol names"),
    (r"\b127\.0\.0\.1(?::\d+)?", "the local preview address"),
    (r"\b[A-Za-z_]+\d+[A-Za-z_]*\b", "identifiers containing digits (jieba, utf8, h1…)"),
)

# Inside formulas the structural constants 1 and 2 may be written out (2NP FLOPs for N
# parameters, 1 + P/G, G/2); every other number in a formula comes from a placeholder.
MATH_CONSTANT_RE = re.compile(r"(?<![\d.,])[12](?![\d.,])")

ALLOWED_RE = re.compile("|".join(f"(?:{p})" for p, _ in ALLOWED), re.M)
