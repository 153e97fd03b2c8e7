# The one orderflow app image: the five services and the topic and schema jobs.
# docker-compose.yml picks what each container runs; run alone, the image prints its usage.
# Three stages: `build` compiles once (every dependency), `deps` installs production
# dependencies only, and the final image takes the compiled dist/, those node_modules and the
# contract files the code reads at run time. No TypeScript, no tsx, no dev dependency ships.
# tests/compose/image.unit.test.ts checks this file and what the image would hold.
FROM node:20.19.5-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20.19.5-slim AS deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20.19.5-slim
WORKDIR /app
ENV NODE_ENV=production
# package.json marks the root the code finds schemas/ and avro/ from.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/services ./dist/services
COPY --from=build /app/dist/scripts ./dist/scripts
COPY schemas ./schemas
COPY avro ./avro

# The node image's unprivileged user; the code stays root-owned and read-only to it.
USER node

CMD ["node", "-e", "console.log(['orderflow app image. Run one of:', '  node --max-semi-space-size=4 dist/services/<orders|billing|inventory|shipping|notifications>/src/main.js', '  node dist/scripts/topics.js', '  node dist/scripts/schemas.js register', 'or start everything with: docker compose up --build'].join('\\n'))"]
