"""Claims of the loopback provider: standard ones, plus ``groups`` (the user's Django groups) for scope "groups".

A user named ``no-groups-claim`` gets no ``groups`` claim at all, as a provider that stops sending it would.
"""

from oidc_provider.lib.claims import ScopeClaims


def userinfo(claims, user):
    claims["preferred_username"] = user.username
    claims["email"] = user.email
    claims["name"] = user.get_full_name() or user.username
    return claims


class GroupsClaims(ScopeClaims):
    info_groups = ("Groups", "The groups you belong to.")

    def scope_groups(self):
        if self.user.username == "no-groups-claim":
            return {}
        return {"groups": sorted(self.user.groups.values_list("name", flat=True))}
