# syntax=docker/dockerfile:1
# Grafana 13.2 with our three plugins built from source and our provisioning baked in.
# Build context: the repository root (see docker-compose.yml).
ARG NODE_IMAGE=node:22.21.1-bookworm-slim
ARG GRAFANA_IMAGE=grafana/grafana:13.2.0

# --- every package.json + the lock (layer changes only when manifests change) ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | xargs -I{} cp --parents {} /manifests/

FROM ${NODE_IMAGE} AS plugins
# The datasource's backend executable is built for the image's own architecture only (Node.js single
# executable application + its glibc runtime, fetched from npm and Debian: plugins/collab-datasource/packaging).
ARG TARGETARCH=amd64
ENV COLLAB_SEA_ARCHES=${TARGETARCH}
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund --include-workspace-root \
  -w packages/protocol -w plugins/collab-datasource -w plugins/presence-panel -w plugins/crdt-panel
COPY tsconfig.base.json ./
COPY packages/protocol packages/protocol
COPY plugins plugins
RUN npm run build -w @collabblocks/protocol \
  && npm run build -w plugins/collab-datasource -w plugins/presence-panel -w plugins/crdt-panel

FROM ${GRAFANA_IMAGE}
# Directory names are the plugin ids (unsigned loading is allowed for exactly these ids).
COPY --from=plugins /src/plugins/collab-datasource/dist /var/lib/grafana/plugins/collabblocks-collab-datasource
COPY --from=plugins /src/plugins/presence-panel/dist /var/lib/grafana/plugins/collabblocks-presence-panel
COPY --from=plugins /src/plugins/crdt-panel/dist /var/lib/grafana/plugins/collabblocks-crdt-panel
COPY provisioning/grafana /etc/grafana/provisioning
COPY provisioning/dashboards /var/lib/grafana/dashboards
USER root
RUN mkdir -p /var/lib/grafana/data && chown -R 472:0 /var/lib/grafana/data
USER 472
