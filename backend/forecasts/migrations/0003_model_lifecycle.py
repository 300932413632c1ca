"""The model lifecycle (issue 21): statuses, one champion per group and horizon, transitions.

Versions stored before are candidates. ``Forecast.tradable`` gets a database default
(true) as well, so rows copied without the column, and every stored row, are tradable.
"""

import django.db.models.deletion
from django.db import migrations, models

STATUSES = [
    ("candidate", "candidate"),
    ("shadow", "shadow"),
    ("live", "live"),
    ("retired", "retired"),
]


class Migration(migrations.Migration):
    dependencies = [("forecasts", "0002_hypertables")]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="status",
            field=models.CharField(
                choices=STATUSES, db_index=True, default="candidate", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="asset_group",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="horizon",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="gates",
            field=models.JSONField(
                blank=True, default=dict, help_text="the latest decision of the automatic rule"
            ),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="modelversion",
            name="manual",
            field=models.BooleanField(
                default=False,
                help_text="the latest transition was an operator's: the automatic rule leaves it",
            ),
        ),
        migrations.AddConstraint(
            model_name="modelversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "live")),
                fields=("asset_group", "horizon"),
                name="model_version_one_live",
            ),
        ),
        migrations.AddConstraint(
            model_name="modelversion",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["candidate", "shadow", "live", "retired"])),
                name="model_version_status_known",
            ),
        ),
        migrations.CreateModel(
            name="ModelTransition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("from_status", models.CharField(choices=STATUSES, max_length=16)),
                ("to_status", models.CharField(choices=STATUSES, max_length=16)),
                ("actor", models.CharField(max_length=150)),
                ("reason", models.TextField()),
                ("manual", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField()),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="transitions",
                        to="forecasts.modelversion",
                    ),
                ),
                (
                    "replaced",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaced_in",
                        to="forecasts.modelversion",
                    ),
                ),
            ],
            options={
                "ordering": ("created_at", "id"),
                "indexes": [
                    models.Index(fields=["version", "created_at"], name="model_transition_version")
                ],
            },
        ),
        migrations.AddField(
            model_name="forecast",
            name="tradable",
            field=models.BooleanField(
                db_default=True,
                default=True,
                help_text="false: a non-live version's forecast, not traded",
            ),
        ),
    ]
