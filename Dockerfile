# medsos image: Airflow 3.3.2 on Python 3.11 with medsos installed from uv.lock.
# Dependencies are baked in at build time (never _PIP_ADDITIONAL_REQUIREMENTS).
FROM apache/airflow:3.3.2-python3.11

USER root
COPY --chown=airflow:0 pyproject.toml uv.lock README.md /opt/medsos/
COPY --chown=airflow:0 plugins /opt/medsos/plugins
COPY --chown=airflow:0 dags /opt/medsos/dags
COPY --chown=airflow:0 sql /opt/medsos/sql
COPY --chown=airflow:0 expectations /opt/medsos/expectations
USER airflow

# Install exactly the locked versions into the image's Python, keeping Airflow as shipped;
# the deploy group is what docker-compose.yaml runs on (Celery provider, Redis, PostgreSQL).
RUN pip install --no-cache-dir "uv==0.13.8" \
 && cd /opt/medsos \
 && uv export --frozen --no-dev --group deploy --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && uv pip install --system --no-cache --compile-bytecode -r /tmp/requirements.txt \
 && uv pip install --system --no-cache --compile-bytecode --no-deps -e /opt/medsos \
 && rm /tmp/requirements.txt

ENV MEDSOS_PROJECT_DIR=/opt/medsos \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/medsos/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/medsos/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    GX_ANALYTICS_ENABLED=false
