# A copy-pasted build stage: BuildKit builds this (the later "deps" wins for every later
# reference) and only warns DuplicateStageName, which `# check=error=true` would make fatal.
FROM node:20-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20-alpine AS Deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci

FROM deps AS test
RUN npm test

FROM node:20-alpine
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
CMD ["node", "server.js"]
