"""Transformer shapes: LLaMA 3 presets and a loader for Hugging Face ``config.json``.

>>> m = get_model("llama3-70b")
>>> m.L, m.D, m.F, m.N, m.K, m.H, m.V
(80, 8192, 28672, 64, 8, 128, 128256)
>>> m.exact_param_count
70553706496
>>> m.param_count  # the chapter's nominal count, used for memory and FLOPs
70000000000.0
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from servingmath.errors import InvalidInputError, check_count, unknown


@dataclass(frozen=True)
class Model:
    """A dense decoder-only transformer with grouped-query attention."""

    key: str
    name: str
    L: int  # layers
    D: int  # model (hidden) dimension
    F: int  # feed-forward dimension
    N: int  # query heads
    K: int  # key/value heads
    H: int  # head dimension
    V: int  # vocabulary size
    tied_embeddings: bool = False
    nominal_params: float | None = None  # the round count the literature uses, if any
    source: str = ""

    @property
    def exact_param_count(self) -> int:
        """Parameters computed from the shapes: attention, gated MLP, norms, embeddings.

        >>> get_model("llama3-8b").exact_param_count
        8030261248
        """
        attn = self.D * self.N * self.H * 2 + self.D * self.K * self.H * 2
        mlp = 3 * self.D * self.F
        per_layer = attn + mlp + 2 * self.D
        embeddings = self.V * self.D * (1 if self.tied_embeddings else 2)
        return self.L * per_layer + embeddings + self.D

    @property
    def param_count(self) -> float:
        """The count used for memory and FLOPs: the nominal one if set, else the exact one."""
        return self.nominal_params if self.nominal_params is not None else self.exact_param_count

    @property
    def kv_elements_per_token(self) -> int:
        """K and V entries cached per token across all layers: ``2 K H L``.

        >>> get_model("llama3-70b").kv_elements_per_token
        163840
        """
        return 2 * self.K * self.H * self.L


_META_70B = "https://huggingface.co/meta-llama/Meta-Llama-3-70B/blob/main/config.json"
LLAMA3_8B = Model(
    "llama3-8b", "LLaMA 3-8B", L=32, D=4096, F=14336, N=32, K=8, H=128, V=128256,
    nominal_params=8e9,
    source="https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json",
)  # fmt: skip
LLAMA3_70B = Model(
    "llama3-70b", "LLaMA 3-70B", L=80, D=8192, F=28672, N=64, K=8, H=128, V=128256,
    nominal_params=70e9,  # the chapter's `param_count = 70e9`
    source=_META_70B,
)  # fmt: skip
LLAMA3_405B = Model(
    "llama3-405b", "LLaMA 3-405B", L=126, D=16384, F=53248, N=128, K=8, H=128, V=128256,
    nominal_params=405e9,
    source="https://huggingface.co/meta-llama/Llama-3.1-405B/blob/main/config.json",
)  # fmt: skip
LLAMA2_70B = Model(
    "llama2-70b", "Llama 2 70B", L=80, D=8192, F=28672, N=64, K=8, H=128, V=32000,
    nominal_params=70e9,  # MLPerf Inference's llama2-70b benchmark model
    source="https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json",
)  # fmt: skip

MODELS: dict[str, Model] = {m.key: m for m in (LLAMA3_8B, LLAMA3_70B, LLAMA3_405B, LLAMA2_70B)}


def _int_field(config: dict[str, object], key: str, default: object = None) -> int:
    value = config.get(key, default)
    if value is None:
        raise InvalidInputError(key, f"config.json is missing {key!r}")
    return check_count(key, value, maximum=10**7)


def from_hf_config(path: str | Path) -> Model:
    """Read a Hugging Face ``config.json`` (LLaMA-style keys) into a :class:`Model`.

    >>> import json, tempfile, pathlib
    >>> cfg = {"num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 14336,
    ...        "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "config.json"
    >>> _ = p.write_text(json.dumps(cfg))
    >>> from_hf_config(p).exact_param_count == LLAMA3_8B.exact_param_count
    True
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, ValueError) as e:  # ValueError: not UTF-8, or a NUL byte in the path
        raise InvalidInputError("model", f"model config {str(p)!r} cannot be read: {e}") from e
    try:
        config = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:  # RecursionError: absurdly deep nesting
        raise InvalidInputError("model", f"model config {str(p)!r} is not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise InvalidInputError("model", f"model config {str(p)!r} must be a JSON object")
    n = _int_field(config, "num_attention_heads")
    d = _int_field(config, "hidden_size")
    k = _int_field(config, "num_key_value_heads", n)
    if d % n or n % k:
        raise InvalidInputError(
            "num_key_value_heads",
            f"num_key_value_heads must divide num_attention_heads ({n}) and "
            f"num_attention_heads must divide hidden_size ({d})",
        )
    tied = config.get("tie_word_embeddings", False)
    return Model(
        key=p.stem if p.stem != "config" else p.parent.name or "config",
        name=str(config.get("_name_or_path") or p.parent.name or p.stem),
        L=_int_field(config, "num_hidden_layers"),
        D=d,
        F=_int_field(config, "intermediate_size"),
        N=n,
        K=k,
        H=_int_field(config, "head_dim", d // n),
        V=_int_field(config, "vocab_size"),
        tied_embeddings=bool(tied),
        source=str(p),
    )


def _is_file(name: str | Path) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # e.g. a name too long to be a path (ENAMETOOLONG)
        return False


def get_model(name: str | Path | Model) -> Model:
    """A preset by key (``llama3-8b``, ``llama3-70b``, ``llama3-405b``, ``llama2-70b``)
    or a path to a ``config.json``.

    >>> get_model("gpt-5")
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown model 'gpt-5'; choose one of: llama3-8b, ...
    >>> get_model("x" * 300)
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown model 'xxx...
    """
    if isinstance(name, Model):
        return name
    key = str(name).lower()
    if key in MODELS:
        return MODELS[key]
    if str(name).endswith(".json") or _is_file(name):
        return from_hf_config(name)
    raise unknown("model", name, [*MODELS, "or a path to a config.json"])
