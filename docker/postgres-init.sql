-- Databases for Airflow's metadata, Sluice's metadata and the warehouse.
CREATE USER airflow WITH PASSWORD 'airflow';
CREATE DATABASE airflow OWNER airflow;
CREATE USER sluice WITH PASSWORD 'sluice';
CREATE DATABASE sluice OWNER sluice;
CREATE DATABASE warehouse OWNER sluice;
