"""Operations: health, readiness and Prometheus metrics of the control plane itself."""
