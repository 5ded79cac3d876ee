# A poll stores a PollOutput only for the outputs that changed since the device's previous poll
# (devices/rawstore.py); Poll.outputs_complete says whether every output has a row of its own. Every poll
# stored before has (default True): they read back as they did.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0010_translatable_model_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='poll',
            name='outputs_complete',
            field=models.BooleanField(default=True, help_text='Every output of the poll has a PollOutput row of its own.'),
        ),
    ]
