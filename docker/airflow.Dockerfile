# Airflow 3.3 with Java 17 (for spark-submit in client mode) and Sluice's locked dependencies.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless libpostgresql-jdbc-java \
 && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:root pyproject.toml uv.lock README.md /opt/sluice/
COPY --chown=airflow:root sluice /opt/sluice/sluice
COPY --chown=airflow:root catalog /opt/sluice/catalog
COPY --chown=airflow:root etl /opt/sluice/etl
COPY --chown=airflow:root quality /opt/sluice/quality
RUN pip install --no-cache-dir uv \
 && cd /opt/sluice \
 && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/sluice
