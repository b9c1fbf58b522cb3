# syntax=docker/dockerfile:1
#
# The `asl` image: the static musl binary, built the way scripts/release.sh builds the shipped
# binaries, on a distroless base: CA certificates (for real Lambda and ECS calls), a non-root
# user and nothing else. There is no shell in it, so `--local` commands cannot run inside.
#
#   docker build -t asl .
#   docker run --rm -v "$PWD:/work" asl test                       # the tests under the mount
#   docker run --rm -v "$PWD:/work" asl validate machine.asl.json
#
# Multi-platform (linux/amd64, linux/arm64) with `docker buildx build --platform ...`: on Alpine
# the toolchain's own target is musl, so each platform builds natively (under emulation).

FROM rust:1.95-alpine AS build
# bash runs the release script; musl-dev is the C library headers and start files the C
# code (mimalloc, aws-lc, ring) compiles against.
RUN apk add --no-cache bash musl-dev
WORKDIR /src
COPY . .
RUN cp "$(scripts/release.sh --bin-only)" /asl && /asl --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /asl /usr/local/bin/asl
WORKDIR /work
# `asl serve --host 0.0.0.0` answers the Step Functions API on Step Functions Local's port.
EXPOSE 8083
ENTRYPOINT ["/usr/local/bin/asl"]
CMD ["--help"]
