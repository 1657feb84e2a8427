"""The baseline the feed benchmark compares /healthz with: FastAPI with one `def` JSON endpoint.

Served by uvicorn with the settings `openrec serve` uses, so the difference between the
two is what openrec's own code costs.

    .venv/bin/python bench/bare_app.py --port 8001 [--workers 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn
from fastapi import FastAPI

from app.cli import server_options


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/bare")
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bare_app:create_app",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        host=args.host,
        port=args.port,
        **server_options(workers=args.workers, access_log=False),
    )


if __name__ == "__main__":
    main()
