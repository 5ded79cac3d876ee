from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('vpnportal', '0002_alert_observed'),
    ]

    operations = [
        migrations.AddField(
            model_name='alertevent',
            name='kind',
            field=models.CharField(
                choices=[
                    ('opened', 'Condition seen'),
                    ('fired', 'Fired'),
                    ('worse', 'Got worse'),
                    ('reminder', 'Still firing'),
                    ('unknown', 'Device unreachable'),
                    ('back', 'Device answers again'),
                    ('resolved', 'Resolved'),
                    ('superseded', 'Replaced by a graver alert'),
                    ('acknowledged', 'Acknowledged'),
                ],
                default='',
                max_length=16,
            ),
            preserve_default=False,
        ),
    ]
