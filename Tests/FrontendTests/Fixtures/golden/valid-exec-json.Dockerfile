FROM alpine
RUN ["echo", "unicode \u00e9 \ud83d\ude00 escaped \"quote\" \\ slash\/"]
CMD [ "spaced" , "json" ]
ENTRYPOINT []
RUN ["echo", "hello"]this is invalid JSON so it is shell form
RUN [not json either
SHELL ["cmd", "/S", "/C"]
CMD
