"""The Sluice pages in the Airflow UI: a FastAPI app (JSON API and HTML) mounted under ``/sluice``."""
