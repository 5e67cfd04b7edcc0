"""Give every account that has no allauth ``EmailAddress`` row one for its
login address, verified and primary.

Password reset now mails only verified addresses. Accounts made from an
invitation already have a verified row (the invitation proved the address);
those without any row were made by a platform administrator (the admin,
``createsuperuser``) or by ``seed_demo``, and until now their password
reset went to exactly this address. Marking it verified keeps that working
and opens nothing new. Accounts that do have rows keep them as they are: an
unverified address stays unverified.
"""

from django.db import migrations


def verify_login_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified_elsewhere = {
        email.lower()
        for email in EmailAddress.objects.filter(verified=True).values_list(
            "email", flat=True
        )
    }
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in User.objects.filter(emailaddress__isnull=True)
            if user.email and user.email.lower() not in verified_elsewhere
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_email_attachment"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(verify_login_addresses, migrations.RunPython.noop),
    ]
