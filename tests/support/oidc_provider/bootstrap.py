"""``python -m tests.support.oidc_provider.bootstrap REDIRECT_URI CLIENT_ID CLIENT_SECRET``: migrate, create the RSA
key, register the client (code flow, RS256, no consent screen) and the users with their groups."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oidc_provider.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType  # noqa: E402

PASSWORD = "idp-pass-for-tests"
# username → groups at the provider (see GroupsClaims for the one without the claim)
USERS = {
    "alice": ["sre-admins"],
    "bob": ["sre-oncall", "staff"],
    "carol": ["staff"],
    "dan": ["contractors"],
    "no-groups-claim": ["sre-admins"],
    "admin": ["sre-admins"],
    "rosa": ["sre-oncall"],
}


def main(redirect_uri: str, client_id: str, client_secret: str) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    call_command("creatersakey")
    client = Client.objects.create(
        name="SRE control plane",
        client_type="confidential",
        client_id=client_id,
        client_secret=client_secret,
        jwt_alg="RS256",
        require_consent=False,
        reuse_consent=True,
    )
    client.redirect_uris = [redirect_uri]
    client.save()
    client.response_types.add(ResponseType.objects.get(value="code"))
    for username, groups in USERS.items():
        user = User.objects.create_user(username, email=f"{username}@idp.example.test", password=PASSWORD)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])


if __name__ == "__main__":
    main(*sys.argv[1:4])
