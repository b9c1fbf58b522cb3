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
# Without arguments the image is a drop-in for the Step Functions Local container: the Step
# Functions API on its port, reading its variables (SFN_MOCK_CONFIG, AWS_DEFAULT_REGION,
# AWS_ACCOUNT_ID, LAMBDA_ENDPOINT, ..., WAIT_TIME_SCALE). Inside a container the server must
# listen on every address to be reached. Any other command replaces this one
# (`docker run IMAGE test`, `docker run IMAGE run def.json`).
EXPOSE 8083
ENTRYPOINT ["/usr/local/bin/asl"]
CMD ["serve", "--host", "0.0.0.0"]
