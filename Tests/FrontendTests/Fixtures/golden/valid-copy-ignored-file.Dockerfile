FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
COPY .env /app/.env
ADD secrets/api-key.txt /run/
COPY src/ ./src/
COPY node_modules/.bin/tool /usr/local/bin/
COPY --from=python:3.12 /usr/local/lib/python3.12/.env /tmp/not-from-context
ADD https://example.com/.env /tmp/remote
COPY . .
