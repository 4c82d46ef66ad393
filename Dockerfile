# The production image (docs/deployment.md): gunicorn serves web and capture; the same image runs migrate, worker
# and beat. Bookworm, not just "slim": its postgresql-client-15 matches the PostgreSQL 15 server, which
# `manage.py backup` / `restore` (pg_dump / pg_restore) need.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# WeasyPrint lays the monthly brief out with Pango; without a CJK font every Chinese character is a box.
# No gettext: the compiled catalogs (.mo) are committed and CI checks they are current.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
# A fixed id, so a bind-mounted folder can be given to it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
# .dockerignore keeps var/ (the demo's database and uploads) and .env out of the image.
COPY . .
# Hashed, compressed static files for whitenoise. DJANGO_ENV=build needs no secret, database or broker.
# The code stays root's and read-only; only the folders the named volumes (media, backups) mount on, and the mail
# folder, belong to app: a new named volume takes its owner from the image.
RUN DJANGO_ENV=build python manage.py collectstatic --noinput \
    && mkdir -p var/media var/backups var/mail \
    && chown app:app var/media var/backups var/mail
USER app

# gunicorn reads its worker count from WEB_CONCURRENCY (docker-compose.yml sets it from .env); more options, such
# as an access log, through GUNICORN_CMD_ARGS. /dev/shm: the workers' heartbeat files must not sit on a slow disk.
ENV WEB_CONCURRENCY=3
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "/app/docker/healthcheck.py"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60", "--worker-tmp-dir", "/dev/shm"]
