# syntax=tonistiigi/dockerfile:runmount20180618
FROM golang:1.11 AS build
RUN --mount=target=. --mount=type=cache,target=/root/.cache go build -o /out/app
