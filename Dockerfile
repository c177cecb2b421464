# Build stage: compile TypeScript (no install scripts needed to type-check and emit).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY proto ./proto
RUN npm run build

# Production dependencies, with the compiler the optional unix-dgram addon (statsd unixgram) needs.
FROM node:24-bookworm-slim AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Runtime stage: production dependencies and the compiled output only, no compiler.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY pipelines ./pipelines
# The config the container runs; mount your own over it.
COPY pipelines/default.yaml /etc/sluice/config.yaml
USER node
EXPOSE 4317 4318 8888 13133
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:13133/health/live').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["run", "--config", "/etc/sluice/config.yaml"]
