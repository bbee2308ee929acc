#!/usr/bin/env docker-build
# Syntax = docker/dockerfile:1.7
#ESCAPE=`
# an ordinary comment ends the directive block
# escape=\
FROM alpine
RUN echo continued `
    with backtick
