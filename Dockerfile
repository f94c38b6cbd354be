# biplane's control plane image: compiled in a build stage, shipped as dist/ plus production dependencies only,
# running as an unprivileged user. `docker build -t biplane:0.1.0 .`
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

# The sidecar image `biplane inject` refers to (`docker build --target proxy -t biplane-proxy:0.1.0 .`): biplane,
# Envoy, and iptables / nftables / iproute2 for `biplane capture`. No USER: the capture init container runs as root,
# the injected sidecar sets runAsUser 1337 itself.
FROM envoyproxy/envoy:v1.40.0 AS envoy

FROM node:20-bookworm-slim AS proxy
RUN apt-get update && apt-get install -y --no-install-recommends iptables nftables iproute2 \
  && rm -rf /var/lib/apt/lists/*
COPY --from=envoy /usr/local/bin/envoy /usr/local/bin/envoy
WORKDIR /app
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY bin ./bin
RUN ln -s /app/bin/biplane.js /usr/local/bin/biplane

# The control plane (the default target): dist/ and production dependencies only, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY bin ./bin
USER 10001:10001
EXPOSE 15010 15014
ENTRYPOINT ["node", "/app/bin/biplane.js"]
CMD ["serve", "--in-cluster"]
