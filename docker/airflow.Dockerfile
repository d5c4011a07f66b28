# Airflow 3.3 with Java 17 (for spark-submit in client mode), Sluice's locked dependencies, and the jars pinned
# in jars/pom.xml (S3A, cloud committers, JDBC) for the Spark drivers its tasks start.
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY jars/pom.xml /build/pom.xml
RUN mvn -q -B -f /build/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/jars

FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
COPY --from=jars /jars/ /opt/sluice-jars/
ENV SLUICE_JARS_DIR=/opt/sluice-jars
USER airflow
COPY --chown=airflow:root pyproject.toml uv.lock README.md /opt/sluice/
COPY --chown=airflow:root sluice /opt/sluice/sluice
COPY --chown=airflow:root catalog /opt/sluice/catalog
COPY --chown=airflow:root etl /opt/sluice/etl
COPY --chown=airflow:root quality /opt/sluice/quality
COPY --chown=airflow:root lifecycle /opt/sluice/lifecycle
COPY --chown=airflow:root warehouse /opt/sluice/warehouse
COPY --chown=airflow:root workflow /opt/sluice/workflow
RUN pip install --no-cache-dir uv \
 && cd /opt/sluice \
 && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/sluice
