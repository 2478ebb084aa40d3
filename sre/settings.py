"""Django settings, read from the environment only (through ``sre.env.Env``).

Embedded defaults (SQLite in ``var/``, Celery on the filesystem transport in ``var/``) let ``make run``
work on a fresh machine; production sets ``SRE_ENV=production`` and the URLs documented in README.md.
"""

from __future__ import annotations

from pathlib import Path

from sre import config, queues
from sre.env import Env, EnvError
from sre.identity.conf import identity_settings, identity_tunables
from sre.observability.logs import LOG_FORMATS, logging_config

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("SRE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

SRE_ENV = env.choice("SRE_ENV", ("development", "production"), "development")
PRODUCTION = SRE_ENV == "production"

SECRET_KEY = config.secret_key(env, production=PRODUCTION, var_dir=VAR_DIR)
# Keys of secrets stored encrypted (sre.crypto): newest first; empty derives one from SECRET_KEY with HKDF.
SRE_ENCRYPTION_KEYS = config.encryption_keys(env)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvError("ALLOWED_HOSTS", "a comma-separated list of host names (required when SRE_ENV=production)")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "sre",
    "sre.audit",
    "telemetry",
    "slo",
    "alerts",
    "incidents",
    "statuspage",
    "drills",
    "oncall",
    "rules",
    "heartbeats",
    "releases",
]

MIDDLEWARE = [
    "sre.observability.middleware.RequestContextMiddleware",  # first: a request id for every line logged after it
    "sre.ops.middleware.RequestMetricsMiddleware",
    "sre.api.middleware.ChunkedBodyMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sre.audit.middleware.AuditContextMiddleware",
    "sre.auth.middleware.AnonymousAccessMiddleware",
    "sre.identity.middleware.IdentityStepMiddleware",
    "sre.pagecache.WriteMarkMiddleware",  # after sessions and auth: a writer skips the short page cache
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the sign-in page with its message
]

ROOT_URLCONF = "sre.urls"
WSGI_APPLICATION = "sre.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sre.context_processors.shell",
            ],
        },
    },
]

DATABASES = {"default": config.database_config(env, var_dir=VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = config.cache_config(env)
# With a shared cache (Redis: every process and node sees one copy) a session is read from it and the database
# only on a miss: one round trip instead of a query on every page. A per-process cache would let one worker keep a
# signed-out session another worker deleted, so the local-memory default reads sessions from the database.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.timezone("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes (served by whitenoise): var/static by default; the container image collects them at build
# time into a folder of the image (SRE_STATIC_ROOT=/app/staticfiles), so a volume on SRE_VAR_DIR does not hide them.
STATIC_ROOT = Path(env.str("SRE_STATIC_ROOT", str(VAR_DIR / "static"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_ROOT = BASE_DIR / "static" / "root"  # /favicon.ico, for clients that ask for it before reading a page

# Uploads: telemetry batches can be large, but not unbounded (413 beyond this).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("SRE_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Health checks come from load balancers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- Identity: lockout (axes), SSO (OIDC_*), MFA, Content-Security-Policy; see sre/identity/conf.py -----------
for _key, _value in identity_settings(env).items():
    globals()[_key] = _value

# --- Email ------------------------------------------------------------------------------------------
for _key, _value in config.email_config(env, var_dir=VAR_DIR).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "sre-control-plane@localhost")

# --- Integrations (off until their URL is set) ------------------------------------------------------
PROMETHEUS_URL = env.url("PROMETHEUS_URL", schemes=("http", "https"))
ELASTICSEARCH_URL = env.url("ELASTICSEARCH_URL", schemes=("http", "https"))

# --- REST framework ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sre.api.authentication.BearerTokenAuthentication",
        "sre.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sre.api.permissions.RoleAndScopePermission"],
    "DEFAULT_PARSER_CLASSES": ["sre.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "sre.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["sre.api.filters.StrictFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["sre.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("SRE_API_RATE", "6000/min", expected="a rate such as 6000/min")},
    "EXCEPTION_HANDLER": "sre.api.exceptions.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SRE control plane API",
    "DESCRIPTION": "Telemetry, SLOs, alerts, incidents, status page and restore drills.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["sre.api.permissions.RoleAndScopePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The one JSON error shape as a component, and each operation's error statuses (sre/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "sre.api.schema.add_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "ActionItemStatusEnum": "incidents.choices.ActionItemStatus",
        "PostmortemStateEnum": "incidents.choices.PostmortemState",
        "AlertGroupStateEnum": "alerts.choices.GroupState",
        "SeverityEnum": "incidents.choices.Severity",
        "IncidentSourceEnum": "incidents.choices.IncidentSource",
        "OncallContactKindEnum": "oncall.choices.ContactKind",
        "OncallStepKindEnum": "oncall.choices.StepKind",
        "OncallRuleKindEnum": "oncall.choices.RuleKind",
        "OncallEscalationStateEnum": "oncall.choices.EscalationState",
        "OncallDeliveryStateEnum": "oncall.choices.DeliveryState",
        "OncallSwapStateEnum": "oncall.choices.SwapState",
        "OncallPageSeverityEnum": ["critical", "warning", "info"],
        "OncallImportSourceEnum": ["grafana", "pagerduty"],
        "ComponentStatusEnum": "statuspage.choices.ComponentStatus",
        "RuleKindEnum": "rules.choices.RuleKind",
        "SloWindowKindEnum": "slo.choices.WindowKind",
        "SloDataStateEnum": "slo.choices.DataState",
        "SloConditionDataStateEnum": ["ok", "no_data"],
        "RuleSourceEnum": "rules.choices.RuleSource",
        "RuleHealthEnum": "rules.choices.RuleHealth",
        "RuleComparisonEnum": "rules.choices.Comparison",
        "RuleAlertStateEnum": "rules.choices.AlertState",
        "RuleLogLevelEnum": "rules.domain.checks.LOG_LEVELS",
        "RuleLogGroupByEnum": "rules.domain.checks.LOG_GROUP_LABELS",
    },
}

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = config.broker_config(env, var_dir=VAR_DIR)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's schedule in the database, sent only by the beat holding the beat lock: a second beat started by
# mistake stands by (sre/beat.py).
CELERY_BEAT_SCHEDULER = "sre.beat:LeaderScheduler"
# One queue per kind of work (sre/queues.py): a worker per queue in production, so a 24-hour drill or a slow SLO
# evaluation never waits in front of a page; `make run`'s one worker consumes them all.
CELERY_TASK_QUEUES = queues.task_queues()
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
CELERY_TASK_ROUTES = queues.task_routes()
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Application tunables (one namespaced dict, documented defaults) ------------------------------
SRE = {
    # Paths anonymous users may open (prefix match). The login page and static files are always open.
    "PUBLIC_PATHS": env.list("SRE_PUBLIC_PATHS", ["/status/", "/healthz", "/readyz", "/metrics"]),
    # Seconds between background heartbeats, and the age past which the UI calls background work stale (not part of
    # /readyz: the age is on /metrics as sre_background_heartbeat_age_seconds).
    "HEARTBEAT_INTERVAL": env.int("SRE_HEARTBEAT_INTERVAL", 30, minimum=1),
    "HEARTBEAT_MAX_AGE": env.int("SRE_HEARTBEAT_MAX_AGE", 120, minimum=5),
    # A Celery worker serves its own task metrics on this port when set (0: off); for a worker per container or
    # machine, whose metrics the web's /metrics cannot see (deploy/ sets 9808).
    "WORKER_METRICS_PORT": env.int("SRE_WORKER_METRICS_PORT", 0, minimum=0, maximum=65535),
    # Timeout (seconds) for the broker check in /readyz.
    "BROKER_CHECK_TIMEOUT": env.float("SRE_BROKER_CHECK_TIMEOUT", 2.0, minimum=0.1),
    # Seconds between synthetic demo traffic batches (the demo beat task).
    "DEMO_TRAFFIC_INTERVAL": env.int("SRE_DEMO_TRAFFIC_INTERVAL", 60, minimum=5),
    # Restore drills: heartbeat of a running drill (the reaper ends a silent run within two intervals),
    # how long a drill may wait in the queue, where scratch copies go (default var/drills/scratch), and
    # whether targets of kind "command" (shell commands run by the worker) may be created (off unless set).
    "DRILL_HEARTBEAT_INTERVAL": env.int("SRE_DRILL_HEARTBEAT_INTERVAL", 10, minimum=1),
    "DRILL_QUEUE_TIMEOUT": env.int("SRE_DRILL_QUEUE_TIMEOUT", 3600, minimum=10),
    "DRILL_SCRATCH_DIR": env.str("SRE_DRILL_SCRATCH_DIR", ""),
    "DRILL_COMMAND_TARGETS": env.bool("SRE_DRILL_COMMAND_TARGETS", default=False),
    # Alerts: links in notifications, delivery retries (backoff base/cap seconds), circuit breaker, PagerDuty
    # events per minute per routing key, the tick that flushes groups and sweeps the outbox, the web workers'
    # delivery threads and their queue (alerts.relay), receiver TLS/SSRF.
    "BASE_URL": env.str("SRE_BASE_URL", "http://127.0.0.1:8000"),
    "ALERTS_MAX_ATTEMPTS": env.int("SRE_ALERTS_MAX_ATTEMPTS", 12, minimum=1),
    "ALERTS_BACKOFF_BASE": env.float("SRE_ALERTS_BACKOFF_BASE", 2.0, minimum=0.01),
    "ALERTS_BACKOFF_CAP": env.float("SRE_ALERTS_BACKOFF_CAP", 300.0, minimum=0.01),
    "ALERTS_BREAKER_THRESHOLD": env.int("SRE_ALERTS_BREAKER_THRESHOLD", 5, minimum=1),
    "ALERTS_BREAKER_COOLDOWN": env.float("SRE_ALERTS_BREAKER_COOLDOWN", 30.0, minimum=0.01),
    "ALERTS_PAGERDUTY_RATE": env.int("SRE_ALERTS_PAGERDUTY_RATE", 100, minimum=0),
    "ALERTS_LEASE_MARGIN": env.float("SRE_ALERTS_LEASE_MARGIN", 30.0, minimum=0.1),
    "ALERTS_TICK": env.float("SRE_ALERTS_TICK", 5.0, minimum=0.1),
    "ALERTS_MAX_BATCH": env.int("SRE_ALERTS_MAX_BATCH", 1000, minimum=1),
    "ALERTS_RELAY_THREADS": env.int("SRE_ALERTS_RELAY_THREADS", 4, minimum=1),
    "ALERTS_RELAY_QUEUE": env.int("SRE_ALERTS_RELAY_QUEUE", 1000, minimum=1),
    # Webhooks arriving together at one web worker share an intake transaction (alerts.combine).
    "ALERTS_COMBINE": env.bool("SRE_ALERTS_COMBINE", default=True),
    "ALERTS_CA_FILE": env.str("SRE_ALERTS_CA_FILE", ""),
    "ALERTS_ALLOW_PRIVATE_TARGETS": env.bool("SRE_ALERTS_ALLOW_PRIVATE_TARGETS", default=False),
    # Called (dotted paths, with group_id= and firing_labels=) after an alert group opens, changes state or
    # notifies: incidents' policy.
    "ALERT_GROUP_HOOKS": env.list(
        "SRE_ALERT_GROUP_HOOKS", ["incidents.policy.alert_group_hook", "oncall.services.escalation.alert_group_hook"]
    ),
    # On call: seconds between sweeps for due escalation steps and pages (each step is also scheduled on its
    # own at its due time), hours an action link in a page stays valid, delivery attempts per notification,
    # and a step later than this many seconds is marked late on the group's timeline.
    "ONCALL_TICK": env.float("SRE_ONCALL_TICK", 5.0, minimum=0.1),
    "ONCALL_LINK_HOURS": env.int("SRE_ONCALL_LINK_HOURS", 24, minimum=1),
    "ONCALL_MAX_ATTEMPTS": env.int("SRE_ONCALL_MAX_ATTEMPTS", 5, minimum=1),
    "ONCALL_LATE_SECONDS": env.float("SRE_ONCALL_LATE_SECONDS", 30.0, minimum=0.0),
    # Telemetry: days of per-minute/hourly rollups and of logs kept; samples further ahead than this many
    # seconds are rejected; series allowed per metric name (METRIC_CARDINALITY_LIMITS overrides per metric,
    # e.g. SRE_METRIC_CARDINALITY_LIMITS=http_requests_total=50000); Prometheus query timeout (seconds).
    "ROLLUP_RETENTION_DAYS": env.int("SRE_ROLLUP_RETENTION_DAYS", 400, minimum=1),
    "LOG_RETENTION_DAYS": env.int("SRE_LOG_RETENTION_DAYS", 90, minimum=1),  # operational logs: the seeds' 90 days
    "RETENTION_BATCH_SIZE": env.int("SRE_RETENTION_BATCH_SIZE", 5000, minimum=100),
    "MAX_FUTURE_SKEW": env.int("SRE_MAX_FUTURE_SKEW", 600, minimum=0),
    "METRIC_MAX_SERIES": env.int("SRE_METRIC_MAX_SERIES", 20000, minimum=1),
    "METRIC_CARDINALITY_LIMITS": env.int_map("SRE_METRIC_CARDINALITY_LIMITS"),
    "PROMETHEUS_TIMEOUT": env.float("SRE_PROMETHEUS_TIMEOUT", 10.0, minimum=0.1),
    "LOG_STORE": env.choice("SRE_LOG_STORE", ("database", "elasticsearch"), "database"),
    # Called (dotted paths, with records= and now=) with the log lines of each stored batch, after it commits
    # (a retried batch_id does not call them again): the rules app's immediate log line rules.
    "LOG_INGEST_HOOKS": env.list("SRE_LOG_INGEST_HOOKS", ["rules.services.immediate.logs_hook"]),
    # Called with a finished restore drill's target name, status and times (a heartbeat check labelled
    # drill_target=<name> records the run as a start and a success or failure ping).
    "DRILL_FINISHED_HOOKS": env.list("SRE_DRILL_FINISHED_HOOKS", ["heartbeats.services.drills.drill_finished"]),
    # SLOs: seconds between bulk evaluations (10 s at the fastest) and days of status snapshots kept.
    "SLO_EVALUATION_INTERVAL": env.int("SRE_SLO_EVALUATION_INTERVAL", 60, minimum=10),
    "SLO_SNAPSHOT_RETENTION_DAYS": env.int("SRE_SLO_SNAPSHOT_RETENTION_DAYS", 35, minimum=1),
    # Status page: public name and time zone, snapshot directory (default var/status-snapshot), seconds
    # between timed syncs/renders, sign-ups per address per hour, whether public webhook subscribers may
    # name private addresses, months of history pages, and whether changes trigger a sync at once.
    "STATUSPAGE_NAME": env.str("SRE_STATUSPAGE_NAME", "System status"),
    "STATUSPAGE_TIMEZONE": env.str("SRE_STATUSPAGE_TIMEZONE", "UTC"),
    "STATUSPAGE_SNAPSHOT_DIR": env.str("SRE_STATUSPAGE_SNAPSHOT_DIR", ""),
    "STATUSPAGE_SYNC_INTERVAL": env.int("SRE_STATUSPAGE_SYNC_INTERVAL", 30, minimum=5),
    "STATUSPAGE_SUBSCRIBE_RATE": env.int("SRE_STATUSPAGE_SUBSCRIBE_RATE", 10, minimum=1),
    "STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS": env.bool("SRE_STATUSPAGE_ALLOW_PRIVATE_WEBHOOKS", default=False),
    "STATUSPAGE_HISTORY_MONTHS": env.int("SRE_STATUSPAGE_HISTORY_MONTHS", 12, minimum=1),
    "STATUSPAGE_SYNC_ON_CHANGE": env.bool("SRE_STATUSPAGE_SYNC_ON_CHANGE", default=True),
    # Sign-in and identity (LOCAL_LOGIN, REQUIRE_MFA, token failure throttling, OIDC role map): sre/identity/conf.py.
    **identity_tunables(env),
    # Audit trail: days entries are kept (seven years); a daily job prunes older ones and leaves an anchor.
    # Alert rules (and heartbeat checks): seconds between bulk evaluations.
    "RULES_INTERVAL": env.int("SRE_RULES_INTERVAL", 15, minimum=1),
    "AUDIT_RETENTION_DAYS": env.int("SRE_AUDIT_RETENTION_DAYS", 2555, minimum=1),
}
config.check_log_store_client(log_store=SRE["LOG_STORE"], elasticsearch_url=ELASTICSEARCH_URL)

# SRE_LOG_LEVEL (LOG_LEVEL still read): INFO by default; ``manage.py serve`` runs its children at WARNING unless
# asked (--verbose), so the terminal of ``make run`` shows what needs attention.
LOG_LEVEL = env.str("SRE_LOG_LEVEL", env.str("LOG_LEVEL", "INFO")).upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise EnvError("SRE_LOG_LEVEL", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL", LOG_LEVEL)
# SRE_LOG_FORMAT: text (the default, for make run's terminal) or json (production: one object a line with
# timestamp, level, logger, message, request_id, user_id or token_id, task_id/task_name, duration_ms, trace_id).
SRE_LOG_FORMAT = env.choice("SRE_LOG_FORMAT", LOG_FORMATS, "text")
LOGGING = logging_config(level=LOG_LEVEL, log_format=SRE_LOG_FORMAT)

CELERY_BEAT_SCHEDULE = {
    "sre-heartbeat": {"task": "sre.heartbeat", "schedule": float(SRE["HEARTBEAT_INTERVAL"])},
    "drills-reaper": {"task": "drills.reap", "schedule": SRE["DRILL_HEARTBEAT_INTERVAL"] / 2},
    "alerts-tick": {"task": "alerts.tick", "schedule": float(SRE["ALERTS_TICK"])},
    "incidents-policy-sweep": {"task": "incidents.policy_sweep", "schedule": 60.0},
    "telemetry-retention": {"task": "telemetry.retention", "schedule": 600.0},
    "slo-evaluate": {"task": "slo.evaluate", "schedule": float(SRE["SLO_EVALUATION_INTERVAL"])},
    "slo-retention": {"task": "slo.retention", "schedule": 3600.0},
    "statuspage-sync": {"task": "statuspage.sync", "schedule": float(SRE["STATUSPAGE_SYNC_INTERVAL"])},
    "oncall-tick": {"task": "oncall.tick", "schedule": float(SRE["ONCALL_TICK"])},
    "oncall-ical-refresh": {"task": "oncall.ical_refresh", "schedule": 900.0},
    "rules-evaluate": {"task": "rules.evaluate", "schedule": float(SRE["RULES_INTERVAL"])},
    "heartbeats-check": {"task": "heartbeats.check", "schedule": float(SRE["RULES_INTERVAL"])},
    "releases-evaluate": {"task": "releases.evaluate", "schedule": float(SRE["SLO_EVALUATION_INTERVAL"])},
    "audit-retention": {"task": "audit.retention", "schedule": 86400.0},
}

# Twilio (SMS and voice contact methods): off until the account is set. TWILIO_API_BASE sends the client's
# requests to another base URL (a test stand-in); empty means Twilio's own API.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", "")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", "")
