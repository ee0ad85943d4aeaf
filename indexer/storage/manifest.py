"""The manifest: what an index generation holds and which model made it."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.storage.layout import MANIFEST_FILE, write_json_atomic

FORMAT_VERSION = 1


class ModelMismatchError(RuntimeError):
    pass


@dataclass
class Manifest:
    model: dict                      # fingerprint: name, weights_sha256, dim
    dim: int
    count: int
    corpus_hash: str                 # hash over (arxiv_id, content_hash) of every indexed paper
    created_at: str
    fields: list[str]
    weights: dict[str, float]        # field -> weight in the combined index vector
    max_seq_length: int
    corpus: str = ""
    format: int = FORMAT_VERSION
    extra: dict = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)  # every file of the generation -> its size in bytes

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self))

    @property
    def pending(self) -> list[str]:
        """What a partial generation (a quick first pass: `papersearch index --quick`) still lacks; empty when
        the generation is complete."""
        return list((self.extra.get("partial") or {}).get("pending", []))

    def record_files(self, directory: Path) -> None:
        """Sizes of the generation's files as written, so a truncated or deleted one is named on load."""
        self.files = {p.name: p.stat().st_size for p in sorted(Path(directory).iterdir())
                      if p.is_file() and p.name != MANIFEST_FILE
                      and not p.name.endswith(("-wal", "-shm", ".tmp"))}

    def file_problems(self, directory: Path) -> list[str]:
        """Missing files, and files whose size changed (the SQLite store only has to exist: SQLite may grow it)."""
        out = []
        for name, size in self.files.items():
            p = Path(directory) / name
            if not p.is_file():
                out.append(f"{name} is missing")
            elif name.endswith(".sqlite"):
                continue
            elif p.stat().st_size != size:
                out.append(f"{name} has {p.stat().st_size} bytes, the manifest says {size}")
        return out

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**data)

    def check_model(self, name: str, fingerprint: dict | None = None) -> None:
        """Refuse to mix vectors from two models; say how to get out of it."""
        built = self.model.get("name")
        problem = None
        if built != name:
            problem = f"the index was built with model {built!r} but settings ask for {name!r}"
        elif fingerprint and fingerprint.get("weights_sha256") != self.model.get("weights_sha256"):
            problem = f"model {name!r} has different weights than the ones the index was built with"
        if problem:
            raise ModelMismatchError(
                f"{problem}. Rebuild with `papersearch index --rebuild` "
                f"(or set PAPERSEARCH_MODEL={built!r} to use the existing index)."
            )


def corpus_hash(pairs: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for arxiv_id, content in sorted(pairs):
        h.update(f"{arxiv_id}\t{content}\n".encode())
    return h.hexdigest()[:32]
