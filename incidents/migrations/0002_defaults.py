"""Default severity levels and the default auto-open policy (a page-severity SLO burn on a tier-1 service)."""

from django.db import migrations

SEVERITIES = (
    ("sev1", "SEV1 · Critical", "Customer-facing outage or data loss on a critical service; all hands.", "critical"),
    ("sev2", "SEV2 · Major", "Major degradation of a critical service, or outage of a non-critical one.", "major"),
    ("sev3", "SEV3 · Minor", "Partial degradation with a workaround; fix during working hours.", "minor"),
    ("sev4", "SEV4 · Low", "No customer impact yet; a risk worth tracking.", "none"),
)


def forwards(apps, schema_editor):
    SeverityLevel = apps.get_model("incidents", "SeverityLevel")
    IncidentPolicy = apps.get_model("incidents", "IncidentPolicy")
    for key, label, description, impact in SEVERITIES:
        SeverityLevel.objects.get_or_create(
            key=key, defaults={"label": label, "description": description, "public_impact": impact}
        )
    IncidentPolicy.objects.get_or_create(
        name="SLO burn on a tier-1 service",
        defaults={"matchers": ["severity=page", "slo=~.+"], "max_service_tier": 1, "severity": "sev2", "enabled": True},
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
