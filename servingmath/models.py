"""Transformer shapes: LLaMA 3 and Mixtral presets and a loader for Hugging Face ``config.json``.

Every model is read under one of two constant sets (the same names as the chips'):

* ``"spec"`` (the default for :func:`get_model`): parameters counted exactly from the shapes;
  a decode step streams every weight except the input embedding table (a lookup of ``B``
  rows, not a read of the table); KV heads are sharded over the tensor-parallel chips and
  replicated when there are more chips than KV heads; ``seq`` is checked against the
  model's context window (``max_position_embeddings``).
* ``"book"`` (the chapter's premises, and the module-level presets such as
  :data:`LLAMA3_70B`, which the book's pages use): the nominal parameter count (70e9) for
  memory, FLOPs and weight traffic, every weight streamed, KV caches spread evenly over
  the chips whatever the head count, and no context-window check (the chapter asks about
  32k-token contexts).

>>> m = get_model("llama3-70b")
>>> m.L, m.D, m.F, m.N, m.K, m.H, m.V, m.constants
(80, 8192, 28672, 64, 8, 128, 128256, 'spec')
>>> m.exact_param_count, m.param_count
(70553706496, 70553706496)
>>> m.streamed_param_count(batch=1)  # the input embedding table is a lookup, not a read
69503033344
>>> LLAMA3_70B.constants, LLAMA3_70B.param_count  # the chapter's nominal count
('book', 70000000000.0)
>>> LLAMA3_70B.streamed_param_count(batch=1)
70000000000.0
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from servingmath.chips import check_constants
from servingmath.errors import InvalidInputError, check_count, unknown
from servingmath.moe import expected_experts_touched


@dataclass(frozen=True)
class Model:
    """A decoder-only transformer with grouped-query attention and a gated (SwiGLU) MLP
    (or a GPT-style one, ``mlp_matrices=2``), dense or with a Mixtral-style mixture of
    experts (``experts`` > 0)."""

    key: str
    name: str
    L: int  # layers
    D: int  # model (hidden) dimension
    F: int  # feed-forward dimension (of each expert, for a mixture of experts)
    N: int  # query heads
    K: int  # key/value heads
    H: int  # head dimension
    V: int  # vocabulary size
    tied_embeddings: bool = False
    nominal_params: float | None = None  # the round count the literature uses, if any
    source: str = ""
    max_positions: int | None = None  # max_position_embeddings: the context window
    experts: int = 0  # num_local_experts (0: a dense MLP)
    experts_per_token: int = 0  # num_experts_per_tok
    constants: str = "spec"  # "book" (the chapter's premises) or "spec"
    mlp_matrices: int = 3  # gate, up, down (SwiGLU); 2 for a GPT-style MLP (up, down)

    # ------------------------------------------------------------------ shapes, exact counts

    @property
    def is_moe(self) -> bool:
        """Whether the MLP is a mixture of experts.

        >>> MIXTRAL_8X7B.is_moe, LLAMA3_8B.is_moe
        (True, False)
        """
        return self.experts > 0

    @property
    def attention_params_per_layer(self) -> int:
        """Q, K, V and O projections of one layer: ``2 D N H + 2 D K H``.

        >>> get_model("llama3-70b").attention_params_per_layer
        150994944
        """
        return self.D * self.N * self.H * 2 + self.D * self.K * self.H * 2

    @property
    def expert_params(self) -> int:
        """One gated MLP (gate, up, down): ``3 D F`` (``2 D F`` for a GPT-style MLP); for a
        mixture of experts, one expert.

        >>> get_model("llama3-8b").expert_params
        176160768
        """
        return self.mlp_matrices * self.D * self.F

    @property
    def router_params_per_layer(self) -> int:
        """The router's ``D x E`` matrix (0 for a dense model).

        >>> MIXTRAL_8X7B.router_params_per_layer
        32768
        """
        return self.D * self.experts

    @property
    def embedding_params(self) -> int:
        """The input embedding table, ``V x D``.

        >>> get_model("llama3-8b").embedding_params
        525336576
        """
        return self.V * self.D

    @property
    def lm_head_params(self) -> int:
        """The output projection (LM head), ``D x V`` (the same table when tied).

        >>> get_model("llama3-8b").lm_head_params
        525336576
        """
        return self.D * self.V

    def _total(self, mlps_per_layer: float) -> float:
        per_layer = (
            self.attention_params_per_layer
            + mlps_per_layer * self.expert_params
            + self.router_params_per_layer
            + 2 * self.D  # two RMSNorm weight vectors
        )
        embeddings = self.embedding_params + (0 if self.tied_embeddings else self.lm_head_params)
        return self.L * per_layer + embeddings + self.D  # + the final norm

    @property
    def exact_param_count(self) -> int:
        """Parameters computed from the shapes: attention, gated MLP (every expert), router,
        norms, embeddings.

        >>> get_model("llama3-8b").exact_param_count
        8030261248
        >>> MIXTRAL_8X7B.exact_param_count
        46702792704
        """
        return int(self._total(self.experts or 1))

    @property
    def active_param_count(self) -> int:
        """Parameters one token uses: only ``experts_per_token`` experts per layer.

        >>> MIXTRAL_8X7B.active_param_count
        12879925248
        >>> get_model("llama3-8b").active_param_count == get_model("llama3-8b").exact_param_count
        True
        """
        return int(self._total(self.experts_per_token or 1))

    # ------------------------------------------------------------------ counts the formulas use

    @property
    def book(self) -> bool:
        """Whether this model is read under the chapter's premises (``constants == "book"``).

        >>> LLAMA3_70B.book, get_model("llama3-70b").book
        (True, False)
        """
        return self.constants == "book"

    @property
    def param_count(self) -> float:
        """Parameters held in memory: the nominal count under ``book`` (if the model has one),
        else the exact count of every weight (all experts included).

        >>> LLAMA3_8B.param_count, LLAMA3_8B.with_constants("spec").param_count
        (8000000000.0, 8030261248)
        """
        if self.book and self.nominal_params is not None:
            return self.nominal_params
        return self.exact_param_count

    @property
    def flops_param_count(self) -> float:
        """Parameters in the matmuls one token goes through (``2 x`` this is the FLOPs per
        token, attention left out): under ``spec`` the active parameters without the input
        embedding (a lookup, no FLOPs); under ``book`` :attr:`param_count`.

        >>> get_model("llama3-8b").flops_param_count
        7504924672
        >>> LLAMA3_8B.flops_param_count
        8000000000.0
        """
        if self.book and self.nominal_params is not None:
            return self.nominal_params
        if self.book:
            return self.active_param_count
        return self.active_param_count - self._lookup_params

    @property
    def _lookup_params(self) -> int:
        # Untied: the input table is only looked up. Tied: the same table is the LM head,
        # which a decode step reads in full, so nothing is saved.
        return 0 if self.tied_embeddings else self.embedding_params

    def streamed_param_count(self, *, batch: int) -> float:
        """Parameters read from HBM in one decode step of ``batch`` sequences.

        Under ``spec``: every weight except the input embedding table, and for a mixture of
        experts only the experts the batch's tokens are routed to (expected value for
        independent uniform routing, :func:`~servingmath.moe.expected_experts_touched`).
        Under ``book``: :attr:`param_count` (the chapter streams every weight).

        >>> m = get_model("mixtral-8x7b")
        >>> round(m.streamed_param_count(batch=1) / 1e9, 2), round(m.streamed_param_count(batch=64) / 1e9, 2)
        (12.75, 46.57)
        """
        b = check_count("batch", batch, maximum=10**7)
        if self.book and self.nominal_params is not None:
            return self.nominal_params
        if self.is_moe:
            touched = expected_experts_touched(self.experts, self.experts_per_token, batch=b)
            total = self._total(touched)
        else:
            total = self.exact_param_count
        return total - (0 if self.book else self._lookup_params)

    @property
    def kv_elements_per_token(self) -> int:
        """K and V entries cached per token across all layers: ``2 K H L``.

        >>> get_model("llama3-70b").kv_elements_per_token
        163840
        """
        return 2 * self.K * self.H * self.L

    @property
    def checks_context(self) -> bool:
        """Whether ``seq`` is checked against :attr:`max_positions` (``spec`` only).

        >>> LLAMA2_70B.checks_context, get_model("llama2-70b").checks_context
        (False, True)
        """
        return not self.book and self.max_positions is not None

    def check_seq(self, seq: int, *, allow_beyond_context: bool = False) -> int:
        """Return ``seq`` if it fits the context window, else raise naming the limit.

        >>> get_model("llama2-70b").check_seq(8192)
        Traceback (most recent call last):
        ...
        servingmath.errors.InvalidInputError: seq must be <= 4096 (max_position_embeddings of Llama 2 70B)...
        >>> get_model("llama2-70b").check_seq(8192, allow_beyond_context=True)
        8192
        """
        if self.checks_context and not allow_beyond_context and seq > self.max_positions:  # type: ignore[operator]
            raise InvalidInputError(
                "seq",
                f"seq must be <= {self.max_positions} (max_position_embeddings of {self.name}), "
                f"got {seq}; pass allow_beyond_context=True (--allow-beyond-context) to go on anyway",
            )
        return seq

    def with_constants(self, constants: str) -> Model:
        """This model under another constant set.

        >>> LLAMA3_70B.with_constants("spec") == get_model("llama3-70b")
        True
        """
        c = check_constants(constants)
        return self if c == self.constants else replace(self, constants=c)


# The module-level presets are the chapter's models (constants="book"); get_model(key) gives
# them under "spec" unless asked otherwise. max_position_embeddings from each config.json.
_META_70B = "https://huggingface.co/meta-llama/Meta-Llama-3-70B/blob/main/config.json"
LLAMA3_8B = Model(
    "llama3-8b", "LLaMA 3-8B", L=32, D=4096, F=14336, N=32, K=8, H=128, V=128256,
    nominal_params=8e9, max_positions=8192,
    source="https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json",
    constants="book",
)  # fmt: skip
LLAMA3_70B = Model(
    "llama3-70b", "LLaMA 3-70B", L=80, D=8192, F=28672, N=64, K=8, H=128, V=128256,
    nominal_params=70e9,  # the chapter's `param_count = 70e9`
    max_positions=8192, source=_META_70B, constants="book",
)  # fmt: skip
LLAMA3_405B = Model(
    "llama3-405b", "LLaMA 3-405B", L=126, D=16384, F=53248, N=128, K=8, H=128, V=128256,
    nominal_params=405e9, max_positions=131072,
    source="https://huggingface.co/meta-llama/Llama-3.1-405B/blob/main/config.json",
    constants="book",
)  # fmt: skip
LLAMA2_70B = Model(
    "llama2-70b", "Llama 2 70B", L=80, D=8192, F=28672, N=64, K=8, H=128, V=32000,
    nominal_params=70e9,  # MLPerf Inference's llama2-70b benchmark model
    max_positions=4096,
    source="https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json",
    constants="book",
)  # fmt: skip
# Mixtral 8x7B: 8 experts of F = 14336, 2 per token (num_local_experts, num_experts_per_tok),
# 32k positions, untied embeddings; no nominal count (the "46.7B" is the exact one).
MIXTRAL_8X7B = Model(
    "mixtral-8x7b", "Mixtral 8x7B", L=32, D=4096, F=14336, N=32, K=8, H=128, V=32000,
    max_positions=32768, experts=8, experts_per_token=2,
    source="https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json",
    constants="book",
)  # fmt: skip

MODELS: dict[str, Model] = {m.key: m for m in (LLAMA3_8B, LLAMA3_70B, LLAMA3_405B, LLAMA2_70B, MIXTRAL_8X7B)}

# config.json fields of MoE / attention variants servingmath does not model. Reading such a
# config as a LLaMA-style model would silently give wrong numbers, so it is refused.
_REFUSED_FIELDS = {
    "n_routed_experts": "DeepSeek-style routed experts",
    "n_shared_experts": "DeepSeek-style shared experts",
    "moe_intermediate_size": "a separate expert width (DeepSeek / Qwen MoE)",
    "first_k_dense_replace": "DeepSeek-style dense first layers",
    "kv_lora_rank": "multi-head latent attention (DeepSeek-V2/V3), whose KV cache is compressed",
    "q_lora_rank": "multi-head latent attention (DeepSeek-V2/V3)",
    "num_experts": "Qwen-MoE-style experts",
    "shared_expert_intermediate_size": "Qwen-MoE-style shared experts",
}


def _int_field(config: dict[str, object], key: str, default: object = None, maximum: int = 10**7) -> int:
    value = config.get(key, default)
    if value is None:
        raise InvalidInputError(key, f"config.json is missing {key!r}")
    return check_count(key, value, maximum=maximum)


def _moe_fields(config: dict[str, object]) -> tuple[int, int]:
    for field, what in _REFUSED_FIELDS.items():
        if config.get(field) not in (None, 0):
            raise InvalidInputError(
                field,
                f"config.json field {field!r} ({what}) is not supported; servingmath reads dense "
                "LLaMA-style models and Mixtral-style num_local_experts / num_experts_per_tok",
            )
    if config.get("num_local_experts") in (None, 0, 1):
        return 0, 0
    e = _int_field(config, "num_local_experts")
    k = _int_field(config, "num_experts_per_tok")
    if k > e:
        raise InvalidInputError(
            "num_experts_per_tok", f"num_experts_per_tok must be in [1, {e}] (num_local_experts), got {k}"
        )
    return e, k


def from_hf_config(path: str | Path) -> Model:
    """Read a Hugging Face ``config.json`` (LLaMA- or Mixtral-style keys) into a :class:`Model`
    under the ``spec`` constants (exact counts from the shapes).

    ``max_position_embeddings`` becomes the context window; ``num_local_experts`` and
    ``num_experts_per_tok`` a mixture of experts. DeepSeek- and Qwen-style MoE fields
    (``n_routed_experts``, ``kv_lora_rank``, ``moe_intermediate_size``, ...) are refused with
    an error naming the field.

        >>> import json, tempfile, pathlib
        >>> cfg = {"num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 14336,
        ...        "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "config.json"
        >>> _ = p.write_text(json.dumps(cfg))
        >>> from_hf_config(p).exact_param_count == LLAMA3_8B.exact_param_count
        True
        >>> _ = p.write_text(json.dumps(cfg | {"n_routed_experts": 64}))
        >>> from_hf_config(p)
        Traceback (most recent call last):
        ...
        servingmath.errors.InvalidInputError: config.json field 'n_routed_experts' (DeepSeek-style ...
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
    experts, per_token = _moe_fields(config)
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
        max_positions=(
            None
            if config.get("max_position_embeddings") is None
            else _int_field(config, "max_position_embeddings", maximum=10**9)
        ),
        experts=experts,
        experts_per_token=per_token,
    )


def _is_file(name: str | Path) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # e.g. a name too long to be a path (ENAMETOOLONG)
        return False


def get_model(name: str | Path | Model, constants: str | None = None) -> Model:
    """A preset by key (``llama3-8b``, ``llama3-70b``, ``llama3-405b``, ``llama2-70b``,
    ``mixtral-8x7b``) or a path to a ``config.json``, under ``constants`` (``"spec"`` by
    default for names and paths; a :class:`Model` keeps its own set unless ``constants`` is
    given).

    >>> get_model("llama3-70b").param_count, get_model("llama3-70b", "book").param_count
    (70553706496, 70000000000.0)

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
        return name if constants is None else name.with_constants(constants)
    c = check_constants("spec" if constants is None else constants)
    key = str(name).lower()
    if key in MODELS:
        return MODELS[key].with_constants(c)
    if str(name).endswith(".json") or _is_file(name):
        return from_hf_config(name).with_constants(c)
    raise unknown("model", name, [*MODELS, "or a path to a config.json"])
