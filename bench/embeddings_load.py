"""Prints how long the local engine's embedding model takes to load and to embed, offline.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/embeddings_load.py

Loading reads the weights and tokenizer installed with the `wordllama` package (no
network, no cache directory); embedding is timed on caption-length sentences.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.llm.local import embeddings


def main() -> int:
    started = time.perf_counter()
    embeddings._model()
    loaded = time.perf_counter() - started
    sentences = [f"sentence {i} of a long podcast about how the brain stores memories overnight" for i in range(20_000)]
    started = time.perf_counter()
    embeddings.embed_collection(sentences)
    embedded = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model loaded in {loaded:.2f} s; 20,000 sentences embedded in {embedded:.2f} s; peak memory {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
