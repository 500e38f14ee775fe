# Production image of Cổng Một Cửa: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/cong-mot-cua
# WeasyPrint needs Pango; psycopg2 builds against libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev libpango-1.0-0 \
      libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install -e .
COPY . .
RUN useradd --system --home /app portal && mkdir -p "$VAR_DIR" && chown portal "$VAR_DIR"
# collectstatic needs a key to import settings; the real one comes from the environment.
RUN SECRET_KEY=build-only-key python manage.py collectstatic --noinput -v 0
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
