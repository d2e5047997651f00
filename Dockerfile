# syntax=docker/dockerfile:1
# One image for the hub (`watchkeep serve`, the default) and the agent (`watchkeep agent`).
#   docker build -t watchkeep .
#   docker run -p 8080:8080 -v watchkeep-data:/data watchkeep
ARG PYTHON_VERSION=3.12
ARG NODE_VERSION=22

# The UI's front-end packages, pinned by package-lock.json.
FROM node:${NODE_VERSION}-bookworm-slim AS ui
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# The wheels: watchkeep (its build hook copies the UI's files in) and every dependency.
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=ui /src/node_modules ./node_modules
# npm ci's own record of the install, newer than the lock: the build hook takes it as installed.
RUN touch node_modules/.package-lock.json \
    && pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:${PYTHON_VERSION}-slim-bookworm
ARG UID=10001
RUN groupadd --system --gid ${UID} watchkeep \
    && useradd --system --uid ${UID} --gid watchkeep --home-dir /data --shell /usr/sbin/nologin watchkeep \
    && mkdir -p /data \
    && chown watchkeep:watchkeep /data \
    && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels 'watchkeep[postgres]' \
    && rm -rf /wheels
ENV WATCHKEEP_DATA_DIR=/data \
    WATCHKEEP_HOST=0.0.0.0 \
    WATCHKEEP_PORT=8080 \
    PYTHONUNBUFFERED=1
USER watchkeep
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/api/v1/health', timeout=4)"]
ENTRYPOINT ["watchkeep"]
CMD ["serve"]
