# One image for every ArcadiaCloud process; the command picks the service:
#   arcadia serve inventory | arcadia serve gateway | arcadia sandbox serve
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY . .
RUN uv sync --locked --no-dev
RUN useradd --system arcadia
USER arcadia
EXPOSE 8000
ENTRYPOINT ["arcadia"]
