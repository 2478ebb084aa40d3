"""Writes of the rules app: rules (``rules.services.rules``), their evaluation (``evaluate``), backtests
(``backtest``), Prometheus rule files (``files``) and log line rules matched at ingest (``immediate``)."""
