# Spark master and worker: Apache's Spark 4.3 image plus Sluice's jars on Spark's own class path, and S3A
# pointed at the compose file's SeaweedFS (docker/spark-defaults.conf), so executors read and write s3:// too.
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY jars/pom.xml /build/pom.xml
RUN mvn -q -B -f /build/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/jars

FROM apache/spark:4.3.0-scala2.13-java17-python3-ubuntu
COPY --from=jars /jars/ /opt/spark/jars/
COPY docker/spark-defaults.conf /opt/spark/conf/spark-defaults.conf
