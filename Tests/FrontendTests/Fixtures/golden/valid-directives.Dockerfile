#!/usr/bin/env docker-build
# Syntax = example/frontend:1
#ESCAPE=`
# an ordinary comment ends the directive block
# escape=\
FROM alpine
RUN echo continued `
    with backtick
