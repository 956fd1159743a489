# syntax=docker/dockerfile:1
# collab-gateway: signed embed URLs in front of Grafana and the Prometheus tenancy proxy.
# Build context: the repository root (see docker-compose.yml).
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | xargs -I{} cp --parents {} /manifests/

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund --include-workspace-root -w packages/protocol -w packages/monitor -w gateway
COPY tsconfig.base.json ./
COPY packages/protocol packages/protocol
COPY packages/monitor packages/monitor
COPY gateway gateway
RUN npm run build -w @collabblocks/protocol && npm run build -w @collabblocks/monitor && npm run build -w gateway \
  && npm ci --no-audit --no-fund --omit=dev -w packages/protocol -w packages/monitor -w gateway \
  && mkdir -p gateway/node_modules packages/protocol/node_modules packages/monitor/node_modules

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/gateway/node_modules gateway/node_modules
COPY --from=build /src/packages/protocol/node_modules packages/protocol/node_modules
COPY package.json ./
COPY packages/protocol/package.json packages/protocol/
COPY --from=build /src/packages/protocol/dist packages/protocol/dist
COPY --from=build /src/packages/monitor/node_modules packages/monitor/node_modules
COPY packages/monitor/package.json packages/monitor/
COPY --from=build /src/packages/monitor/dist packages/monitor/dist
COPY gateway/package.json gateway/
COPY --from=build /src/gateway/dist gateway/dist
COPY provisioning/orgs.json /etc/collab/orgs.json
COPY provisioning/dashboards/org-admin.json /etc/collab/org-admin.json
USER node
WORKDIR /app/gateway
ENV HOST=0.0.0.0 GATEWAY_ORGS_FILE=/etc/collab/orgs.json GATEWAY_ORG_DASHBOARD=/etc/collab/org-admin.json
EXPOSE 3001 9091
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3001/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
