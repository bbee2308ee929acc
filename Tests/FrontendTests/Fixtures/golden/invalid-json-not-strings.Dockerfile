FROM alpine
CMD ["echo", 1, true]
