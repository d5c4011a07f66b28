"""An AWS-compatible HTTP endpoint for Sluice: SigV4-signed AWS JSON 1.1 requests decoded into service calls."""
