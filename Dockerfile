FROM python:3.11-slim
WORKDIR /app
# The CPU build of torch by default: PyPI's wheel pulls several GB of CUDA libraries. A GPU image:
# --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 (docker-compose.yml's gpu-worker).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir torch==2.13.0 --index-url ${TORCH_INDEX}
COPY pyproject.toml README.md ./
COPY backend backend
COPY model model
COPY strategies strategies
COPY simulation simulation
RUN pip install --no-cache-dir '.[server]'
ENV MODEL_DIR=/data/models HF_HUB_OFFLINE=1
EXPOSE 9090
CMD ["lsal", "serve"]
