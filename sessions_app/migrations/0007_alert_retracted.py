# An alert closed by a correction is "retracted", no longer "withdrawn" (a word kept for a
# participant's withdrawal from the study).

from django.db import migrations, models


def notifications_retracted(apps, schema_editor):
    """Notifications of the kind "withdrawn" are of the kind now named "retracted"."""
    AlertNotification = apps.get_model('sessions_app', 'AlertNotification')
    AlertNotification.objects.filter(kind='withdrawn').update(kind='retracted')


def notifications_withdrawn(apps, schema_editor):
    """Back: notifications of the kind "retracted" are of the kind "withdrawn" again."""
    AlertNotification = apps.get_model('sessions_app', 'AlertNotification')
    AlertNotification.objects.filter(kind='retracted').update(kind='withdrawn')


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0006_visit_missed_reason'),
    ]

    operations = [
        migrations.RenameField(
            model_name='vitalsignalert',
            old_name='withdrawn_at',
            new_name='retracted_at',
        ),
        migrations.AlterField(
            model_name='alertnotification',
            name='kind',
            field=models.CharField(choices=[('raised', 'Raised'), ('retracted', 'Retracted'), ('reinstated', 'Reinstated')], default='raised', max_length=12),
        ),
        migrations.RunPython(notifications_retracted, notifications_withdrawn),
    ]
