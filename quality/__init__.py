"""Sluice data quality: the DQDL language and its evaluation engines."""
