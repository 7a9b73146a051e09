# defender-graph: the CLI, the service and the web UI in one image.
#   docker build -t defender-graph .
#   docker run --rm -v defender-graph-data:/data defender-graph            # the demo
#   docker run --rm -v defender-graph-data:/data -v "$PWD/defender-graph.yaml:/config/defender-graph.yaml:ro" \
#     -e CONTOSO_CLIENT_SECRET defender-graph sync --config /config/defender-graph.yaml

FROM node:20-bookworm-slim AS build
# A compiler for better-sqlite3 when no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  DEFENDER_GRAPH_DB=sqlite:/data/defender-graph.db
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/rules ./rules
COPY --from=build /src/web/dist ./web/dist
RUN mkdir /data && chown node:node /data
# The image's own "node" user (uid 1000): the process never runs as root.
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["demo", "--data-dir", "/data/demo"]
