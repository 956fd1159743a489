# syntax=docker/dockerfile:1
# The collab pod and the simulator (same image; the simulator is dist/sim/main.js).
# Build context: the repository root (see docker-compose.yml).
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

# --- every package.json + the lock (layer changes only when manifests change) ---
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | xargs -I{} cp --parents {} /manifests/

# --- dependencies (with dev tools for tsc; native modules build here) ---
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund --include-workspace-root -w packages/protocol -w packages/monitor -w collab-server

# --- build protocol + server ---
FROM deps AS build
COPY tsconfig.base.json ./
COPY packages/protocol packages/protocol
COPY packages/monitor packages/monitor
COPY collab-server collab-server
RUN npm run build -w @collabblocks/protocol && npm run build -w @collabblocks/monitor && npm run build -w collab-server

# --- production node_modules only ---
FROM deps AS prod-deps
RUN npm ci --no-audit --no-fund --omit=dev -w packages/protocol -w packages/monitor -w collab-server \
  && mkdir -p collab-server/node_modules packages/protocol/node_modules packages/monitor/node_modules

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /src/node_modules node_modules
COPY --from=prod-deps /src/collab-server/node_modules collab-server/node_modules
COPY --from=prod-deps /src/packages/protocol/node_modules packages/protocol/node_modules
COPY package.json ./
COPY packages/protocol/package.json packages/protocol/
COPY --from=build /src/packages/protocol/dist packages/protocol/dist
COPY --from=prod-deps /src/packages/monitor/node_modules packages/monitor/node_modules
COPY packages/monitor/package.json packages/monitor/
COPY --from=build /src/packages/monitor/dist packages/monitor/dist
COPY collab-server/package.json collab-server/
COPY --from=build /src/collab-server/dist collab-server/dist
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /app/collab-server
ENV HOST=0.0.0.0 PORT=1234 COLLAB_DATA_DIR=/data
EXPOSE 1234
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||1234)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
