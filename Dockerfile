# openrec: one image for web, worker, beat and migrations.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN groupadd --system openrec && useradd --system --gid openrec --home /app openrec

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY worker ./worker
RUN pip install .

COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN mkdir -p /app/data && chown openrec:openrec /app/data

USER openrec
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"

# Migrate, then serve. In compose the `migrate` service runs first and web skips it.
CMD ["sh", "-c", "openrec migrate && exec openrec serve --no-migrate --host 0.0.0.0 --port 8000"]
