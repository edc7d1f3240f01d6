# The image examples/uctl-updates.cronjob.yaml runs: this repository's CLI and a uctl binary.
#   docker build -f examples/uctl-runner.Dockerfile --build-arg UCTL_BINARY=path/to/uctl -t grantplane-uctl-runner .
# (UCTL_BINARY: the uctl release for linux/amd64 your Union documentation names, in the build context.)
FROM node:20-bookworm-slim
WORKDIR /grantplane
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG UCTL_BINARY=uctl
COPY ${UCTL_BINARY} /usr/local/bin/uctl
RUN chmod 0755 /usr/local/bin/uctl
USER node
ENTRYPOINT ["node", "bin/grantplane.mjs"]
