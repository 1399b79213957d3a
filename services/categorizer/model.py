"""The shipped topic model: one linear layer + softmax, run in pure numpy.

Training (train.py) adds a logistic regression and a complement naive Bayes into this
one weight matrix. Why linear: the service must categorize thousands of articles per
second per core with no ML framework at run time, and with a few thousand labelled news
texts a well-regularised linear model over word features is as good as anything light.

File format (`data/categorizer-model.npz.gz`): an uncompressed .npz, gzipped as a whole
(the package ships `*.gz` data files). Arrays:
  vocab         uint8   feature strings, UTF-8, "\\n"-joined
  weights       float16 (n_features, n_classes)
  bias          float32 (n_classes,)
  idf           float16 (n_features,) document-frequency weights (also used by keywords)
  classes       uint8   IPTC codes, "\\n"-joined
  common_words  uint8   words usually written in lower case, "\\n"-joined (entities)
  meta          uint8   JSON: format version, temperature, recipe, training figures
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .exceptions import ModelFormatError, ModelNotFound
from .featureindex import DocFeatures
from .features import Lookup, lookup, weigh, weigh_known

FORMAT_VERSION = 1
DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "categorizer-model.npz.gz"


def _join(items: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


def _split(arr: np.ndarray) -> list[str]:
    s = arr.tobytes().decode("utf-8")
    return s.split("\n") if s else []


@dataclass
class TopicModel:
    vocab: dict[str, int]
    weights: np.ndarray  # float32 (V, C)
    bias: np.ndarray  # float32 (C,)
    idf: np.ndarray  # float32 (V,)
    classes: list[str]
    temperature: float = 1.0
    common_words: frozenset[str] = frozenset()
    meta: dict = field(default_factory=dict)

    def decision(self, feats: Mapping[str, int] | Lookup | DocFeatures) -> np.ndarray:
        """Raw class scores (logits) for one document's feature counts (or their
        `features.lookup` in this model's vocabulary, or its `featureindex.DocFeatures`,
        to share them with keywords)."""
        if isinstance(feats, DocFeatures):
            idx, val = weigh_known(feats.index, feats.counts, self.idf)
        else:
            lk = feats if isinstance(feats, Lookup) else lookup(feats, self.vocab)
            idx, val = weigh(lk, self.idf)
        if idx.size == 0:
            return self.bias.copy()
        return val @ self.weights[idx] + self.bias

    def predict_proba(self, feats: Mapping[str, int] | Lookup | DocFeatures) -> np.ndarray:
        """Calibrated class probabilities (temperature-scaled softmax)."""
        z = self.decision(feats) / self.temperature
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    # -- persistence -------------------------------------------------------------
    def save(self, path: Path) -> int:
        """Write the model; returns the file size in bytes."""
        inv = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {**self.meta, "format_version": FORMAT_VERSION, "temperature": self.temperature}
        buf = io.BytesIO()
        np.savez(
            buf,
            vocab=_join(inv),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            idf=self.idf.astype(np.float16),
            classes=_join(self.classes),
            common_words=_join(sorted(self.common_words)),
            meta=_join([json.dumps(meta, sort_keys=True)]),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0: the same model gives the same bytes (reproducible artifact).
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
            f.write(buf.getvalue())
        return path.stat().st_size

    @classmethod
    def load(cls, path: Path | None = None) -> TopicModel:
        path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        if not path.is_file():
            raise ModelNotFound(
                f"categorizer model not found at {path}; build it with `newsflow train categorizer`"
            )
        try:
            data = np.load(io.BytesIO(gzip.decompress(path.read_bytes())))
            meta = json.loads(data["meta"].tobytes().decode("utf-8"))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ModelFormatError(
                    f"{path}: model format {meta.get('format_version')}, expected {FORMAT_VERSION}"
                )
            words = _split(data["vocab"])
            weights = data["weights"].astype(np.float32)
            model = cls(
                vocab={w: i for i, w in enumerate(words)},
                weights=weights,
                bias=data["bias"].astype(np.float32),
                idf=data["idf"].astype(np.float32),
                classes=_split(data["classes"]),
                temperature=float(meta["temperature"]),
                common_words=frozenset(_split(data["common_words"])),
                meta=meta,
            )
        except ModelFormatError:
            raise
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as e:
            raise ModelFormatError(f"{path}: not a categorizer model ({e})") from e
        if weights.shape != (len(words), len(model.classes)):
            raise ModelFormatError(f"{path}: weight matrix shape {weights.shape} mismatch")
        return model
