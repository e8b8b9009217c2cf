FROM python:3.11-slim
WORKDIR /app
# The CPU build of torch: the default wheel on PyPI pulls several GB of CUDA libraries.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY backend backend
COPY model model
COPY strategies strategies
RUN pip install --no-cache-dir '.[server]'
ENV MODEL_DIR=/data/models HF_HUB_OFFLINE=1
EXPOSE 9090
CMD ["lsal", "serve"]
