# The one orderflow app image: the five services and the topic and schema jobs.
# docker-compose.yml picks what each container runs; run alone, the image prints its usage.
FROM node:20.19.5-slim

WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Dependencies first, so a source change reuses this layer. Dev dependencies stay:
# the services run their TypeScript through tsx.
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force

COPY . .

# The node image's unprivileged user; the code stays root-owned and read-only to it.
USER node

CMD ["node", "-e", "console.log(['orderflow app image. Run one of:', '  node --max-semi-space-size=4 --import tsx services/<orders|billing|inventory|shipping|notifications>/src/main.ts', '  npm run topics:create', '  npm run register-schemas', 'or start everything with: docker compose up --build'].join('\\n'))"]
