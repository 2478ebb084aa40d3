"""Services, SLOs, error budgets and burn-rate alerts."""
