# check=experimental=InvalidDefinitionDescription
# NODE_VERSION selects the Node.js release to build with
ARG NODE_VERSION=20
# Pin the base image by digest in production
ARG BASE_DIGEST=

# builder compiles the TypeScript sources
FROM node:${NODE_VERSION}-alpine AS builder
# install dependencies first so the layer caches
COPY package*.json ./
# Runtime image with only the compiled output
FROM node:${NODE_VERSION}-alpine AS runtime
#
# empty comment line above: this one is not a description of PORT
# and neither is this one
ARG PORT=8080
# PORT LOG_LEVEL: HTTP port and log level
ARG PORT=3000 LOG_LEVEL=info
# settings for the app
ARG PORT2=1 LOG_LEVEL2=debug
COPY --from=builder /dist /app
