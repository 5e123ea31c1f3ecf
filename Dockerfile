# The RAX processes and CLI, for docker-compose.yml. The broker comes from the apache/kafka image.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY streams streams
COPY connectors connectors
COPY ops ops
RUN pip install --no-cache-dir .
ENTRYPOINT []
CMD ["rax", "--help"]
