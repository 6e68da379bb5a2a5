# Production image for trialsite: Django served by gunicorn; the same image runs
# the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Install the runtime dependencies first (cached until pyproject.toml changes).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Install the project itself (no dev extra).
COPY . .
RUN pip install --no-deps .

# Collect static files at build time. The values below exist only so the
# production settings load; the real ones are supplied at run time.
RUN DJANGO_SETTINGS_MODULE=trialsite.settings.production \
    SECRET_KEY=build-only-placeholder-used-to-collect-static-files-never-at-run-time \
    AUDIT_CHAIN_KEY=build:build-only-placeholder-never-used-at-run-time \
    EXPORT_PSEUDONYM_KEY=build-only-placeholder-never-used-at-run-time \
    EXPORT_SIGNING_KEY=YnVpbGQtb25seS1wbGFjZWhvbGRlci1uZXZlci11c2U= \
    ALLOWED_HOSTS=localhost \
    DEBUG=false \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home trialsite \
    && mkdir -p /app/var/anchors \
    && chown -R trialsite:trialsite /app/var

USER trialsite

ENV DJANGO_SETTINGS_MODULE=trialsite.settings.production

EXPOSE 8000

CMD ["gunicorn", "trialsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
