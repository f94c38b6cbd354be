# biplane's control plane image: compiled in a build stage, shipped as dist/ plus production dependencies only,
# running as an unprivileged user. `docker build -t biplane:0.1.0 .`
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

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
