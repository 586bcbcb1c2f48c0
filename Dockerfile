# syntax=docker/dockerfile:1
#
#   docker build -t oauthspec .
#   docker run --rm --init --network host --user "$(id -u):$(id -g)" -v "$PWD:/work" \
#     oauthspec check --target profile.toml
#
# The binary embeds features/ (build.rs) and examples/targets/reference.toml, so the whole
# workspace (., reference-server, load) is copied; .dockerignore keeps target/ and reports/ out.
# BuildKit cache mounts keep the crate registry and target/ between builds.

FROM rust:1-slim-trixie AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin oauthspec \
 && install -D -m 0755 target/release/oauthspec /out/oauthspec

FROM debian:trixie-slim
# chromium-headless-shell: for the browser login strategy and [relying_party.browser]; it puts
# /usr/bin/chromium-headless-shell on the PATH, the first name oauthspec looks for.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates chromium-headless-shell \
 && rm -rf /var/lib/apt/lists/* \
 && command -v chromium-headless-shell
# A non-root user. Its home is writable by any uid, so `docker run --user "$(id -u):$(id -g)"`
# (reports owned by you on a bind mount) still gives Chromium a HOME it can write.
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/oauthspec \
      --shell /usr/sbin/nologin oauthspec \
 && chmod 1777 /home/oauthspec \
 && mkdir /work \
 && chown oauthspec:oauthspec /work
COPY --from=build /out/oauthspec /usr/local/bin/oauthspec
ENV HOME=/home/oauthspec
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["oauthspec"]
CMD ["check"]
