# ctjp images. `docker build .` gives the worker (the last stage): one bundled file on
# Node.js 22 LTS, run by tini as the unprivileged `node` user, so that `docker stop`
# (SIGTERM) reaches the worker, which then finishes its uploads and tells the manager.
# `docker build --target manager .` gives the manager (used by docker-compose.yml).

FROM node:22-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:worker && npm run build:ui

FROM node:22-alpine AS manager
RUN apk add --no-cache tini
WORKDIR /app
COPY --from=build --chown=node:node /src /app
ENV CTJP_HOST=0.0.0.0 \
    CTJP_PORT=8080 \
    CTJP_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
ENTRYPOINT ["/sbin/tini", "--", "node", "--import", "tsx", "src/manager-api/main.ts"]

FROM node:22-alpine AS worker
RUN apk add --no-cache tini
WORKDIR /app
COPY --from=build /src/dist/ctjp-worker.mjs /app/ctjp-worker.mjs
# The spool (uploads waiting for the manager) must outlive the container: mount a volume here.
ENV CTJP_SPOOL_DIR=/spool \
    NODE_ENV=production
RUN mkdir -p /spool && chown node:node /spool
VOLUME ["/spool"]
USER node
ENTRYPOINT ["/sbin/tini", "--", "node", "/app/ctjp-worker.mjs"]
