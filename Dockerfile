# Chimera as a service: `chimera serve` runs the Discord and Slack adapters in one process.
#   docker build -t chimera .
#   docker run --env-file .env -p 8080:8080 -v chimera-data:/data chimera
# Stop it with `docker stop -t 75`: turns being written get up to 60 s to be posted.
# Configuration is the same CHIMERA_* environment as everywhere (see README.md).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY personas ./personas
COPY storage ./storage
RUN python -m venv /venv \
    && /venv/bin/pip install --upgrade "pip>=24" \
    && /venv/bin/pip install -c constraints.txt ".[cluster]"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 chimera \
    && mkdir /data && chown chimera:chimera /data
COPY --from=build /venv /venv
# Slack's events arrive on CHIMERA_HTTP_PORT, so listen on every interface inside the container.
# The price map ships with litellm: importing it must not reach for the network.
ENV PATH=/venv/bin:$PATH \
    CHIMERA_DATA_DIR=/data \
    CHIMERA_HTTP_HOST=0.0.0.0 \
    CHIMERA_HTTP_PORT=8080 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PYTHONUNBUFFERED=1
USER chimera
WORKDIR /home/chimera
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["chimera", "serve"]
