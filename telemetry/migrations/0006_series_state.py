"""Counter state moves from the wide ``telemetry_series`` row to a narrow ``telemetry_seriesstate`` row
(one index), which every counter sample updates; existing state is copied over."""

import django.db.models.deletion
from django.db import migrations, models


def copy_state(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO telemetry_seriesstate (series_id, last_value, last_ts, prev_value) "
        "SELECT id, last_value, last_ts, prev_value FROM telemetry_series"
    )
    if schema_editor.connection.vendor == "postgresql":
        # Room in each page so the per-sample updates stay HOT (no index write).
        schema_editor.execute("ALTER TABLE telemetry_seriesstate SET (fillfactor = 50)")


def copy_state_back(apps, schema_editor):
    schema_editor.execute(
        "UPDATE telemetry_series SET "
        + ", ".join(
            f"{c} = (SELECT st.{c} FROM telemetry_seriesstate st WHERE st.series_id = telemetry_series.id)"
            for c in ("last_value", "last_ts", "prev_value")
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0005_pending_rollup'),
    ]

    operations = [
        migrations.CreateModel(
            name='SeriesState',
            fields=[
                ('series', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='state', serialize=False, to='telemetry.series')),
                ('last_value', models.FloatField(blank=True, null=True)),
                ('last_ts', models.FloatField(blank=True, null=True)),
                ('prev_value', models.FloatField(blank=True, editable=False, null=True)),
            ],
        ),
        migrations.RunPython(copy_state, copy_state_back),
        migrations.RemoveField(
            model_name='series',
            name='last_ts',
        ),
        migrations.RemoveField(
            model_name='series',
            name='last_value',
        ),
        migrations.RemoveField(
            model_name='series',
            name='prev_value',
        ),
    ]
