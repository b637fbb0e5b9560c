# The service itself as an image, for users who deploy with Compose and have a registry
# (docker-compose.yml). It drives the host's engine through the mounted socket.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY server ./server
COPY scripts ./scripts
COPY test ./test
COPY contracts ./contracts
COPY ui ./ui
# The admin console (/ui) is bundled here, while the build tools (esbuild, preact) are still installed.
RUN npx tsc -p tsconfig.json && npx tsc -p ui/tsconfig.json && node dist/scripts/build-ui.js && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY contracts ./contracts
COPY skills ./skills
COPY runner-image ./runner-image
ENV NODE_ENV=production
EXPOSE 8080
CMD ["sh", "-c", "node dist/scripts/pack-registry.js && exec node dist/server/src/main.js"]
