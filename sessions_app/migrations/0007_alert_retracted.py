# An alert closed by a correction is "retracted", no longer "withdrawn" (a word kept for a
# participant's withdrawal from the study). The field is renamed; the notifications' stored code
# stays "withdrawn" (its label is "Retracted"): rewriting stored rows here would change audited
# records outside the audit trail.

from django.db import migrations, models


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
            field=models.CharField(choices=[('raised', 'Raised'), ('withdrawn', 'Retracted'), ('reinstated', 'Reinstated')], default='raised', max_length=12),
        ),
    ]
