# batch-score in a container: `serve` (issue 14, deploy/deployment.yaml) by default, or a scoring run (the shards
# of deploy/k8s/job.yaml give their own args). Not built on the development machines (no container runtime
# there); see the README's "Serving" and "Scaling out". The model is added by a derived image or a volume at /models.
#
#   docker build -t batch-score .
#   docker run --rm -p 8080:8080 -v "$PWD/fixtures/models:/models:ro" batch-score serve -m /models/linear.onnx --host 0.0.0.0
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -v "$PWD/fixtures/models:/models:ro" \
#     batch-score s3://bucket/in/ -m /models/linear.onnx --shard 0/4 -o s3://bucket/out/part-0.csv

# Build: compile TypeScript, then keep only the production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: onnxruntime-node's install script only fetches CUDA libraries; the CPU runtime is in the package.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npx tsc -p . && npm prune --omit=dev

# Run: the compiled code and production node_modules only, as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY bin ./bin
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/batch-score.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "-m", "/models/model.onnx"]
